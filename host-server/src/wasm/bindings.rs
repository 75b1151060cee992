//! Host bindings generated from the WIT package shared with the guest (host-server/wit).

wasmtime::component::bindgen!({
    world: "order-domain",
    path: "wit",
});

pub use exports::order::domain::decider::{DecideError, DomainError as GuestDomainError};
