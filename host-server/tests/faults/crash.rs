//! Crash under load: 16 clients send mixed commands, each under a commandId, while the
//! server is killed with SIGKILL again and again. After each crash `verify` is clean, and
//! before the clients reach the restarted server, every command acknowledged before the
//! crash is present exactly once, positions and versions are gap-free and no rejected
//! command was written. Clients resend unanswered commands with the same commandId; at
//! the end the whole ledger is present exactly once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::ledger::{all_events, check_exactly_once, Ledger, StopOnDrop, Target};
use crate::report::{ms, pick, spread, Table};
use crate::support::{cli_ok, Db, Server};

const CLIENTS: usize = 16;

fn verify_clean(db: &Db) -> String {
    let report = cli_ok(db, &["verify"], None);
    assert!(report.contains(": 0 mismatches"), "verify: {report}");
    report.trim().to_string()
}

#[test]
fn kill_minus_9_under_load_loses_nothing_acknowledged_and_writes_nothing_twice() {
    let kills = pick(4, 24);
    let db = Db::new();
    let mut server = Some(Server::start(&db));
    let target = Target::new(&server.as_ref().unwrap().base);
    let ledger = Ledger::default();
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    let mut restarts = Vec::new();
    let mut unacknowledged_present = 0;
    let mut acked_at_kills = Vec::new();

    std::thread::scope(|scope| {
        let _stop = StopOnDrop(&stop);
        for client in 0..CLIENTS {
            let (ledger, target, stop) = (&ledger, &target, &stop);
            scope.spawn(move || ledger.client(target, "o", client, stop));
        }
        for round in 0..kills {
            // Kill at a different depth each round, with every client mid-stream.
            let due = ledger.acked_count() + 40 + (round * 37) % 120;
            let deadline = Instant::now() + Duration::from_secs(120);
            while ledger.acked_count() < due {
                assert!(Instant::now() < deadline, "no progress under load");
                std::thread::sleep(Duration::from_millis(5));
            }
            server.take().unwrap().kill_hard();
            let killed_at = Instant::now();
            let acked = ledger.acked_snapshot();
            let rejected = ledger.rejected.lock().unwrap().clone();
            acked_at_kills.push(acked.len());
            verify_clean(&db);
            let restarted = Server::start(&db);
            restarts.push(killed_at.elapsed());
            // The clients still knock on the dead address: what is read now is exactly
            // what survived the crash.
            let present = check_exactly_once(&all_events(&restarted), &acked, &rejected);
            unacknowledged_present += present.unacknowledged_present;
            target.set(&restarted.base);
            server = Some(restarted);
        }
        // Let the clients finish their resent commands on the last server, then stop.
        let due = ledger.acked_count() + 100;
        while ledger.acked_count() < due {
            std::thread::sleep(Duration::from_millis(5));
        }
        stop.store(true, Ordering::SeqCst);
    });
    let elapsed = started.elapsed();
    ledger.assert_no_failures();
    assert_eq!(ledger.count(500), 0, "a 500 under load");
    let server = server.unwrap();
    let acked = ledger.acked_snapshot();
    let rejected = ledger.rejected.lock().unwrap().clone();
    let present = check_exactly_once(&all_events(&server), &acked, &rejected);
    assert_eq!(
        present.unacknowledged_present, 0,
        "every command committed was acknowledged in the end (after its resend)"
    );
    assert_eq!(server.terminate().code(), Some(0));
    let verified = verify_clean(&db);

    let mut table = Table::new("1-crash", "Crash under load (kill -9)");
    table.row("concurrent clients", CLIENTS);
    table.row("kill -9 survived", kills);
    table.row("run time", format!("{:.1} s", elapsed.as_secs_f64()));
    table.row("HTTP attempts", ledger.attempts.load(Ordering::Relaxed));
    table.row(
        "commands acknowledged / present exactly once",
        format!("{} / {}", acked.len(), present.acked_present),
    );
    table.row(
        "events (positions 1..N, gap-free)",
        format!("1..{}", present.events),
    );
    table.row("bad inputs tried (422, none written)", rejected.len());
    table.row(
        "transport errors (server dead), resent with the same commandId",
        format!(
            "{} / {}",
            ledger.transport_errors.load(Ordering::Relaxed),
            ledger.resent.load(Ordering::Relaxed)
        ),
    );
    table.row(
        "commands committed before a crash but unacknowledged (answered on resend)",
        unacknowledged_present,
    );
    table.row("acknowledged at each kill", format!("{acked_at_kills:?}"));
    table.row("kill -> restarted and checked", spread(&restarts));
    table.row(
        "command latency under load",
        spread(&ledger.latencies.lock().unwrap()),
    );
    table.row("5xx answers (all 503 + Retry-After)", ledger.count(503));
    table.row("500 answers", ledger.count(500));
    table.row("verify after the last restart", verified);
    table.row("mean time between kills", ms(elapsed / kills as u32));
    table.finish();
}
