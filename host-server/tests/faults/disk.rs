//! Disk full: the database sits on a small tmpfs that the test mounts (as root). Writers run
//! while a filler file takes the remaining space: writes answer 507 `storage_full` (or 503),
//! never 500 and never hang; reads are served throughout; after the filler is deleted the
//! same server process accepts writes again, and nothing is half-written.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::ledger::{agent, all_events, check_exactly_once, Ledger, StopOnDrop, Target};
use crate::report::{ms, pick, spread, Table};
use crate::support::{cli_ok, create_order, Db, Server};

const WRITERS: usize = 8;

/// A tmpfs mounted over a directory; unmounted on drop (also when the test fails).
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Tmpfs {
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .expect("run mount");
        assert!(
            output.status.success(),
            "the disk-full scenario must mount a small tmpfs (run as root, or in a container \
             with CAP_SYS_ADMIN): mount -t tmpfs failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Tmpfs(dir.to_path_buf())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Writes zeros until the file system refuses; returns the bytes written.
fn fill(path: &Path) -> u64 {
    let mut file = std::fs::File::create(path).expect("filler file");
    let chunk = vec![0u8; 16 * 1024];
    let mut written = 0;
    loop {
        match file.write(&chunk) {
            Ok(0) => break,
            Ok(n) => written += n as u64,
            Err(_) => break,
        }
    }
    let _ = file.sync_all();
    written
}

/// What `ls -l` and `df` say about the small file system (for failure messages).
fn usage(dir: &Path) -> String {
    let ls = Command::new("ls").arg("-l").arg(dir).output().expect("ls");
    let df = Command::new("df").arg("-k").arg(dir).output().expect("df");
    format!(
        "{}{}",
        String::from_utf8_lossy(&ls.stdout),
        String::from_utf8_lossy(&df.stdout)
    )
}

#[test]
fn a_full_disk_answers_507_serves_reads_and_recovers_without_a_restart() {
    full_disk(false);
}

/// The server's own log (stderr) on the full file system too. Regression: a log line that
/// could not be written made tracing-subscriber `eprintln!`, which panics on a full stderr:
/// the writer thread died and writes and /health hung without an answer.
#[test]
fn a_full_disk_that_also_holds_the_servers_log_still_answers() {
    full_disk(true);
}

fn full_disk(log_too: bool) {
    let cycles = pick(1, 3);
    // Each cycle's writes stay on the disk (and the WAL may grow to ~4 MiB before SQLite
    // checkpoints it): the long run's three cycles get a larger, still small, disk.
    let size_mib = pick(4, 12);
    let db = if log_too {
        Db::new()
    } else {
        Db::in_subdir("small")
    };
    let small = if log_too {
        db.dir.path().to_path_buf()
    } else {
        db.dir.path().join("small")
    };
    let _tmpfs = Tmpfs::mount(&small, &format!("{size_mib}m"));
    let server = Server::start(&db);
    let pid = server.pid();
    create_order(&server, "read-me", "c");
    let target = Target::new(&server.base);
    let ledger = Ledger::default();
    let stop = AtomicBool::new(false);
    let reads = Mutex::new(Vec::new());
    let read_failures = Mutex::new(Vec::new());
    let filler = small.join("filler");
    let mut filled = Vec::new();
    let mut recoveries = Vec::new();
    let mut full_answers = Vec::new();

    std::thread::scope(|scope| {
        let _stop = StopOnDrop(&stop);
        for client in 0..WRITERS {
            let (ledger, target, stop) = (&ledger, &target, &stop);
            scope.spawn(move || ledger.client(target, "d", client, stop));
        }
        scope.spawn(|| {
            let agent = agent();
            let url = format!("{}/orders/read-me", server.base);
            while !stop.load(Ordering::SeqCst) {
                let started = Instant::now();
                match agent.get(&url).call() {
                    Ok(r) if r.status() == 200 => reads.lock().unwrap().push(started.elapsed()),
                    Ok(r) => read_failures.lock().unwrap().push(r.status().to_string()),
                    Err(e) => read_failures.lock().unwrap().push(e.to_string()),
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        for _ in 0..cycles {
            let due = ledger.acked_count() + 100;
            while ledger.acked_count() < due {
                std::thread::sleep(Duration::from_millis(5));
            }
            let full_before = ledger.count(507) + ledger.count(503);
            filled.push(fill(&filler));
            assert!(
                *filled.last().unwrap() > 256 * 1024,
                "the data alone filled the {size_mib} MiB disk: {}",
                usage(&small)
            );
            // Under load until the writers have met the full disk a good many times.
            let deadline = Instant::now() + Duration::from_secs(30);
            while ledger.count(507) + ledger.count(503) < full_before + 20 {
                assert!(
                    Instant::now() < deadline,
                    "no 507/503 within 30 s of filling the disk: {:?}",
                    ledger.statuses.lock().unwrap()
                );
                std::thread::sleep(Duration::from_millis(5));
            }
            std::thread::sleep(Duration::from_millis(500));
            full_answers.push(ledger.count(507) + ledger.count(503) - full_before);
            let acked = ledger.acked_count();
            std::fs::remove_file(&filler).expect("free the space");
            let freed = Instant::now();
            while ledger.acked_count() < acked + 20 {
                assert!(
                    freed.elapsed() < Duration::from_secs(30),
                    "writes not accepted again within 30 s of freeing {} bytes: {:?}, {}, {}",
                    filled.last().unwrap(),
                    ledger.statuses.lock().unwrap(),
                    usage(&small),
                    server.get("/health").text
                );
                std::thread::sleep(Duration::from_millis(2));
            }
            recoveries.push(freed.elapsed());
        }
        stop.store(true, Ordering::SeqCst);
    });
    ledger.assert_no_failures();
    assert_eq!(ledger.count(500), 0, "a 500 on a full disk");
    assert_eq!(ledger.missing_retry_after.load(Ordering::Relaxed), 0);
    assert!(
        read_failures.lock().unwrap().is_empty(),
        "reads failed: {read_failures:?}"
    );
    assert_eq!(server.pid(), pid, "the same process throughout");
    let health = server.get("/health");
    assert_eq!(health.status, 200, "healthy again: {}", health.text);
    let acked = ledger.acked_snapshot();
    let rejected = ledger.rejected.lock().unwrap().clone();
    let present = check_exactly_once(&all_events(&server), &acked, &rejected);
    let latencies = ledger.latencies.lock().unwrap().clone();
    assert_eq!(server.terminate().code(), Some(0));
    let verified = cli_ok(&db, &["verify"], None);
    assert!(verified.contains(": 0 mismatches"), "{verified}");

    let mut table = if log_too {
        Table::new(
            "2-disk-log",
            "Disk full, the server's log (stderr) on the same full file system",
        )
    } else {
        Table::new(
            "2-disk",
            "Disk full (a small tmpfs, filled under load; log elsewhere)",
        )
    };
    table.row("file system", format!("tmpfs, {size_mib} MiB"));
    table.row("writers / readers", format!("{WRITERS} / 1"));
    table.row("fill-and-free cycles", cycles);
    table.row("filler bytes per cycle", format!("{filled:?}"));
    table.row("507 storage_full answers", ledger.count(507));
    table.row("503 answers (all with Retry-After)", ledger.count(503));
    table.row("500 answers", ledger.count(500));
    table.row("full-disk answers per cycle", format!("{full_answers:?}"));
    table.row("write latency, all answers", spread(&latencies));
    table.row(
        "reads served throughout, full or not (all 200)",
        spread(&reads.lock().unwrap()),
    );
    table.row(
        "space freed -> 20 more writes acknowledged (same process)",
        recoveries
            .iter()
            .map(|d| ms(*d))
            .collect::<Vec<_>>()
            .join(", "),
    );
    table.row(
        "acknowledged / present exactly once",
        format!("{} / {}", acked.len(), present.acked_present),
    );
    table.row("events (gap-free)", present.events);
    table.row("verify", verified.trim());
    table.finish();
}
