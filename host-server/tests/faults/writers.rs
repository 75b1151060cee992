//! Mixed writers on one file: the server (clients with a ledger, and clients contending for
//! two shared orders with `If-Match`), two Python processes (`OrderService(path)`, see
//! writer.py) and the CLI (`import`, `rebuild-read-models`) write one SQLite file at once.
//! Positions and per-stream versions stay gap-free, every acknowledged command of every
//! writer is present exactly once, conflicts are reported as conflicts (409 /
//! ConcurrencyError / a refused import) and the read model equals a replay (`verify`).

use std::collections::{BTreeMap, HashMap};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::ledger::{all_events, check_exactly_once, Ack, Ledger, StopOnDrop, Target};
use crate::report::{pick, Table};
use crate::support::{cli, cli_ok, create_order, Db, Server};

const SERVER_CLIENTS: usize = 4;

/// The Python interpreter of a venv with `order_core` installed (scripts/test-faults.sh).
fn python() -> String {
    let python = std::env::var("ORDER_FAULTS_PYTHON").unwrap_or_else(|_| {
        panic!(
            "ORDER_FAULTS_PYTHON is not set: the mixed-writers scenario needs a Python with \
             order_core installed; run it through scripts/test-faults.sh"
        )
    });
    let check = Command::new(&python)
        .args(["-c", "import order_core"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    assert!(
        check.status.success(),
        "{python} cannot import order_core: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    python
}

/// Stored events of `streams` fresh orders (one item each), exported from a scratch
/// database, grouped by stream: the import rounds' input.
fn import_batches(streams: usize) -> Vec<(String, String)> {
    let scratch = Db::new();
    let server = Server::start(&scratch);
    for n in 0..streams {
        create_order(&server, &format!("imp-{n}"), "c-imp");
        crate::support::add_item(&server, &format!("imp-{n}"), "p", 1, "2.50");
    }
    assert_eq!(server.terminate().code(), Some(0));
    let mut by_stream: BTreeMap<String, String> = BTreeMap::new();
    for line in cli_ok(&scratch, &["events"], None).lines() {
        let event: Value = serde_json::from_str(line).expect("an exported event");
        let stream = event["streamId"].as_str().unwrap().to_string();
        let text = by_stream.entry(stream).or_default();
        text.push_str(line);
        text.push('\n');
    }
    by_stream.into_iter().collect()
}

/// Runs a CLI subcommand until it is not refused for a busy file; returns (ok, busy tries).
fn cli_until_not_busy(db: &Db, args: &[&str], stdin: Option<&[u8]>) -> (bool, usize, String) {
    for tries in 0..200 {
        let output = cli(db, args, stdin);
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        if output.status.success() {
            return (true, tries, stderr);
        }
        let lower = stderr.to_lowercase();
        if !(lower.contains("busy") || lower.contains("locked")) {
            return (false, tries, stderr);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("order-server {args:?}: busy 200 times");
}

#[test]
fn server_python_and_cli_write_one_file_without_gaps_or_doubles() {
    let python = python();
    let rounds = pick(15, 60);
    let imports = pick(6, 20);
    let batches = import_batches(imports);
    let db = Db::new();
    let server = Server::start(&db);
    create_order(&server, "shared-0", "c");
    create_order(&server, "shared-1", "c");
    let target = Target::new(&server.base);
    let ledger = Ledger::default();
    let stop = AtomicBool::new(false);
    let http_conflicts = AtomicUsize::new(0);
    let shared_acked = Mutex::new(HashMap::new());
    let started = Instant::now();

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/faults/writer.py");
    let pythons: Vec<_> = ["py-a", "py-b"]
        .iter()
        .map(|name| {
            Command::new(&python)
                .arg(script)
                .arg(db.path())
                .args([*name, &rounds.to_string()])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn a Python writer")
        })
        .collect();

    let ((import_busy, rebuilt), python_outcomes) = std::thread::scope(|scope| {
        let _stop = StopOnDrop(&stop);
        let python_threads: Vec<_> = pythons
            .into_iter()
            .map(|child| {
                scope.spawn(move || {
                    let output = child.wait_with_output().expect("wait for Python");
                    assert!(
                        output.status.success(),
                        "a Python writer failed: {}",
                        String::from_utf8_lossy(&output.stderr)
                    );
                    let line = String::from_utf8_lossy(&output.stdout).to_string();
                    serde_json::from_str::<Value>(line.trim()).expect("the writer's JSON line")
                })
            })
            .collect();
        for client in 0..SERVER_CLIENTS {
            let (ledger, target, stop) = (&ledger, &target, &stop);
            scope.spawn(move || ledger.client(target, "s", client, stop));
        }
        for contender in 0..2 {
            let (server, stop, conflicts, acked) = (&server, &stop, &http_conflicts, &shared_acked);
            scope.spawn(move || {
                for k in 0.. {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let shared = format!("shared-{}", k % 2);
                    let version = server.get(&format!("/orders/{shared}")).body["version"]
                        .as_u64()
                        .expect("a version");
                    std::thread::sleep(Duration::from_millis(2));
                    let id = format!("http-{contender}/shared/{k}");
                    let reply = server.post_with(
                        &format!("/orders/{shared}/items"),
                        json!({"productId": format!("h{contender}-{k}"), "quantity": 1, "price": "1.00"}),
                        &[("if-match", &version.to_string()), ("idempotency-key", &id)],
                    );
                    match reply.status {
                        200 => {
                            let version = reply.body["version"].as_u64().unwrap();
                            acked.lock().unwrap().insert(id, Ack { order: shared, version });
                        }
                        409 => {
                            assert_eq!(reply.code(), "concurrency_conflict");
                            conflicts.fetch_add(1, Ordering::Relaxed);
                        }
                        503 => assert!(reply.header("retry-after").is_some()),
                        other => panic!("{id}: unexpected {other}: {}", reply.text),
                    }
                }
            });
        }
        // The CLI: an import per stream, one rebuild of the read models half-way.
        let cli_thread = scope.spawn(|| {
            let mut busy = 0;
            let mut rebuilt = false;
            for (n, (stream, lines)) in batches.iter().enumerate() {
                let (ok, tries, stderr) =
                    cli_until_not_busy(&db, &["import", "-"], Some(lines.as_bytes()));
                assert!(ok, "import of {stream}: {stderr}");
                busy += tries;
                if n == batches.len() / 2 {
                    let (ok, tries, stderr) =
                        cli_until_not_busy(&db, &["rebuild-read-models"], None);
                    assert!(ok, "rebuild-read-models: {stderr}");
                    busy += tries;
                    rebuilt = true;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            (busy, rebuilt)
        });
        let outcome = cli_thread.join().unwrap();
        let python_outcomes: Vec<Value> = python_threads
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();
        // The server's clients stop once the other writers are done.
        stop.store(true, Ordering::SeqCst);
        (outcome, python_outcomes)
    });
    ledger.assert_no_failures();
    assert_eq!(ledger.count(500), 0, "a 500 beside other writers");

    let mut acked = ledger.acked_snapshot();
    acked.extend(shared_acked.into_inner().unwrap());
    let mut python_conflicts = 0;
    let mut python_busy = 0;
    let mut python_acked = 0;
    for outcome in &python_outcomes {
        for entry in outcome["acked"].as_array().expect("acked") {
            let ack = Ack {
                order: entry[1].as_str().unwrap().to_string(),
                version: entry[2].as_u64().unwrap(),
            };
            acked.insert(entry[0].as_str().unwrap().to_string(), ack);
            python_acked += 1;
        }
        python_conflicts += outcome["conflicts"].as_u64().unwrap();
        python_busy += outcome["busy"].as_u64().unwrap();
    }
    let events = all_events(&server);
    let rejected = ledger.rejected.lock().unwrap().clone();
    let present = check_exactly_once(&events, &acked, &rejected);
    let imported: Vec<&Value> = events
        .iter()
        .filter(|e| e["streamId"].as_str().unwrap().starts_with("imp-"))
        .collect();
    assert_eq!(imported.len(), 2 * imports, "every imported stream, whole");
    let http_conflicts = http_conflicts.into_inner();
    assert!(
        http_conflicts as u64 + python_conflicts > 0,
        "writers contending for two orders with expected versions never conflicted"
    );

    // A conflicting import (the stream already exists) is refused whole, nothing written.
    let (ok, _, stderr) = cli_until_not_busy(&db, &["import", "-"], Some(batches[0].1.as_bytes()));
    assert!(!ok, "re-importing {} must be refused", batches[0].0);
    assert!(stderr.contains("but the stream is at"), "{stderr}");
    assert_eq!(
        all_events(&server).len(),
        events.len(),
        "a refused import writes nothing"
    );

    // Every view equals the replay of its stream.
    assert_eq!(server.terminate().code(), Some(0));
    let verified = cli_ok(&db, &["verify"], None);
    assert!(verified.contains(": 0 mismatches"), "{verified}");

    let mut table = Table::new("4-writers", "Mixed writers on one SQLite file");
    table.row(
        "writers",
        format!(
            "server ({SERVER_CLIENTS} ledger clients + 2 If-Match contenders), 2 Python processes, CLI import x{imports} + rebuild-read-models"
        ),
    );
    table.row(
        "run time",
        format!("{:.1} s", started.elapsed().as_secs_f64()),
    );
    table.row(
        "acknowledged: server / Python / all present exactly once",
        format!(
            "{} / {python_acked} / {}",
            present.acked_present - python_acked,
            present.acked_present
        ),
    );
    table.row("events (positions and versions gap-free)", present.events);
    table.row("imported streams (whole, once)", imports);
    table.row(
        "conflicts reported: HTTP 409 / Python ConcurrencyError / refused import",
        format!("{http_conflicts} / {python_conflicts} / 1"),
    );
    table.row(
        "busy retries: HTTP 503 / Python StoreError / CLI",
        format!("{} / {python_busy} / {import_busy}", ledger.count(503)),
    );
    table.row("bad inputs tried (422, none written)", rejected.len());
    table.row(
        "rebuild-read-models beside the writers",
        if rebuilt { "done" } else { "not run" },
    );
    table.row("verify (read model = replay)", verified.trim());
    table.finish();
}
