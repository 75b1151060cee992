//! A deliberately bad guest (order-guest built with `chaos`): a call that loops, hoards
//! memory or traps fails alone with a RuntimeError, and the same runtime goes on serving.

use std::sync::Mutex;
use std::time::Instant;

use order_core::testing::default_context;
use order_core::{initial_state, AddItem, Command, CreateOrder, DomainRuntime, OrderState};
use order_server::wasm::testing::{build_chaos_guest, CHAOS_ALLOC, CHAOS_LOOP, CHAOS_TRAP};
use order_server::wasm::{imports_of, GuestModule, SandboxLimits, WasmRuntime};

/// The chaos guest, built and compiled once for all tests of this file.
fn chaos_module() -> GuestModule {
    static MODULE: Mutex<Option<GuestModule>> = Mutex::new(None);
    let mut module = MODULE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    module
        .get_or_insert_with(|| {
            GuestModule::from_file(&build_chaos_guest()).expect("the chaos guest loads")
        })
        .clone()
}

fn chaos_runtime() -> WasmRuntime {
    WasmRuntime::new(chaos_module())
}

fn created(runtime: &mut WasmRuntime) -> OrderState {
    let create = Command::CreateOrder(CreateOrder {
        order_id: "o-1".into(),
        customer_id: "c-1".into(),
    });
    let events = runtime
        .decide(&initial_state(), &create, &default_context())
        .unwrap()
        .unwrap();
    runtime.evolve(initial_state(), &events).unwrap()
}

fn add(product: &str) -> Command {
    Command::AddItem(AddItem {
        order_id: "o-1".into(),
        product_id: product.into(),
        quantity: 1.into(),
        price: "9.99".into(),
    })
}

/// The bad call fails with a message containing `expected`; the next normal call works.
fn fails_then_recovers(product: &str, expected: &str) {
    let mut runtime = chaos_runtime();
    let state = created(&mut runtime);
    let ctx = default_context();
    let before = runtime.instantiations();

    let started = Instant::now();
    let error = runtime
        .decide(&state, &add(product), &ctx)
        .expect_err("the misbehaving call must fail");
    println!("{product}: failed after {:?}: {error}", started.elapsed());
    assert!(error.to_string().contains(expected), "{product}: {error}");

    let events = runtime
        .decide(&state, &add("p-fine"), &ctx)
        .expect("the next call runs in a fresh instance")
        .expect("and is accepted");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        runtime.instantiations(),
        before + 1,
        "the broken instance was replaced"
    );
}

#[test]
fn an_endless_loop_runs_out_of_fuel() {
    fails_then_recovers(CHAOS_LOOP, "ran out of fuel");
}

#[test]
fn unbounded_allocation_hits_the_memory_limit() {
    fails_then_recovers(CHAOS_ALLOC, "memory limit");
}

#[test]
fn a_trap_is_a_runtime_error() {
    fails_then_recovers(CHAOS_TRAP, "trapped");
}

#[test]
fn the_chaos_guest_is_a_distinct_module_that_also_imports_nothing() {
    let bytes = std::fs::read(build_chaos_guest()).unwrap();
    assert_eq!(imports_of(&bytes).unwrap(), Vec::<String>::new());
    let embedded = order_server::wasm::EMBEDDED_GUEST;
    assert_ne!(bytes, embedded, "the chaos feature must change the guest");
    assert_ne!(
        chaos_module().hash(),
        GuestModule::embedded().unwrap().hash()
    );
}

#[test]
fn smaller_limits_are_enforced_too() {
    let limits = SandboxLimits {
        max_memory_bytes: 4 << 20,
        fuel_per_call: 1_000_000,
        fuel_per_input_value: 0,
        ..SandboxLimits::default()
    };
    let mut runtime = WasmRuntime::with_limits(chaos_module(), limits);
    let state = created(&mut runtime);
    let error = runtime
        .decide(&state, &add(CHAOS_ALLOC), &default_context())
        .unwrap_err();
    assert!(error.to_string().contains("4194304"), "{error}");
}
