//! The domain inside a WebAssembly sandbox: the guest component (embedded or from a file),
//! compiled once into a [`GuestModule`], run per call by a [`WasmRuntime`] with fuel and
//! memory limits. The host links nothing into the guest.

mod bindings;
#[cfg(feature = "testing")]
mod guest_build;
pub mod guest_module;
pub mod runtime;
pub mod sandbox;
#[cfg(feature = "testing")]
pub mod testing;

pub use guest_module::{imports_of, GuestLoadError, GuestModule, EMBEDDED_GUEST};
pub use runtime::WasmRuntime;
pub use sandbox::SandboxLimits;
