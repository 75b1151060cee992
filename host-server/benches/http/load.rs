//! The load generator: every client is a task on one thread (a current-thread tokio
//! runtime), each with its own keep-alive HTTP/1.1 connection (hyper's client). Blocking
//! clients need a thread each, and on two cores their context switches cost about as much
//! CPU as the server's work; here the generator stays on one core, and its CPU time is
//! measured (with the server's) so the table can say what the generator took.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{CONTENT_TYPE, HOST};
use hyper::Request;
use hyper_util::rt::TokioIo;
use serde_json::json;

/// What a load produced: every command's latency, the wall time, and the CPU the load
/// generator itself used meanwhile.
pub struct Load {
    pub latencies: Vec<Duration>,
    pub elapsed: Duration,
    pub generator_cpu: Duration,
}

/// `orders` lifecycles per client from `concurrency` clients, client `i` talking to
/// `bases[i % bases.len()]` (`http://host:port`).
pub fn run(bases: &[String], concurrency: usize, orders: usize) -> Load {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime for the load generator");
    let cpu_before = process_cpu(std::process::id());
    let started = Instant::now();
    let latencies = runtime.block_on(async {
        let clients: Vec<_> = (0..concurrency)
            .map(|client| {
                let base = bases[client % bases.len()].clone();
                tokio::spawn(async move { client_lifecycles(&base, client, orders).await })
            })
            .collect();
        let mut latencies = Vec::with_capacity(concurrency * orders * super::COMMANDS_PER_ORDER);
        for client in clients {
            latencies.extend(client.await.expect("a client task"));
        }
        latencies
    });
    Load {
        latencies,
        elapsed: started.elapsed(),
        generator_cpu: process_cpu(std::process::id()).saturating_sub(cpu_before),
    }
}

/// User + system CPU time of process `pid`, all its threads (from /proc; Linux reports it
/// in USER_HZ ticks, 100 per second on every mainstream kernel).
pub fn process_cpu(pid: u32) -> Duration {
    const TICKS_PER_SECOND: u64 = 100;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces), counted from `state` = 3.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: u64 = after_name
        .split_whitespace()
        .skip(11) // state .. cmajflt: fields 3..=13
        .take(2) // utime, stime: fields 14 and 15
        .filter_map(|f| f.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND)
}

async fn client_lifecycles(base: &str, client: usize, orders: usize) -> Vec<Duration> {
    let authority = base.trim_start_matches("http://").to_string();
    let stream = tokio::net::TcpStream::connect(&authority)
        .await
        .expect("connect to the server");
    stream.set_nodelay(true).expect("TCP_NODELAY");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("HTTP/1.1 handshake");
    tokio::spawn(connection);
    let mut latencies = Vec::with_capacity(orders * super::COMMANDS_PER_ORDER);
    for n in 0..orders {
        let order = format!("bench-{client}-{n}");
        let create = json!({"orderId": order, "customerId": format!("c-{client}")});
        latencies.push(post(&mut sender, &authority, "/orders", Some(create)).await);
        for (product, price) in [("product-456", "29.99"), ("product-789", "49.99")] {
            let item = json!({"productId": product, "quantity": 1, "price": price});
            let path = format!("/orders/{order}/items");
            latencies.push(post(&mut sender, &authority, &path, Some(item)).await);
        }
        let path = format!("/orders/{order}/place");
        latencies.push(post(&mut sender, &authority, &path, None).await);
    }
    latencies
}

/// One POST, answered in full; panics on anything but a success (a benchmark of failing
/// requests measures nothing).
async fn post(
    sender: &mut SendRequest<http_body_util::Either<Full<Bytes>, Empty<Bytes>>>,
    authority: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> Duration {
    use http_body_util::Either;
    let request = Request::post(path).header(HOST, authority);
    let request = match body {
        Some(body) => request
            .header(CONTENT_TYPE, "application/json")
            .body(Either::Left(Full::new(Bytes::from(body.to_string())))),
        None => request.body(Either::Right(Empty::new())),
    }
    .expect("a valid request");
    let started = Instant::now();
    sender.ready().await.expect("the connection is ready");
    let response = sender
        .send_request(request)
        .await
        .expect("the server answers");
    let status = response.status();
    let answer = response
        .into_body()
        .collect()
        .await
        .expect("the whole answer")
        .to_bytes();
    let latency = started.elapsed();
    assert!(
        status.is_success(),
        "POST {path}: {status} {}",
        String::from_utf8_lossy(&answer)
    );
    latency
}
