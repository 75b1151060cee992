//! Group commit on PostgreSQL costs a fixed number of round trips per batch, whatever the
//! number of commands in it. The store's connection goes through a proxy that counts the
//! messages that end a round trip in the PostgreSQL protocol (`Sync` for a prepared
//! statement, `Query` for a simple one), so the figure is what crossed the wire.
#![cfg(feature = "postgres")]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use order_core::{
    AddItem, Command, CommandOptions, CreateOrder, DecimalText, Engine, EngineConfig, EventStore,
    FixedEnvironment, NativeRuntime,
};
use order_store::postgres::testing::TestDatabase;
use order_store::PostgresStore;

/// Frontend codes of the untyped requests that may come before the startup message.
const SSL_REQUEST: u32 = 80_877_103;
const GSSENC_REQUEST: u32 = 80_877_104;

struct CountingProxy {
    port: u16,
    round_trips: Arc<AtomicU64>,
}

impl CountingProxy {
    fn start() -> CountingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let round_trips = Arc::new(AtomicU64::new(0));
        let counter = round_trips.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let client = client.unwrap();
                let server = TcpStream::connect("127.0.0.1:5432").unwrap();
                let (client_in, server_out) =
                    (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || copy(server, client));
                let counter = counter.clone();
                std::thread::spawn(move || count_frontend(client_in, server_out, &counter));
            }
        });
        CountingProxy { port, round_trips }
    }

    fn taken(&self) -> u64 {
        self.round_trips.swap(0, Ordering::SeqCst)
    }
}

fn copy(mut from: TcpStream, mut to: TcpStream) {
    let _ = std::io::copy(&mut from, &mut to);
    let _ = to.shutdown(std::net::Shutdown::Both);
}

fn read_message(from: &mut TcpStream, typed: bool) -> Option<Vec<u8>> {
    let mut head = vec![0u8; if typed { 5 } else { 4 }];
    from.read_exact(&mut head).ok()?;
    let at = head.len() - 4;
    let length = u32::from_be_bytes(head[at..].try_into().unwrap()) as usize;
    let mut body = vec![0u8; length - 4];
    from.read_exact(&mut body).ok()?;
    head.extend(body);
    Some(head)
}

/// Forwards the client's messages to the server, counting `Sync` and `Query`.
fn count_frontend(mut from: TcpStream, mut to: TcpStream, counter: &AtomicU64) {
    while let Some(startup) = read_message(&mut from, false) {
        to.write_all(&startup).unwrap();
        let code = u32::from_be_bytes(startup[4..8].try_into().unwrap());
        if code != SSL_REQUEST && code != GSSENC_REQUEST {
            break;
        }
    }
    while let Some(message) = read_message(&mut from, true) {
        if matches!(message[0], b'S' | b'Q') {
            counter.fetch_add(1, Ordering::SeqCst);
        }
        if to.write_all(&message).is_err() {
            return;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Both);
}

fn create(order: &str) -> Command {
    Command::CreateOrder(CreateOrder {
        order_id: order.into(),
        customer_id: "c-1".into(),
    })
}

fn add(order: &str) -> Command {
    Command::AddItem(AddItem {
        order_id: order.into(),
        product_id: "p".into(),
        quantity: DecimalText::from(1u32),
        price: DecimalText::from("0.10"),
    })
}

fn with_id(id: String) -> CommandOptions {
    CommandOptions {
        command_id: Some(id),
        ..Default::default()
    }
}

#[test]
fn a_batch_costs_four_round_trips_whatever_its_size() {
    let db = TestDatabase::create();
    let proxy = CountingProxy::start();
    let url = db.url().replace(":5432/", &format!(":{}/", proxy.port));
    let mut engine = Engine::with_runtime(
        PostgresStore::open(&url).unwrap(),
        FixedEnvironment::starting_at(Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 0).unwrap()),
        NativeRuntime,
        EngineConfig::default(),
    );
    proxy.taken();

    // New orders: the prefetch finds neither their streams nor their command ids.
    let creates = (0..40).map(|i| (create(&format!("o-{i}")), with_id(format!("create-{i}"))));
    for result in engine.handle_batch(creates).unwrap() {
        result.unwrap();
    }
    assert_eq!(
        proxy.taken(),
        4,
        "BEGIN with the lock, one prefetch, one write of 40 commits, COMMIT"
    );

    // Known orders, each touched twice in the batch, and one command id sent twice.
    let mut adds: Vec<_> = (0..40)
        .map(|i| (add(&format!("o-{}", i % 20)), with_id(format!("add-{i}"))))
        .collect();
    adds.push((add("o-0"), with_id("add-0".into())));
    let results = engine.handle_batch(adds).unwrap();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert!(
        results[40].as_ref().unwrap().replayed,
        "the resent id is a replay"
    );
    assert_eq!(proxy.taken(), 4, "a batch of 41 on known orders");

    let single = engine
        .handle_batch([(add("o-1"), with_id("one".into()))])
        .unwrap();
    single[0].as_ref().unwrap();
    assert_eq!(proxy.taken(), 4, "a batch of one costs the same");

    // What the batches wrote is all there: positions 1..N, each order's versions in order.
    let store = PostgresStore::open(db.url()).unwrap();
    let log = store.read_all(0, usize::MAX).unwrap();
    assert_eq!(log.len(), 81);
    assert!(log
        .iter()
        .enumerate()
        .all(|(i, e)| e.position == i as u64 + 1));
    assert_eq!(store.read_stream("o-1", 0).unwrap().len(), 4);
    assert_eq!(store.last_position().unwrap(), 81);
    assert_eq!(store.projection_checkpoint().unwrap(), 81);
    let record = store.command_record("add-3").unwrap().unwrap();
    assert_eq!((record.order_id.as_str(), record.version), ("o-3", 2));
    assert_eq!(record.positions.len(), 1);
    let view = store.get_view("o-1").unwrap().unwrap();
    assert_eq!((view.version, view.total.to_string().as_str()), (4, "0.30"));
}
