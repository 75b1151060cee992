//! A host's clock may step backwards (NTP, a VM resumed) or two processes' clocks may
//! disagree: the engine still stamps a stream's events with non-decreasing `recordedAt`.

use chrono::{DateTime, Duration, TimeZone, Utc};
use order_core::{
    AddItem, Command, CommandOptions, CreateOrder, DecimalText, Engine, EngineConfig, Environment,
    EventStore, MemoryStore, NativeRuntime, PlaceOrder,
};
use uuid::Uuid;

/// A clock that runs backwards: each reading is one minute before the last.
struct BackwardsClock {
    now: DateTime<Utc>,
    next_id: u128,
}

impl Environment for BackwardsClock {
    fn now(&mut self) -> DateTime<Utc> {
        self.now -= Duration::minutes(1);
        self.now
    }

    fn new_event_id(&mut self) -> Uuid {
        self.next_id += 1;
        Uuid::from_u128(self.next_id)
    }
}

fn lifecycle(state_cache: usize) -> Vec<DateTime<Utc>> {
    let clock = BackwardsClock {
        now: Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap(),
        next_id: 0,
    };
    let config = EngineConfig {
        state_cache,
        ..EngineConfig::default()
    };
    let mut engine = Engine::with_runtime(MemoryStore::new(), clock, NativeRuntime, config);
    let add = |product: &str| {
        Command::AddItem(AddItem {
            order_id: "o-1".into(),
            product_id: product.into(),
            quantity: DecimalText::from(1),
            price: DecimalText::from("1.00"),
        })
    };
    for command in [
        Command::CreateOrder(CreateOrder {
            order_id: "o-1".into(),
            customer_id: "c-1".into(),
        }),
        add("a"),
        add("b"),
        Command::PlaceOrder(PlaceOrder {
            order_id: "o-1".into(),
        }),
    ] {
        engine.handle(command, CommandOptions::default()).unwrap();
    }
    let events = engine.store().read_stream("o-1", 0).unwrap();
    assert_eq!(events.len(), 4);
    events.iter().map(|e| e.metadata.recorded_at).collect()
}

#[test]
fn recorded_at_never_goes_backwards_within_a_stream() {
    // With the state cache (the view remembered) and without it (the view read back).
    for state_cache in [0, 16] {
        let times = lifecycle(state_cache);
        assert!(
            times.windows(2).all(|w| w[0] <= w[1]),
            "state_cache {state_cache}: {times:?}"
        );
    }
}
