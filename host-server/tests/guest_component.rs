//! The embedded guest component: it imports nothing, and every shared vector decided inside
//! wasmtime gives exactly what the native core gives (events, rejection, state, view).

mod support;

use std::path::PathBuf;

use chrono::{Duration, TimeZone, Utc};
use order_core::testing::default_context;
use order_core::testing::vectors::Expected;
use order_core::{
    decide, decide_and_fold, evolve_all, initial_state, project_all, Command, DomainRuntime, Event,
    EventEnvelope, Metadata,
};
use order_server::wasm::{imports_of, GuestLoadError, GuestModule, WasmRuntime, EMBEDDED_GUEST};
use serde_json::Value;

fn runtime() -> WasmRuntime {
    WasmRuntime::new(GuestModule::embedded().expect("the embedded guest loads"))
}

#[test]
fn the_embedded_component_imports_nothing() {
    let imports = imports_of(EMBEDDED_GUEST).expect("the embedded guest is a component");
    assert!(imports.is_empty(), "the guest imports {imports:?}");
    // wasmtime's own view of it agrees: loading refuses any guest that imports.
    GuestModule::embedded().expect("the embedded guest loads");
}

/// The smallest component that imports something: a host function `host-clock`.
fn component_importing_a_function() -> Vec<u8> {
    use wasm_encoder::{
        Component, ComponentImportSection, ComponentTypeRef, ComponentTypeSection, ComponentValType,
    };
    let mut types = ComponentTypeSection::new();
    types
        .function()
        .params(std::iter::empty::<(&str, ComponentValType)>())
        .result(None);
    let mut imports = ComponentImportSection::new();
    imports.import("host-clock", ComponentTypeRef::Func(0));
    let mut component = Component::new();
    component.section(&types).section(&imports);
    component.finish()
}

#[test]
fn a_component_that_imports_is_seen_and_refused() {
    let bytes = component_importing_a_function();
    assert_eq!(imports_of(&bytes).unwrap(), vec!["host-clock".to_string()]);
    let error = GuestModule::from_bytes(&bytes).unwrap_err();
    assert!(
        matches!(&error, GuestLoadError::HasImports(names) if names == &["host-clock"]),
        "{error}"
    );
}

