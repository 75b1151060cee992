//! Clients that keep a ledger: each sends a stream of mixed commands (create, add, remove,
//! place, cancel, and now and then a bad input), every one under its own commandId
//! (`Idempotency-Key`). A 2xx is an acknowledgement; a transport error (the server was
//! killed) or a 503/507 is retried with the same commandId until it is answered, against
//! whatever address the server has now. `check_exactly_once` then holds the store to the
//! ledger.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::Server;

/// How long one command may stay unanswered (server down, disk full) before the test fails.
const GIVE_UP_AFTER: Duration = Duration::from_secs(120);

/// The server's current base URL: a restarted server listens on a new port.
pub struct Target(RwLock<String>);

impl Target {
    pub fn new(base: &str) -> Target {
        Target(RwLock::new(base.to_string()))
    }
    pub fn set(&self, base: &str) {
        *self.0.write().unwrap() = base.to_string();
    }
    fn get(&self) -> String {
        self.0.read().unwrap().clone()
    }
}

#[derive(Clone, Debug)]
pub struct Ack {
    pub order: String,
    pub version: u64,
}

#[derive(Default)]
pub struct Ledger {
    pub acked: Mutex<HashMap<String, Ack>>,
    /// Bad inputs answered 422: they must never be written.
    pub rejected: Mutex<HashSet<String>>,
    /// Answers that break the promise (a 500, a bad input accepted, an unexpected 4xx).
    pub failures: Mutex<Vec<String>>,
    pub attempts: AtomicUsize,
    /// Attempts that resent a commandId after a transport error or a 503/507.
    pub resent: AtomicUsize,
    pub transport_errors: AtomicUsize,
    pub statuses: Mutex<BTreeMap<u16, usize>>,
    /// 503 answers without a Retry-After header.
    pub missing_retry_after: AtomicUsize,
    /// Time to answer of every answered attempt.
    pub latencies: Mutex<Vec<Duration>>,
}

enum Method {
    Post,
    Delete,
}

pub struct Cmd {
    pub id: String,
    method: Method,
    path: String,
    body: Option<Value>,
    /// A client mistake (quantity 0): must answer 422 and write nothing.
    bad: bool,
}

fn post(id: String, path: String, body: Option<Value>) -> Cmd {
    Cmd {
        id,
        method: Method::Post,
        path,
        body,
        bad: false,
    }
}

/// The commands of one order: create, three adds, a partial remove, a bad input on every
/// third order, then place (two orders in three) or cancel; every fifth placed order is
/// cancelled afterwards. Every good command writes exactly one event.
pub fn script(prefix: &str, client: usize, order_no: usize) -> Vec<Cmd> {
    let order = format!("{prefix}-{client}-{order_no}");
    let id = |step: &str| format!("{order}/{step}");
    let items = format!("/orders/{order}/items");
    let mut cmds = vec![post(
        id("create"),
        "/orders".into(),
        Some(json!({"orderId": order, "customerId": format!("c-{client}")})),
    )];
    for (product, quantity, price) in [("p1", 2, "1.25"), ("p2", 3, "0.10"), ("p3", 1, "0.20")] {
        cmds.push(post(
            id(product),
            items.clone(),
            Some(json!({"productId": product, "quantity": quantity, "price": price})),
        ));
    }
    cmds.push(Cmd {
        id: id("remove"),
        method: Method::Delete,
        path: format!("{items}/p2?quantity=1"),
        body: None,
        bad: false,
    });
    if order_no.is_multiple_of(3) {
        let mut bad = post(
            id("bad"),
            items.clone(),
            Some(json!({"productId": "p9", "quantity": 0, "price": "1.00"})),
        );
        bad.bad = true;
        cmds.push(bad);
    }
    if order_no % 3 == 2 {
        cmds.push(post(
            id("cancel"),
            format!("/orders/{order}/cancel"),
            Some(json!({"reason": "changed mind"})),
        ));
    } else {
        cmds.push(post(id("place"), format!("/orders/{order}/place"), None));
        if order_no.is_multiple_of(5) {
            cmds.push(post(
                id("cancel"),
                format!("/orders/{order}/cancel"),
                Some(json!({})),
            ));
        }
    }
    cmds
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .new_agent()
}

impl Ledger {
    pub fn acked_count(&self) -> usize {
        self.acked.lock().unwrap().len()
    }

    pub fn acked_snapshot(&self) -> HashMap<String, Ack> {
        self.acked.lock().unwrap().clone()
    }

    pub fn count(&self, status: u16) -> usize {
        self.statuses
            .lock()
            .unwrap()
            .get(&status)
            .copied()
            .unwrap_or(0)
    }

    fn fail(&self, message: String) {
        self.failures.lock().unwrap().push(message);
    }

    /// Runs the scripts of one client until `stop`, order after order.
    pub fn client(&self, target: &Target, prefix: &str, client: usize, stop: &AtomicBool) {
        let agent = agent();
        for order_no in 0.. {
            for cmd in script(prefix, client, order_no) {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                self.run(&agent, target, &cmd);
            }
        }
    }

