//! Test support: a deliberately misbehaving guest (order-guest's `chaos` feature), built
//! with the same code as the embedded one, for tests that prove the sandbox holds.

use std::path::PathBuf;
use std::sync::Mutex;

use super::guest_build;

/// Product ids that make the chaos guest misbehave when an AddItem names them.
pub const CHAOS_LOOP: &str = "chaos-loop";
pub const CHAOS_ALLOC: &str = "chaos-alloc";
pub const CHAOS_TRAP: &str = "chaos-trap";

/// Builds the chaos guest component (once per process; cargo makes later builds no-ops)
/// and returns the path of its `.wasm` file, loadable with `GuestModule::from_file` or
/// `serve --guest`. Panics with cargo's failure, as befits test setup.
pub fn build_chaos_guest() -> PathBuf {
    static BUILT: Mutex<Option<PathBuf>> = Mutex::new(None);
    let mut built = BUILT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(path) = built.as_ref() {
        return path.clone();
    }
    // Its own target dir: the chaos feature must not overwrite the embedded guest's build.
    let target_dir = PathBuf::from(env!("ORDER_GUEST_TARGET_DIR")).join("guest-chaos");
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("guest/Cargo.toml");
    let component = guest_build::build_guest_component(&manifest, &target_dir, &["chaos"])
        .unwrap_or_else(|e| panic!("{e}"));
    let path = target_dir.join("order_guest_chaos.component.wasm");
    guest_build::write_if_changed(&path, &component).unwrap_or_else(|e| panic!("{e}"));
    *built = Some(path.clone());
    path
}
