//! Property-based tests of the core over random command sequences and random input bytes.
//! Each property prints how many cases it ran; together they run well over 10,000.

use chrono::{DateTime, Duration, TimeZone, Utc};
use order_core::testing::default_context;
use order_core::{
    decide, envelope_from_json, event_from_json, evolve, evolve_all, initial_state, project_all,
    AddItem, CancelOrder, Command, CommandOptions, Context, CreateOrder, DecimalText, Engine,
    EngineConfig, Event, EventEnvelope, EventStore, FixedEnvironment, ItemAdded, ItemRemoved,
    MemoryStore, Money, NativeRuntime, OrderCancelled, OrderCreated, OrderPlaced, OrderState,
    OrderStatus, OrderView, PlaceOrder, RemoveItem, Snapshot,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const ORDERS: [&str; 3] = ["o-1", "o-2", "o-3"];
const PRODUCTS: [&str; 4] = ["p-1", "p-2", "p-3", "p-4"];

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 0).unwrap()
}

fn quantity_text() -> impl Strategy<Value = DecimalText> {
    prop_oneof![
        6 => (1u32..6).prop_map(DecimalText::from),
        1 => Just(DecimalText::from("0")),
        1 => Just(DecimalText::from("-1")),
        1 => Just(DecimalText::from("1.5")),
        1 => Just(DecimalText::from("1000001")),
    ]
}

fn price_text() -> impl Strategy<Value = DecimalText> {
    prop_oneof![
        4 => prop::sample::select(vec!["0.10", "0.20", "29.99", "49.99", "0", "1234.56"])
            .prop_map(DecimalText::from),
        4 => (0i64..100_000).prop_map(|c| DecimalText::from(Money::from_cents(c))),
        1 => prop::sample::select(vec!["-1", "0.001", "1000000.01", "abc", "1e3"])
            .prop_map(DecimalText::from),
    ]
}

fn command() -> impl Strategy<Value = Command> {
    let order = prop::sample::select(ORDERS.to_vec()).prop_map(String::from);
    let product = prop::sample::select(PRODUCTS.to_vec()).prop_map(String::from);
    prop_oneof![
        2 => (order.clone(), prop::sample::select(vec!["c-1", "c-2", ""]))
            .prop_map(|(o, c)| Command::CreateOrder(CreateOrder { order_id: o, customer_id: c.into() })),
        6 => (order.clone(), product.clone(), quantity_text(), price_text())
            .prop_map(|(o, p, q, pr)| Command::AddItem(AddItem { order_id: o, product_id: p, quantity: q, price: pr })),
        3 => (order.clone(), product, prop::option::of(quantity_text()))
            .prop_map(|(o, p, q)| Command::RemoveItem(RemoveItem { order_id: o, product_id: p, quantity: q })),
        1 => order.clone().prop_map(|o| Command::PlaceOrder(PlaceOrder { order_id: o })),
        1 => (order, prop::option::of("[a-z ]{0,12}"))
            .prop_map(|(o, r)| Command::CancelOrder(CancelOrder { order_id: o, reason: r })),
    ]
}

/// Arbitrary events, including ones `decide` would never produce (wrong order, odd values),
/// to show that `evolve` is total.
fn any_event() -> impl Strategy<Value = Event> {
    let order = prop::sample::select(ORDERS.to_vec()).prop_map(String::from);
    let product = prop::sample::select(PRODUCTS.to_vec()).prop_map(String::from);
    let time = (0i64..1_000_000).prop_map(|s| start() + Duration::seconds(s));
    let money = any::<i64>().prop_map(Money::from_cents);
    prop_oneof![
        (order.clone(), time.clone(), prop::option::of("[a-z]{1,5}")).prop_map(|(o, t, by)| {
            Event::OrderCreated(OrderCreated {
                order_id: o,
                customer_id: "c".into(),
                created_at: t,
                created_by: by,
            })
        }),
        (order.clone(), product.clone(), any::<u32>(), money.clone()).prop_map(|(o, p, q, m)| {
            Event::ItemAdded(ItemAdded {
                order_id: o,
                product_id: p,
                quantity: q,
                price: m,
            })
        }),
        (order.clone(), product, any::<u32>()).prop_map(|(o, p, q)| Event::ItemRemoved(
            ItemRemoved {
                order_id: o,
                product_id: p,
                quantity: q
            }
        )),
        (order.clone(), money, time.clone()).prop_map(|(o, m, t)| Event::OrderPlaced(
            OrderPlaced {
                order_id: o,
                customer_id: "c".into(),
                total: m,
                placed_at: t
            }
        )),
        (order, time, prop::option::of("[a-z ]{0,8}")).prop_map(|(o, t, r)| {
            Event::OrderCancelled(OrderCancelled {
                order_id: o,
                reason: r,
                cancelled_at: t,
            })
        }),
    ]
}

