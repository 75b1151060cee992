//! Host bindings generated from the WIT package shared with the guest (host-server/wit),
//! and the mapping between their values and the core's (wit/typed.rs, shared with the guest).

wasmtime::component::bindgen!({
    world: "order-domain",
    path: "wit",
});

pub use exports::order::domain::decider as wit;

#[path = "../../wit/typed.rs"]
pub mod typed;

/// The interface this host speaks, `package/interface@version`: a guest that exports the
/// decider at another version is refused by name.
pub const DECIDER_INTERFACE: &str = "order:domain/decider@0.2.0";
