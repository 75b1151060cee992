//! Per-command cost inside wasmtime beside the native core, for the same inputs: a whole
//! command (decide, evolve and project in one guest call) of AddItem on an order with 10
//! lines, what passing that order's state and view in and out costs by itself, the
//! decision alone, and the folds of a 50-event stream.
//! Prints ns/op for each runtime and the ratio. Run: scripts/bench-guest.sh
//! (BENCH_GUEST=file.wasm measures another guest component instead of the embedded one).
//! With `BENCH_JSONL=file` each row is also appended there as JSON lines (`shared/jsonl.rs`).

#[path = "shared/jsonl.rs"]
mod jsonl;

use std::hint::black_box;
use std::time::{Duration, Instant};

use order_core::testing::default_context;
use order_core::{
    evolve_all, initial_state, project_all, AddItem, Command, DomainRuntime, Event, EventEnvelope,
    ItemAdded, Metadata, Money, NativeRuntime, OrderCreated,
};
use order_server::wasm::{GuestModule, WasmRuntime};

const ORDER: &str = "o-bench";

fn history(lines: usize) -> Vec<Event> {
    let mut events = vec![Event::OrderCreated(OrderCreated {
        order_id: ORDER.into(),
        customer_id: "c-1".into(),
        created_at: default_context().now,
        created_by: Some("bench".into()),
    })];
    events.extend((0..lines).map(|i| {
        Event::ItemAdded(ItemAdded {
            order_id: ORDER.into(),
            product_id: format!("p-{i}"),
            quantity: 2,
            price: Money::parse("29.99").expect("a valid price"),
        })
    }));
    events
}

fn add_item() -> Command {
    Command::AddItem(AddItem {
        order_id: ORDER.into(),
        product_id: "p-new".into(),
        quantity: 3.into(),
        price: "49.99".into(),
    })
}

fn envelopes(events: &[Event]) -> Vec<EventEnvelope> {
    let at = default_context().now;
    events
        .iter()
        .zip(1..)
        .map(|(event, version)| EventEnvelope {
            event_id: uuid::Uuid::from_u128(version as u128),
            stream_id: ORDER.into(),
            version,
            position: version,
            event: event.clone(),
            metadata: Metadata {
                recorded_at: at,
                ..Metadata::default()
            },
        })
        .collect()
}

/// Mean ns per call of `op`, over as many calls as fit in `budget` after a warm-up.
fn ns_per_op(budget: Duration, mut op: impl FnMut()) -> f64 {
    for _ in 0..100 {
        op();
    }
    let start = Instant::now();
    let mut calls: u64 = 0;
    while start.elapsed() < budget {
        for _ in 0..50 {
            op();
        }
        calls += 50;
    }
    start.elapsed().as_nanos() as f64 / calls as f64
}

fn row(name: &str, native: f64, wasm: f64) {
    println!(
        "{name:<48} {native:>12.0} {wasm:>12.0} {:>8.1}x",
        wasm / native
    );
    for (system, runtime, ns) in [
        ("ours", "wasmtime guest", wasm),
        ("floor", "native", native),
    ] {
        let figure = jsonl::Figure {
            group: "decisions",
            row: name,
            system,
            name: runtime,
            durability: "memory",
            n: 1,
        };
        figure.emit(&[("ns/op", ns)]);
    }
}

