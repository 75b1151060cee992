//! Misbehaving guest: the server runs the chaos build of the guest (`serve --guest`), whose
//! decisions loop, allocate without bound or trap on certain product ids. Each such command
//! fails alone (5xx `runtime_error`, nothing written) within a bounded time, the memory it
//! took is given back, and normal commands sent meanwhile keep their latency.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use order_server::wasm::testing::{build_chaos_guest, CHAOS_ALLOC, CHAOS_LOOP, CHAOS_TRAP};
use serde_json::json;

use crate::ledger::StopOnDrop;
use crate::report::{memory_mib, percentile, pick, spread, Table};
use crate::support::{cli_ok, create_order, Db, Server};

const NORMAL_CLIENTS: usize = 3;
const CHAOS_CLIENTS: usize = 2;

/// Normal decisions (AddItem on each client's own orders) until `stop`; returns latencies.
fn normal_load(server: &Server, client: usize, phase: &str, stop: &AtomicBool) -> Vec<Duration> {
    let mut latencies = Vec::new();
    for n in 0.. {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let order = format!("{phase}-{client}-{}", n / 50);
        if n % 50 == 0 {
            create_order(server, &order, "c");
        }
        let started = Instant::now();
        let reply = server.post(
            &format!("/orders/{order}/items"),
            json!({"productId": format!("p{n}"), "quantity": 1, "price": "1.00"}),
        );
        latencies.push(started.elapsed());
        assert_eq!(reply.status, 200, "a normal command: {}", reply.text);
    }
    latencies
}

fn run_phase(
    server: &Server,
    phase: &str,
    length: Duration,
    chaos: bool,
) -> (Vec<Duration>, Vec<(&'static str, Duration)>) {
    let stop = AtomicBool::new(false);
    let failures = Mutex::new(Vec::new());
    let normal = std::thread::scope(|scope| {
        let _stop = StopOnDrop(&stop);
        let normals: Vec<_> = (0..NORMAL_CLIENTS)
            .map(|client| {
                let stop = &stop;
                scope.spawn(move || normal_load(server, client, phase, stop))
            })
            .collect();
        if chaos {
            for client in 0..CHAOS_CLIENTS {
                let (stop, failures) = (&stop, &failures);
                scope.spawn(move || {
                    let order = format!("chaos-{client}");
                    create_order(server, &order, "c");
                    for kind in [CHAOS_LOOP, CHAOS_ALLOC, CHAOS_TRAP].iter().cycle() {
                        if stop.load(Ordering::SeqCst) {
                            return;
                        }
                        let started = Instant::now();
                        let reply = server.post(
                            &format!("/orders/{order}/items"),
                            json!({"productId": kind, "quantity": 1, "price": "1.00"}),
                        );
                        let took = started.elapsed();
                        assert!(
                            reply.status >= 500,
                            "{kind}: {} {}",
                            reply.status,
                            reply.text
                        );
                        assert_eq!(reply.code(), "runtime_error", "{kind}");
                        failures.lock().unwrap().push((*kind, took));
                    }
                });
            }
        }
        std::thread::sleep(length);
        stop.store(true, Ordering::SeqCst);
        normals
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect::<Vec<_>>()
    });
    (normal, failures.into_inner().unwrap())
}

#[test]
fn a_looping_hoarding_or_trapping_guest_fails_alone_and_others_keep_their_latency() {
    let length = Duration::from_secs(pick(3, 15) as u64);
    let guest = build_chaos_guest();
    let db = Db::new();
    let server = Server::start_with(&db, &["--guest", guest.to_str().unwrap()]);
    // Warm up, then the baseline.
    run_phase(&server, "warm", Duration::from_millis(500), false);
    let (rss_before, _) = memory_mib(server.pid());
    let (before, _) = run_phase(&server, "before", length, false);
    let (during, chaos) = run_phase(&server, "during", length, true);
    let (rss_after, peak) = memory_mib(server.pid());
    let (after, _) = run_phase(&server, "after", length, false);

    let of_kind = |kind: &str| -> Vec<Duration> {
        chaos
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, d)| *d)
            .collect()
    };
    for kind in [CHAOS_LOOP, CHAOS_ALLOC, CHAOS_TRAP] {
        let samples = of_kind(kind);
        assert!(!samples.is_empty(), "no {kind} command was answered");
        let slowest = percentile(&samples, 100.0);
        assert!(
            slowest < Duration::from_secs(10),
            "{kind} took {slowest:?} to fail"
        );
    }
    let (p50_before, p50_during) = (percentile(&before, 50.0), percentile(&during, 50.0));
    assert!(
        p50_during < p50_before * 3 + Duration::from_millis(20),
        "normal commands slowed by the bad guest: p50 {p50_before:?} -> {p50_during:?}"
    );
    assert!(
        rss_after < rss_before + 3.0 * 64.0,
        "memory not given back: {rss_before:.0} MiB -> {rss_after:.0} MiB"
    );
    // Nothing of a failed decision was written.
    let events = crate::ledger::all_events(&server);
    assert!(events.iter().all(|e| !e["data"]["productId"]
        .as_str()
        .unwrap_or("")
        .starts_with("chaos")));
    assert_eq!(server.terminate().code(), Some(0));
    let verified = cli_ok(&db, &["verify"], None);
    assert!(verified.contains(": 0 mismatches"), "{verified}");

    let mut table = Table::new(
        "5-guest",
        "Misbehaving guest (chaos build, `serve --guest`)",
    );
    table.row("phase length", format!("{} s each", length.as_secs()));
    table.row(
        "clients",
        format!("{NORMAL_CLIENTS} normal, {CHAOS_CLIENTS} chaos (loop, alloc, trap in turn)"),
    );
    table.row(
        "time to fail: endless loop (fuel)",
        spread(&of_kind(CHAOS_LOOP)),
    );
    table.row(
        "time to fail: unbounded allocation (64 MiB limit)",
        spread(&of_kind(CHAOS_ALLOC)),
    );
    table.row("time to fail: trap", spread(&of_kind(CHAOS_TRAP)));
    table.row("normal AddItem before", spread(&before));
    table.row("normal AddItem during the chaos", spread(&during));
    table.row("normal AddItem after", spread(&after));
    table.row(
        "server RSS before / after the chaos / peak",
        format!("{rss_before:.0} / {rss_after:.0} / {peak:.0} MiB"),
    );
    table.row("bad commands written", 0);
    table.row("verify", verified.trim());
    table.finish();
}
