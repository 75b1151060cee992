//! Two engines, each with its own connection and state cache, writing one SQLite file in a
//! random interleaving, plus group commits that are rolled back after the engine saw them
//! succeed. Every command must get exactly the answer a fresh load of the file would give:
//! a cached state that another writer (or a rollback) made stale must never be decided on.

use chrono::{DateTime, Duration, TimeZone, Utc};
use order_core::{
    decide, evolve_all, initial_state, AddItem, CancelOrder, Command, CommandOptions, Context,
    CreateOrder, DecimalText, Engine, EngineConfig, EngineError, Event, EventStore,
    FixedEnvironment, NativeRuntime, OrderState, PlaceOrder, RemoveItem,
};
use order_store::{SqliteStore, Synchronous};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const ORDERS: [&str; 2] = ["o-1", "o-2"];

#[derive(Debug, Clone)]
struct Step {
    /// Which engine runs the command (0 or 1).
    engine: usize,
    command: Command,
    /// None: no expected version; Some(0): the current one; Some(1): one behind.
    expected_lag: Option<u64>,
    /// Run it in a group commit that is then rolled back.
    rolled_back: bool,
}

fn command() -> impl Strategy<Value = Command> {
    let order = prop::sample::select(ORDERS.to_vec()).prop_map(String::from);
    let product = prop::sample::select(vec!["p-1", "p-2"]).prop_map(String::from);
    prop_oneof![
        2 => order.clone().prop_map(|o| Command::CreateOrder(CreateOrder {
            order_id: o,
            customer_id: "c-1".into(),
        })),
        5 => (order.clone(), product.clone(), 1u32..4, prop::sample::select(vec!["0.10", "29.99"]))
            .prop_map(|(o, p, q, price)| Command::AddItem(AddItem {
                order_id: o,
                product_id: p,
                quantity: DecimalText::from(q),
                price: DecimalText::from(price),
            })),
        2 => (order.clone(), product).prop_map(|(o, p)| Command::RemoveItem(RemoveItem {
            order_id: o,
            product_id: p,
            quantity: Some(DecimalText::from(1u32)),
        })),
        1 => order.clone().prop_map(|o| Command::PlaceOrder(PlaceOrder { order_id: o })),
        1 => order.prop_map(|o| Command::CancelOrder(CancelOrder { order_id: o, reason: None })),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    (
        0usize..2,
        command(),
        prop_oneof![4 => Just(None), 2 => Just(Some(0u64)), 1 => Just(Some(1u64))],
        prop::bool::weighted(0.15),
    )
        .prop_map(|(engine, command, expected_lag, rolled_back)| Step {
            engine,
            command,
            expected_lag,
            rolled_back,
        })
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 0).unwrap()
}

/// Engine `n` of a test: its own connection, clock and range of event ids.
fn engine(path: &std::path::Path, n: u32) -> Engine<SqliteStore, FixedEnvironment> {
    let store = SqliteStore::open(path, Synchronous::Normal).unwrap();
    let env = FixedEnvironment {
        next_id: (u128::from(n) << 64) + 1,
        ..FixedEnvironment::starting_at(start() + Duration::days(i64::from(n)))
    };
    Engine::with_runtime(
        store,
        env,
        NativeRuntime,
        EngineConfig {
            snapshot_every: 3,
            ..EngineConfig::default()
        },
    )
}