fn main() {
    let budget = Duration::from_millis(
        std::env::var("BENCH_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1500),
    );
    let started = Instant::now();
    // BENCH_GUEST=file.wasm measures another build of the guest (as `serve --guest` would run it).
    let (module, size) = match std::env::var_os("BENCH_GUEST") {
        Some(path) => {
            let bytes = std::fs::read(&path).expect("BENCH_GUEST is readable");
            let module = GuestModule::from_bytes(&bytes).expect("BENCH_GUEST loads");
            (module, bytes.len())
        }
        None => (
            GuestModule::embedded().expect("the embedded guest loads"),
            order_server::wasm::EMBEDDED_GUEST.len(),
        ),
    };
    println!(
        "guest {} ({size} bytes), compiled in {:.0} ms",
        &module.hash()[..16],
        started.elapsed().as_secs_f64() * 1e3
    );

    let ctx = default_context();
    let recorded_at = ctx.now;
    let ten_lines = evolve_all(initial_state(), &history(10));
    let ten_line_view = project_all(None, &envelopes(&history(10)));
    let command = add_item();
    let stream = history(49);
    let log = envelopes(&stream);

    let mut native = NativeRuntime;
    let mut wasm = WasmRuntime::new(module.clone());
    let mut fresh = WasmRuntime::new(module).reuse_instances(false);
    let whole_command = |runtime: &mut dyn DomainRuntime| {
        runtime
            .handle(
                black_box(ten_lines.clone()),
                ten_line_view.clone(),
                &command,
                &ctx,
                recorded_at,
            )
            .unwrap()
            .unwrap()
    };

    // Same answer from every runtime before timing anything.
    assert_eq!(whole_command(&mut wasm), whole_command(&mut native));
    assert_eq!(
        wasm.evolve(initial_state(), &stream).unwrap(),
        native.evolve(initial_state(), &stream).unwrap()
    );
    assert_eq!(
        wasm.project(None, &log).unwrap(),
        native.project(None, &log).unwrap()
    );

    println!(
        "{:<48} {:>12} {:>12} {:>9}",
        "operation (ns/op)", "native", "wasmtime", "ratio"
    );
    let native_whole = ns_per_op(budget, || {
        black_box(whole_command(&mut native));
    });
    let wasm_whole = ns_per_op(budget, || {
        black_box(whole_command(&mut wasm));
    });
    row(
        "whole command: AddItem on a 10-line order",
        native_whole,
        wasm_whole,
    );
    // The floor of this interface: the same 10-line state and view into the guest and back
    // with nothing folded (`evolve` and `project` of no events), which every `handle` call
    // also pays. Native does the same as two clones.
    let crossing = |runtime: &mut dyn DomainRuntime| {
        black_box(runtime.evolve(black_box(ten_lines.clone()), &[]).unwrap());
        black_box(
            runtime
                .project(black_box(ten_line_view.clone()), &[])
                .unwrap(),
        );
    };
    let native_crossing = ns_per_op(budget, || crossing(&mut native));
    let wasm_crossing = ns_per_op(budget, || crossing(&mut wasm));
    row(
        "crossing only: 10-line state and view, in and out",
        native_crossing,
        wasm_crossing,
    );
    let native_decide = ns_per_op(budget, || {
        black_box(
            native
                .decide(black_box(&ten_lines), &command, &ctx)
                .unwrap(),
        )
        .ok();
    });
    let wasm_decide = ns_per_op(budget, || {
        black_box(wasm.decide(black_box(&ten_lines), &command, &ctx).unwrap()).ok();
    });
    row(
        "decide alone: AddItem, 10-line order",
        native_decide,
        wasm_decide,
    );

    let native_evolve = ns_per_op(budget, || {
        black_box(native.evolve(initial_state(), black_box(&stream)).unwrap());
    });
    let wasm_evolve = ns_per_op(budget, || {
        black_box(wasm.evolve(initial_state(), black_box(&stream)).unwrap());
    });
    row("evolve 50-event stream", native_evolve, wasm_evolve);
    let native_project = ns_per_op(budget, || {
        black_box(native.project(None, black_box(&log)).unwrap());
    });
    let wasm_project = ns_per_op(budget, || {
        black_box(wasm.project(None, black_box(&log)).unwrap());
    });
    row("project 50-event stream", native_project, wasm_project);

    let fresh_whole = ns_per_op(budget, || {
        black_box(whole_command(&mut fresh));
    });
    row(
        "whole command, new instance per call",
        native_whole,
        fresh_whole,
    );
    // What the fuel budget has to cover (SandboxLimits: per call + per input value).
    whole_command(&mut wasm);
    let command_fuel = wasm.last_fuel_used().unwrap_or_default();
    wasm.evolve(initial_state(), &stream).unwrap();
    let evolve_fuel = wasm.last_fuel_used().unwrap_or_default();
    let limits = wasm.limits();
    println!(
        "fuel used: whole command {command_fuel}, evolve {evolve_fuel} ({:.0} per event); budget {} per call + {} per input value",
        evolve_fuel as f64 / stream.len() as f64,
        limits.fuel_per_call,
        limits.fuel_per_input_value
    );
    println!(
        "instances created: reused runtime {}, per-call runtime {}",
        wasm.instantiations(),
        fresh.instantiations()
    );
}
