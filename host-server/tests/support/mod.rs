//! Test support: starts the real `order-server` binary on a free loopback port with a
//! temporary database, talks HTTP to it, and runs its CLI subcommands.

#![allow(dead_code)] // each test file uses a different part of this module

pub mod amqp;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub mod auth;
pub mod otlp;
pub mod sse;

pub const BIN: &str = env!("CARGO_BIN_EXE_order-server");

/// Startup compiles the guest with cranelift; in a debug build that takes seconds.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(180);

/// A temporary directory holding one database: an SQLite file in it (`file`, relative to
/// the directory, beside the server's log), or (`Db::postgres`) a fresh database on the
/// local PostgreSQL server, dropped with this value.
pub struct Db {
    pub dir: tempfile::TempDir,
    file: PathBuf,
    pg: Option<order_store::postgres::testing::TestDatabase>,
}

impl Db {
    pub fn new() -> Db {
        Db {
            dir: tempfile::tempdir().expect("temp dir"),
            file: PathBuf::from("orders.db"),
            pg: None,
        }
    }

    /// The database in a subdirectory (for example a file system of its own), the server's
    /// log beside it in the temporary directory.
    pub fn in_subdir(name: &str) -> Db {
        let db = Db {
            dir: tempfile::tempdir().expect("temp dir"),
            file: Path::new(name).join("orders.db"),
            pg: None,
        };
        std::fs::create_dir(db.dir.path().join(name)).expect("subdirectory");
        db
    }

    /// A new, empty PostgreSQL database (the test fails if the server is unreachable).
    pub fn postgres() -> Db {
        Db {
            dir: tempfile::tempdir().expect("temp dir"),
            file: PathBuf::from("orders.db"),
            pg: Some(order_store::postgres::testing::TestDatabase::create()),
        }
    }

    /// The SQLite file (of an SQLite `Db`).
    pub fn path(&self) -> PathBuf {
        self.dir.path().join(&self.file)
    }

    /// The PostgreSQL URL of a `Db::postgres`.
    pub fn url(&self) -> Option<&str> {
        self.pg.as_ref().map(|pg| pg.url())
    }

    /// What `--db` is given: the PostgreSQL URL or the SQLite file.
    pub fn arg(&self) -> std::ffi::OsString {
        match self.url() {
            Some(url) => url.into(),
            None => self.path().into(),
        }
    }
}

pub struct Server {
    child: Option<Child>,
    pub base: String,
    agent: ureq::Agent,
    stderr_log: PathBuf,
}

pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub text: String,
    pub headers: ureq::http::HeaderMap,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Reply {
    /// The error code of an error body (panics with the body if there is none).
    pub fn code(&self) -> &str {
        self.body["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code in {}: {}", self.status, self.text))
    }
}

impl Server {
    pub fn start(db: &Db) -> Server {
        Server::start_with(db, &[])
    }

    /// Starts `order-server serve` with extra arguments and waits for its "listening" line.
    pub fn start_with(db: &Db, extra: &[&str]) -> Server {
        Server::start_with_env(db, extra, &[])
    }