/// What a fresh load of the file says the command should produce, given the stream as it
/// was before the command: its events, or the code of the error.
fn reference(
    before: &OrderState,
    command: &Command,
    expected: Option<u64>,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, String> {
    if expected.is_some_and(|v| v != before.version) {
        return Err("concurrency_conflict".into());
    }
    let ctx = Context { now, actor: None };
    decide(before, command, &ctx).map_err(|e| e.code().to_string())
}

fn run_steps(steps: Vec<Step>) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.db");
    let mut engines = [engine(&path, 0), engine(&path, 1)];
    let reader = SqliteStore::open(&path, Synchronous::Normal).unwrap();
    for (index, step) in steps.into_iter().enumerate() {
        let history = reader.read_stream(step.command.order_id(), 0).unwrap();
        let before = evolve_all(initial_state(), history.iter().map(|e| &e.event));
        let current = before.version;
        let expected = step.expected_lag.map(|lag| current.saturating_sub(lag));
        let options = CommandOptions {
            expected_version: expected,
            ..CommandOptions::default()
        };
        let engine = &mut engines[step.engine];
        if step.rolled_back {
            // The engine sees its commit succeed; the batch around it never lands.
            engine.store_mut().begin_batch().unwrap();
            let _ = engine.handle(step.command.clone(), options);
            engine.store_mut().abort_batch();
            let after = reader.read_stream(step.command.order_id(), 0).unwrap();
            prop_assert_eq!(
                after.len() as u64,
                current,
                "a rolled-back batch left events"
            );
            continue;
        }
        let got = engine.handle(step.command.clone(), options);
        let now = match &got {
            Ok(outcome) if !outcome.events.is_empty() => outcome.events[0].metadata.recorded_at,
            _ => start(),
        };
        let want = reference(&before, &step.command, expected, now);
        match (&got, &want) {
            (Ok(outcome), Ok(events)) => {
                let got_events: Vec<_> = outcome.events.iter().map(|e| e.event.clone()).collect();
                prop_assert_eq!(&got_events, events, "step {}: events decided", index);
                let stream = reader.read_stream(step.command.order_id(), 0).unwrap();
                prop_assert_eq!(stream.len() as u64, current + events.len() as u64);
            }
            (Err(e), Err(code)) => {
                prop_assert_eq!(e.code(), code.as_str(), "step {}: {:?}", index, step);
            }
            (got, want) => {
                return Err(TestCaseError::fail(format!(
                    "step {index} {step:?}: engine said {got:?}, a fresh load says {want:?}"
                )))
            }
        }
    }
    for engine in &mut engines {
        let report = engine.verify(100).unwrap();
        prop_assert!(
            report.mismatches.is_empty(),
            "read model differs from the log: {:?}",
            report.mismatches
        );
    }
    Ok(())
}

#[test]
fn cached_states_never_outlive_other_writers_or_rollbacks() {
    let cases = 150;
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&prop::collection::vec(step(), 1..40), run_steps);
    if let Err(e) = result {
        panic!("property failed: {e}");
    }
    println!("property `two cached engines on one file`: {cases} cases passed");
}

#[test]
fn a_stale_cache_with_a_matching_expected_version_is_a_conflict_not_a_lost_update() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stale.db");
    let (mut a, mut b) = (engine(&path, 0), engine(&path, 1));
    let create = Command::CreateOrder(CreateOrder {
        order_id: "o-1".into(),
        customer_id: "c-1".into(),
    });
    let add = |product: &str, price: &str| {
        Command::AddItem(AddItem {
            order_id: "o-1".into(),
            product_id: product.into(),
            quantity: DecimalText::from(1u32),
            price: DecimalText::from(price),
        })
    };
    a.handle(create, CommandOptions::default()).unwrap();
    // a caches version 1; b appends version 2 behind its back.
    b.handle(add("p-1", "1.00"), CommandOptions::default())
        .unwrap();
    let stale = CommandOptions {
        expected_version: Some(1),
        ..CommandOptions::default()
    };
    match a.handle(add("p-2", "2.00"), stale) {
        Err(EngineError::Concurrency {
            expected, actual, ..
        }) => assert_eq!((expected, actual), (1, 2)),
        other => panic!("expected a concurrency conflict, got {other:?}"),
    }
    // Without an expected version, a reloads and decides on version 2.
    let outcome = a
        .handle(add("p-2", "2.00"), CommandOptions::default())
        .unwrap();
    assert_eq!(outcome.version, 3);
    let view = a.get_order("o-1", None).unwrap().unwrap();
    assert_eq!(view.total.to_string(), "3.00");
}