fn run<S: Strategy>(
    name: &str,
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S::Value: std::fmt::Debug,
{
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    if let Err(e) = runner.run(&strategy, test) {
        panic!("property `{name}` failed: {e}");
    }
    println!("property `{name}`: {cases} cases passed");
}

fn sum_of_lines(state: &OrderState) -> Option<Money> {
    let order = state.order.as_ref()?;
    order.items.iter().try_fold(Money::ZERO, |acc, i| {
        i.price
            .checked_mul(i.quantity)
            .and_then(|l| acc.checked_add(l))
    })
}

/// Random command sequences through the engine (snapshots every 3 events): invariants after
/// every step, snapshot + tail = full fold, read model = view of the state, gap-free numbering.
#[test]
fn command_sequences_keep_every_invariant() {
    run(
        "command sequences",
        1_500,
        prop::collection::vec(command(), 1..40),
        |commands| {
            let mut engine = Engine::with_runtime(
                MemoryStore::new(),
                FixedEnvironment::starting_at(start()),
                NativeRuntime,
                EngineConfig {
                    snapshot_every: 3,
                    max_retries: 0,
                    // Smaller than the number of orders a sequence touches, so hits,
                    // misses and evictions all happen.
                    state_cache: 2,
                },
            );
            for command in commands {
                let id = command.order_id().to_string();
                let before = evolve_all(
                    initial_state(),
                    engine.events(&id).unwrap().iter().map(|e| &e.event),
                );
                let result = engine.handle(command.clone(), CommandOptions::default());
                let events = engine.events(&id).unwrap();
                let full = evolve_all(initial_state(), events.iter().map(|e| &e.event));
                if result.is_err() {
                    prop_assert_eq!(&full, &before, "a rejected command changed the stream");
                }
                // Invariants of the state.
                if let Some(order) = &full.order {
                    prop_assert_eq!(
                        Some(order.total),
                        sum_of_lines(&full),
                        "total != sum of lines"
                    );
                    prop_assert!(
                        order.items.iter().all(|i| i.quantity > 0),
                        "a line with quantity 0"
                    );
                    if let Some(prev) = &before.order {
                        if prev.status != OrderStatus::Draft {
                            prop_assert_eq!(&prev.items, &order.items, "items changed after draft");
                        }
                    }
                }
                // Gap-free versions and positions.
                let versions: Vec<u64> = events.iter().map(|e| e.version).collect();
                prop_assert_eq!(versions, (1..=events.len() as u64).collect::<Vec<_>>());
                let all = engine.all_events(0, usize::MAX).unwrap();
                let positions: Vec<u64> = all.iter().map(|e| e.position).collect();
                prop_assert_eq!(positions, (1..=all.len() as u64).collect::<Vec<_>>());
                // Snapshot + tail equals the full fold.
                prop_assert_eq!(&engine.load_state(&id).unwrap(), &full);
                // Read model (stored, and folded from envelopes) equals the view of the state.
                let updated_at = events
                    .last()
                    .map(|e| e.metadata.recorded_at)
                    .unwrap_or_default();
                let from_state = OrderView::from_state(&full, updated_at);
                prop_assert_eq!(&project_all(None, &events), &from_state);
                prop_assert_eq!(&engine.store().get_view(&id).unwrap(), &from_state);
            }
            Ok(())
        },
    );
}

#[test]
fn evolve_is_total_over_arbitrary_events() {
    run(
        "evolve is total",
        3_000,
        prop::collection::vec(any_event(), 0..60),
        |events| {
            let state = events.iter().fold(initial_state(), evolve);
            prop_assert_eq!(state.version, events.len() as u64);
            if let Some(order) = &state.order {
                prop_assert!(order.items.iter().all(|i| i.quantity > 0));
            }
            Ok(())
        },
    );
}

#[test]
fn decide_is_deterministic_and_state_round_trips() {
    let strategy = (prop::collection::vec(command(), 0..25), command());
    run(
        "decide is deterministic",
        2_000,
        strategy,
        |(history, command)| {
            let ctx = default_context();
            let mut state = initial_state();
            for c in &history {
                if let Ok(events) = decide(&state, c, &ctx) {
                    state = evolve_all(state, &events);
                }
            }
            let copy: OrderState =
                serde_json::from_str(&serde_json::to_string(&state).unwrap()).unwrap();
            prop_assert_eq!(&copy, &state);
            let snapshot = Snapshot::of("s", &state);
            prop_assert_eq!(snapshot.restore(), Some(state.clone()));
            prop_assert_eq!(
                decide(&state, &command, &ctx),
                decide(&copy, &command, &ctx)
            );
            Ok(())
        },
    );
}

#[test]
fn json_round_trips_are_identity() {
    let strategy = (command(), any_event(), any::<u64>(), "[a-z0-9-]{1,10}");
    run(
        "JSON round trips",
        3_000,
        strategy,
        |(command, event, n, text)| {
            let c: Command =
                serde_json::from_str(&serde_json::to_string(&command).unwrap()).unwrap();
            prop_assert_eq!(c, command);
            let e: Event = serde_json::from_str(&serde_json::to_string(&event).unwrap()).unwrap();
            prop_assert_eq!(&e, &event);
            let envelope = EventEnvelope {
                event_id: uuid::Uuid::from_u128(u128::from(n)),
                stream_id: event.order_id().to_string(),
                version: n % 1000 + 1,
                position: n,
                event,
                metadata: order_core::Metadata {
                    command_id: Some(text.clone()),
                    actor: Some(text),
                    recorded_at: start(),
                    ..Default::default()
                },
            };
            let text = serde_json::to_string(&envelope).unwrap();
            // Written straight from the typed event, byte for byte the stored form.
            prop_assert_eq!(
                &text,
                &serde_json::to_string(&envelope.to_stored()).unwrap()
            );
            prop_assert_eq!(envelope_from_json(&text).unwrap(), envelope);
            Ok(())
        },
    );
}

#[test]
fn decoders_never_panic_on_arbitrary_input() {
    let bytes = prop::collection::vec(any::<u8>(), 0..200);
    let near_json = prop_oneof![
        bytes.prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        // Valid JSON skeletons with random values reach deeper into the decoders.
        ("(CreateOrder|AddItem|RemoveItem|PlaceOrder|CancelOrder|ItemAdded|OrderCreated)", ".{0,8}", any::<f64>())
            .prop_map(|(t, s, f)| format!(
                r#"{{"type":"{t}","orderId":"{s}","productId":"p","quantity":{f},"price":"{s}","customerId":1}}"#
            )),
    ];
    run("decoders never panic", 3_000, near_json, |text| {
        let _ = Command::from_json(&text);
        let _ = event_from_json(&text);
        let _ = envelope_from_json(&text);
        if let Ok(command) = Command::from_json(&text) {
            let ctx = Context::at(start());
            let _ = decide(&initial_state(), &command, &ctx);
        }
        Ok(())
    });
}

/// A JSON number as a client may write it: integers past i64 and u64, many decimals,
/// exponents, negative zero.
fn json_number_text() -> impl Strategy<Value = String> {
    (
        "-?(0|[1-9][0-9]{0,40})",
        prop::option::of("[0-9]{1,25}"),
        prop::option::of("[eE][+-]?[0-9]{1,3}"),
    )
        .prop_map(|(whole, fraction, exponent)| {
            let mut text = whole;
            if let Some(f) = fraction {
                text = format!("{text}.{f}");
            }
            text + exponent.as_deref().unwrap_or("")
        })
}

/// What a host decodes is what the guest decodes: a command read from client JSON,
/// written again for the sandbox and read there, is the same command (so a number the host
/// accepted can never come back as "the guest could not decode what the host sent").
#[test]
fn client_numbers_cross_the_guest_boundary_unchanged() {
    run(
        "client numbers reach the guest unchanged",
        3_000,
        (json_number_text(), json_number_text()),
        |(quantity, price)| {
            let json = format!(
                r#"{{"type":"AddItem","orderId":"o","productId":"p","quantity":{quantity},"price":{price}}}"#
            );
            let Ok(read) = Command::from_json(&json) else {
                // Out of f64's range (1e400 with a fraction) is refused by the decoder.
                return Ok(());
            };
            let sent = serde_json::to_string(&read).unwrap();
            let again = Command::from_json(&sent)
                .map_err(|e| TestCaseError::fail(format!("{sent}: {e}")))?;
            prop_assert_eq!(again, read);
            Ok(())
        },
    );
}