    /// `start_with`, with extra environment variables for the server process.
    pub fn start_with_env(db: &Db, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let stderr_log = db.dir.path().join(format!(
            "server-{}.log",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let log = std::fs::File::create(&stderr_log).expect("log file");
        let mut child = Command::new(BIN)
            .arg("serve")
            .arg("--db")
            .arg(db.arg())
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .env("RUST_LOG", "warn")
            .env_remove("ORDER_DB")
            .env_remove("ORDER_LISTEN")
            .envs(env.iter().copied())
            .current_dir(db.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("spawn order-server");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("order-server listening on ") {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        let base = match rx.recv_timeout(STARTUP_TIMEOUT) {
            Ok(base) => base,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "server did not start; its log:\n{}",
                    std::fs::read_to_string(&stderr_log).unwrap_or_default()
                );
            }
        };
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .new_agent();
        Server {
            child: Some(child),
            base,
            agent,
            stderr_log,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn get(&self, path: &str) -> Reply {
        reply(self.agent.get(self.url(path)).call())
    }

    pub fn post(&self, path: &str, body: Value) -> Reply {
        self.post_with(path, body, &[])
    }

    pub fn post_with(&self, path: &str, body: Value, headers: &[(&str, &str)]) -> Reply {
        let mut request = self.agent.post(self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        reply(request.send_json(body))
    }

    /// A POST that may fail at the transport level (the server is being killed).
    pub fn try_post(&self, path: &str, body: Value) -> Option<Reply> {
        self.agent
            .post(self.url(path))
            .send_json(body)
            .ok()
            .map(|response| reply(Ok(response)))
    }

    /// A POST with a raw body (malformed JSON, huge payloads).
    pub fn post_raw(&self, path: &str, body: &[u8]) -> Reply {
        reply(
            self.agent
                .post(self.url(path))
                .header("content-type", "application/json")
                .send(body),
        )
    }

    pub fn post_empty(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = self.agent.post(self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        reply(request.send_empty())
    }

    pub fn delete(&self, path: &str) -> Reply {
        self.delete_with(path, &[])
    }

    pub fn delete_with(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = self.agent.delete(self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        reply(request.call())
    }

    pub fn put_empty(&self, path: &str) -> Reply {
        reply(self.agent.put(self.url(path)).send_empty())
    }

    /// Events of one order as returned by `GET /orders/{id}/events` (empty on 404).
    pub fn events_of(&self, order_id: &str) -> Vec<Value> {
        let reply = self.get(&format!("/orders/{}/events", encode(order_id)));
        match reply.status {
            200 => reply.body.as_array().cloned().unwrap_or_default(),
            404 => Vec::new(),
            other => panic!("GET events of {order_id}: {other} {}", reply.text),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// SIGKILL: no chance to flush or clean up.
    pub fn kill_hard(mut self) {
        let mut child = self.child.take().expect("running");
        child.kill().expect("kill -9");
        child.wait().expect("reap");
    }

    /// SIGTERM, then waits for the exit.
    pub fn terminate(self) -> ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(status.success());
        self.terminate_wait()
    }

    /// Waits (bounded) for a server that was sent SIGTERM to exit.
    pub fn terminate_wait(mut self) -> ExitStatus {
        self.wait_exit()
    }

    /// Waits up to 60 s for the process to exit by itself (or by a signal sent earlier);
    /// the log stays readable afterwards.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("server did not exit within 60 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr_log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn reply(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
    let mut response = result.expect("HTTP request failed at the transport level");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_string()
        .expect("read body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        body,
        text,
        headers,
    }
}

/// The whole log as `GET /events` pages it, in position order.
pub fn all_events(server: &Server) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    loop {
        let after = out.last().map_or(0, |e| e["position"].as_u64().unwrap());
        let page = server.get(&format!("/events?after={after}&limit=1000"));
        assert_eq!(page.status, 200, "{}", page.text);
        let page = page.body.as_array().unwrap().clone();
        if page.is_empty() {
            return out;
        }
        out.extend(page);
    }
}

/// Asserts `log` (as `all_events` returns it) has positions exactly 1..N and each stream
/// versions exactly 1..k, in position order.
pub fn assert_gap_free(log: &[Value]) {
    let mut versions: std::collections::HashMap<&str, u64> = Default::default();
    for (index, event) in log.iter().enumerate() {
        assert_eq!(
            event["position"].as_u64(),
            Some(index as u64 + 1),
            "positions are exactly 1..N"
        );
        let stream = event["streamId"].as_str().unwrap();
        let version = versions.entry(stream).or_default();
        *version += 1;
        assert_eq!(
            event["version"].as_u64(),
            Some(*version),
            "{stream} has no gap"
        );
    }
}

/// `clients` threads each create an order and add items to it, `per_client` commands in
/// all, stopping at the first transport failure (the server died); returns how many were
/// acknowledged.
pub fn write_orders(server: &Server, clients: usize, per_client: usize, tag: &str) -> usize {
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..clients)
            .map(|client| {
                scope.spawn(move || {
                    let mut acked = 0;
                    let order = format!("{tag}-{client}");
                    let body = serde_json::json!({"orderId": order, "customerId": "c"});
                    match server.try_post("/orders", body) {
                        Some(reply) if reply.status == 201 => acked += 1,
                        Some(_) => {}
                        None => return acked,
                    }
                    for i in 1..per_client {
                        let body = serde_json::json!(
                            {"productId": format!("p-{i}"), "quantity": 1, "price": "1.00"});
                        match server.try_post(&format!("/orders/{order}/items"), body) {
                            Some(reply) if reply.status == 200 => acked += 1,
                            Some(_) => {}
                            None => break,
                        }
                    }
                    acked
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    })
}

/// Percent-encodes a path segment.
pub fn encode(segment: &str) -> String {
    let mut out = String::new();
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Runs a CLI subcommand that needs no database (bounded by the command's own flags).
pub fn cli_run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("run order-server")
}

/// Runs a CLI subcommand against the database, optionally feeding stdin.
pub fn cli(db: &Db, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .arg("--db")
        .arg(db.arg())
        .env("RUST_LOG", "warn")
        .current_dir(db.dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = command.spawn().expect("spawn order-server");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
        pipe.write_all(input).expect("write stdin");
    }
    child.wait_with_output().expect("wait")
}

/// `cli` that must succeed; returns stdout.
pub fn cli_ok(db: &Db, args: &[&str], stdin: Option<&[u8]>) -> String {
    let output = cli(db, args, stdin);
    assert!(
        output.status.success(),
        "order-server {args:?} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8 stdout")
}

/// Every case of the repository's shared vectors (tests/vectors), in file-name order.
pub fn read_vectors() -> Vec<order_core::testing::vectors::Vector> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/vectors exists")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            let text = std::fs::read_to_string(path).expect("vector readable");
            order_core::testing::vectors::Vector::parse(&name, &text)
                .unwrap_or_else(|e| panic!("{e}"))
        })
        .collect()
}

/// Creates an order through the API and returns its id.
pub fn create_order(server: &Server, order_id: &str, customer_id: &str) {
    let reply = server.post(
        "/orders",
        serde_json::json!({"orderId": order_id, "customerId": customer_id}),
    );
    assert_eq!(reply.status, 201, "create {order_id}: {}", reply.text);
}

pub fn add_item(server: &Server, order_id: &str, product_id: &str, quantity: u32, price: &str) {
    let reply = server.post(
        &format!("/orders/{}/items", encode(order_id)),
        serde_json::json!({"productId": product_id, "quantity": quantity, "price": price}),
    );
    assert_eq!(
        reply.status, 200,
        "add {product_id} to {order_id}: {}",
        reply.text
    );
}