#[test]
fn the_module_hash_is_the_sha256_of_the_component() {
    let module = GuestModule::embedded().unwrap();
    let hash = module.hash();
    assert_eq!(hash.len(), 64, "{hash}");
    assert!(hash
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert_eq!(
        GuestModule::from_bytes(EMBEDDED_GUEST).unwrap().hash(),
        hash
    );
    assert_eq!(runtime().module_hash().as_deref(), Some(hash));
}

/// A component exporting an (empty) instance under the decider's name at `version`.
fn component_exporting_the_decider_at(version: &str) -> Vec<u8> {
    use wasm_encoder::{
        Component, ComponentExportKind, ComponentExportSection, ComponentInstanceSection,
    };
    let mut instances = ComponentInstanceSection::new();
    instances.export_items(std::iter::empty::<(&str, ComponentExportKind, u32)>());
    let mut exports = ComponentExportSection::new();
    exports.export(
        format!("order:domain/decider@{version}"),
        ComponentExportKind::Instance,
        0,
        None,
    );
    let mut component = Component::new();
    component.section(&instances).section(&exports);
    component.finish()
}

#[test]
fn a_guest_built_against_another_interface_version_is_refused_by_name() {
    let error = GuestModule::from_bytes(&component_exporting_the_decider_at("0.1.0")).unwrap_err();
    assert!(
        matches!(&error, GuestLoadError::InterfaceVersion { found, expected }
            if found == "order:domain/decider@0.1.0" && expected == "order:domain/decider@0.2.0"),
        "{error}"
    );
    let message = error.to_string();
    assert!(
        message.contains("order:domain/decider@0.1.0")
            && message.contains("order:domain/decider@0.2.0")
            && message.contains("rebuild the guest"),
        "{message}"
    );
    // The right name but nothing behind it is a wrong world, not a version mismatch.
    let hollow = GuestModule::from_bytes(&component_exporting_the_decider_at("0.2.0")).unwrap_err();
    assert!(matches!(hollow, GuestLoadError::WrongWorld(_)), "{hollow}");
}

#[test]
fn bytes_that_are_not_a_component_are_refused_with_a_reason() {
    assert!(imports_of(b"not wasm at all").is_err());
    let error = GuestModule::from_bytes(b"not wasm at all").unwrap_err();
    assert!(matches!(error, GuestLoadError::Compile(_)), "{error}");
    let missing = GuestModule::from_file(&PathBuf::from("/nonexistent/guest.wasm")).unwrap_err();
    assert!(
        missing.to_string().contains("/nonexistent/guest.wasm"),
        "{missing}"
    );
}

/// Today's event from its JSON.
fn given_event(value: &Value) -> Event {
    serde_json::from_value(value.clone()).expect("event decodes")
}

fn envelopes(events: &[Event]) -> Vec<EventEnvelope> {
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap();
    events
        .iter()
        .enumerate()
        .map(|(i, event)| EventEnvelope {
            event_id: uuid::Uuid::from_u128(i as u128 + 1),
            stream_id: "stream".into(),
            version: i as u64 + 1,
            position: i as u64 + 1,
            event: event.clone(),
            metadata: Metadata {
                recorded_at: start + Duration::seconds(i as i64),
                ..Metadata::default()
            },
        })
        .collect()
}

#[test]
fn every_vector_decides_inside_wasmtime_as_in_the_native_core() {
    let cases = support::read_vectors();
    assert!(
        cases.len() >= 30,
        "expected the shared vectors, found {}",
        cases.len()
    );
    let mut wasm = runtime();
    for vector in &cases {
        let (name, ctx, command) = (&vector.file, &vector.context, &vector.when);
        let given = vector.given_events().unwrap_or_else(|e| panic!("{e}"));

        let native_state = evolve_all(initial_state(), &given);
        let state = wasm
            .evolve(initial_state(), &given)
            .unwrap_or_else(|e| panic!("{name}: evolve in the guest: {e}"));
        assert_eq!(state, native_state, "{name}: evolved state");

        let native = decide(&native_state, command, ctx);
        let decided = wasm
            .decide(&state, command, ctx)
            .unwrap_or_else(|e| panic!("{name}: decide in the guest: {e}"));
        assert_eq!(decided, native, "{name}: decision");

        // The whole command in one guest call: events, state and view after them.
        let prior_view = project_all(None, &envelopes(&given));
        let recorded_at = ctx.now + Duration::seconds(1);
        let handled = wasm
            .handle(state.clone(), prior_view.clone(), command, ctx, recorded_at)
            .unwrap_or_else(|e| panic!("{name}: handle in the guest: {e}"));
        assert_eq!(
            handled,
            decide_and_fold(native_state.clone(), prior_view, command, ctx, recorded_at),
            "{name}: whole command"
        );
        match (&vector.expected, &decided) {
            (Expected::Error(code), Err(e)) => assert_eq!(e.code(), code, "{name}"),
            (Expected::Events(_), Ok(events)) => assert_eq!(
                &serde_json::to_value(events).unwrap(),
                vector.then_json(),
                "{name}: events"
            ),
            (expected, got) => panic!("{name}: expected {expected:?}, got {got:?}"),
        }

        let history: Vec<Event> = given
            .iter()
            .chain(decided.iter().flatten())
            .cloned()
            .collect();
        let log = envelopes(&history);
        let view = wasm
            .project(None, &log)
            .unwrap_or_else(|e| panic!("{name}: project in the guest: {e}"));
        assert_eq!(view, project_all(None, &log), "{name}: projected view");
    }
    // One healthy instance served every call.
    assert_eq!(wasm.instantiations(), 1);
    println!(
        "guest vectors: {} cases agree with the native core",
        cases.len()
    );
}

#[test]
fn projection_continues_from_a_prior_view() {
    let events = vec![
        given_event(
            &serde_json::json!({"type": "OrderCreated", "orderId": "o-1",
            "customerId": "c-1", "createdAt": "2026-01-01T10:00:00Z"}),
        ),
        given_event(&serde_json::json!({"type": "ItemAdded", "orderId": "o-1",
            "productId": "p-1", "quantity": 2, "price": "0.10"})),
        given_event(&serde_json::json!({"type": "ItemAdded", "orderId": "o-1",
            "productId": "p-2", "quantity": 1, "price": "0.20"})),
    ];
    let log = envelopes(&events);
    let mut wasm = runtime();
    let first = wasm.project(None, &log[..1]).unwrap();
    let rest = wasm.project(first, &log[1..]).unwrap();
    assert_eq!(rest, project_all(None, &log));
    assert_eq!(rest.unwrap().total.to_string(), "0.40");
}

#[test]
fn a_fresh_instance_per_call_decides_the_same() {
    let mut fresh = runtime().reuse_instances(false);
    let ctx = default_context();
    let create: Command = serde_json::from_value(serde_json::json!(
        {"type": "CreateOrder", "orderId": "o-1", "customerId": "c-1"}))
    .unwrap();
    for _ in 0..3 {
        let decided = fresh.decide(&initial_state(), &create, &ctx).unwrap();
        assert_eq!(decided, decide(&initial_state(), &create, &ctx));
    }
    assert_eq!(fresh.instantiations(), 3);
}

#[test]
fn a_stream_longer_than_one_guest_call_folds_the_same() {
    // 1,301 events: more than two chunks of the runtime's fold.
    let mut events = vec![given_event(&serde_json::json!({"type": "OrderCreated",
        "orderId": "o-1", "customerId": "c-1", "createdAt": "2026-01-01T10:00:00Z"}))];
    for i in 0..650 {
        let product = format!("p-{}", i % 7);
        events.push(given_event(
            &serde_json::json!({"type": "ItemAdded", "orderId": "o-1",
            "productId": product, "quantity": 3, "price": "0.10"}),
        ));
        events.push(given_event(
            &serde_json::json!({"type": "ItemRemoved", "orderId": "o-1",
            "productId": product, "quantity": 1}),
        ));
    }
    let log = envelopes(&events);
    let mut wasm = runtime();
    let state = wasm.evolve(initial_state(), &events).unwrap();
    assert_eq!(state, evolve_all(initial_state(), &events));
    assert_eq!(state.version, 1301);
    let view = wasm.project(None, &log).unwrap();
    assert_eq!(view, project_all(None, &log));
    assert_eq!(view.unwrap().total.to_string(), "130.00");
}

#[test]
fn an_instance_that_grew_past_the_recycle_size_is_replaced() {
    let limits = order_server::wasm::SandboxLimits {
        recycle_above_bytes: 0,
        ..Default::default()
    };
    let mut wasm = WasmRuntime::with_limits(GuestModule::embedded().unwrap(), limits);
    let events = vec![given_event(&serde_json::json!({"type": "OrderCreated",
        "orderId": "o-1", "customerId": "c-1", "createdAt": "2026-01-01T10:00:00Z"}))];
    for _ in 0..3 {
        assert_eq!(wasm.evolve(initial_state(), &events).unwrap().version, 1);
    }
    assert_eq!(wasm.instantiations(), 3);
}