    /// Sends one command until it is answered for good: acknowledged, or rejected (422).
    pub fn run(&self, agent: &ureq::Agent, target: &Target, cmd: &Cmd) {
        let started = Instant::now();
        let mut first = true;
        loop {
            if started.elapsed() > GIVE_UP_AFTER {
                self.fail(format!("{}: unanswered for {GIVE_UP_AFTER:?}", cmd.id));
                return;
            }
            if !first {
                self.resent.fetch_add(1, Ordering::Relaxed);
            }
            first = false;
            self.attempts.fetch_add(1, Ordering::Relaxed);
            let url = format!("{}{}", target.get(), cmd.path);
            let sent_at = Instant::now();
            let result = match (&cmd.method, &cmd.body) {
                (Method::Post, Some(body)) => agent
                    .post(&url)
                    .header("idempotency-key", &cmd.id)
                    .send_json(body),
                (Method::Post, None) => agent
                    .post(&url)
                    .header("idempotency-key", &cmd.id)
                    .send_empty(),
                (Method::Delete, _) => agent.delete(&url).header("idempotency-key", &cmd.id).call(),
            };
            let mut response = match result {
                Ok(response) => response,
                Err(_) => {
                    // The server is gone (killed) or not listening yet: retry, same id.
                    self.transport_errors.fetch_add(1, Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(25));
                    continue;
                }
            };
            let status = response.status().as_u16();
            let retry_after = response.headers().contains_key("retry-after");
            let text = match response.body_mut().read_to_string() {
                Ok(text) => text,
                Err(_) => {
                    self.transport_errors.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
            };
            self.latencies.lock().unwrap().push(sent_at.elapsed());
            *self.statuses.lock().unwrap().entry(status).or_default() += 1;
            match status {
                200 | 201 if !cmd.bad => {
                    let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                    let (Some(order), Some(version)) =
                        (body["orderId"].as_str(), body["version"].as_u64())
                    else {
                        self.fail(format!(
                            "{}: {status} without orderId/version: {text}",
                            cmd.id
                        ));
                        return;
                    };
                    let ack = Ack {
                        order: order.to_string(),
                        version,
                    };
                    self.acked.lock().unwrap().insert(cmd.id.clone(), ack);
                    return;
                }
                422 if cmd.bad => {
                    self.rejected.lock().unwrap().insert(cmd.id.clone());
                    return;
                }
                503 | 507 => {
                    if status == 503 && !retry_after {
                        self.missing_retry_after.fetch_add(1, Ordering::Relaxed);
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                _ => {
                    self.fail(format!("{}: unexpected {status}: {text}", cmd.id));
                    return;
                }
            }
        }
    }

    /// Panics with every answer that broke the promise.
    pub fn assert_no_failures(&self) {
        let failures = self.failures.lock().unwrap();
        assert!(
            failures.is_empty(),
            "{} bad answers, first: {:?}",
            failures.len(),
            &failures[..failures.len().min(5)]
        );
    }
}

/// Every event of the store, read page by page through `/events`.
pub fn all_events(server: &Server) -> Vec<Value> {
    let mut events = Vec::new();
    loop {
        let after = events.len();
        let page = server.get(&format!("/events?after={after}&limit=1000"));
        assert_eq!(page.status, 200, "GET /events: {}", page.text);
        let page = page.body.as_array().expect("an array").clone();
        if page.is_empty() {
            return events;
        }
        events.extend(page);
    }
}

pub struct Present {
    pub events: usize,
    /// Acknowledged commands found exactly once.
    pub acked_present: usize,
    /// Commands present that the ledger holds no acknowledgement for (read right after a
    /// crash: committed, but the server died before the answer reached the client).
    pub unacknowledged_present: usize,
}

/// The store against the ledger: positions 1..N without gaps, each stream's versions
/// 1..n, every event naming its command, every acknowledged command present exactly once
/// with the stream and version it was acknowledged with, no rejected command present and
/// no command written twice.
pub fn check_exactly_once(
    events: &[Value],
    acked: &HashMap<String, Ack>,
    rejected: &HashSet<String>,
) -> Present {
    let mut versions: HashMap<&str, u64> = HashMap::new();
    let mut by_command: HashMap<&str, Vec<(&str, u64)>> = HashMap::new();
    for (index, event) in events.iter().enumerate() {
        let position = event["position"].as_u64().expect("a position");
        assert_eq!(position, index as u64 + 1, "positions must be gap-free");
        let stream = event["streamId"].as_str().expect("a streamId");
        let version = event["version"].as_u64().expect("a version");
        let last = versions.entry(stream).or_default();
        assert_eq!(
            version,
            *last + 1,
            "stream {stream}: versions must be gap-free"
        );
        *last = version;
        let command = event["metadata"]["commandId"]
            .as_str()
            .unwrap_or_else(|| panic!("event at {position} names no command: {event}"));
        by_command
            .entry(command)
            .or_default()
            .push((stream, version));
    }
    for (command, found) in &by_command {
        assert_eq!(found.len(), 1, "command {command} was written {found:?}");
    }
    for (command, ack) in acked {
        let found = by_command
            .get(command.as_str())
            .unwrap_or_else(|| panic!("acknowledged command {command} ({ack:?}) is lost"));
        assert_eq!(
            found[0],
            (ack.order.as_str(), ack.version),
            "command {command} acknowledged as {ack:?}"
        );
    }
    for command in rejected {
        assert!(
            !by_command.contains_key(command.as_str()),
            "rejected command {command} was written"
        );
    }
    Present {
        events: events.len(),
        acked_present: acked.len(),
        unacknowledged_present: by_command.len() - acked.len(),
    }
}

/// Sets the flag when dropped: a failed assertion inside a thread scope stops the clients
/// instead of leaving the scope waiting for them forever.
pub struct StopOnDrop<'a>(pub &'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}
