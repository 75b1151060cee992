//! Native throughput of the core: replay (evolve) events/s, decide commands/s, and the
//! in-memory Engine's full order lifecycle commands/s. Run: `cargo bench -p order-core`.

use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use order_core::testing::default_context;
use order_core::{
    decide, evolve_all, initial_state, AddItem, Command, CommandOptions, CreateOrder, DecimalText,
    Engine, Event, FixedEnvironment, ItemAdded, MemoryStore, Money, OrderCreated, PlaceOrder,
};

fn history(lines: usize) -> Vec<Event> {
    let mut events = vec![Event::OrderCreated(OrderCreated {
        order_id: "o-1".into(),
        customer_id: "c-1".into(),
        created_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        created_by: None,
    })];
    events.extend((0..lines).map(|i| {
        Event::ItemAdded(ItemAdded {
            order_id: "o-1".into(),
            product_id: format!("p-{}", i % 10),
            quantity: 1,
            price: Money::from_cents(1999),
        })
    }));
    events
}

fn add_item(order: &str, product: &str, price: &str) -> Command {
    Command::AddItem(AddItem {
        order_id: order.into(),
        product_id: product.into(),
        quantity: DecimalText::from(2u32),
        price: DecimalText::from(price),
    })
}

fn replay(c: &mut Criterion) {
    let events = history(999);
    let mut group = c.benchmark_group("replay");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("evolve 1000 events", |b| {
        b.iter(|| evolve_all(initial_state(), &events))
    });
    group.finish();
}

fn decisions(c: &mut Criterion) {
    let state = evolve_all(initial_state(), &history(49));
    let ctx = default_context();
    let command = add_item("o-1", "p-3", "19.99");
    let mut group = c.benchmark_group("decide");
    group.throughput(Throughput::Elements(1));
    group.bench_function("AddItem on a 10-line order", |b| {
        b.iter(|| decide(&state, &command, &ctx))
    });
    group.finish();
}

fn lifecycle(c: &mut Criterion) {
    const ORDERS: usize = 1_000;
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements((ORDERS * 4) as u64));
    group.sample_size(20);
    group.bench_function("lifecycle: create, 2 x add, place (in memory)", |b| {
        b.iter_batched(
            || {
                Engine::new(
                    MemoryStore::new(),
                    FixedEnvironment::starting_at(
                        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
                    ),
                )
            },
            |mut engine| {
                for i in 0..ORDERS {
                    let id = format!("o-{i}");
                    let opts = CommandOptions::default;
                    engine
                        .handle(
                            Command::CreateOrder(CreateOrder {
                                order_id: id.clone(),
                                customer_id: "c-1".into(),
                            }),
                            opts(),
                        )
                        .unwrap();
                    engine
                        .handle(add_item(&id, "p-1", "29.99"), opts())
                        .unwrap();
                    engine
                        .handle(add_item(&id, "p-2", "49.99"), opts())
                        .unwrap();
                    engine
                        .handle(Command::PlaceOrder(PlaceOrder { order_id: id }), opts())
                        .unwrap();
                }
                engine
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, replay, decisions, lifecycle);
criterion_main!(benches);
