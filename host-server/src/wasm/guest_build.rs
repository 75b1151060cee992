//! Compiles the guest crate for `wasm32-unknown-unknown` with a nested cargo and wraps the
//! core module into a component. Shared by build.rs (the embedded guest) and
//! `wasm::testing` (the chaos guest), so both are built exactly the same way.

use std::path::Path;
use std::process::Command;

/// The guest's target: bare wasm, so the module can import nothing (no WASI).
pub const GUEST_TARGET: &str = "wasm32-unknown-unknown";
/// The workspace profile for wasm packages (size-optimised, panic = abort).
pub const GUEST_PROFILE: &str = "wasm-release";

/// Variables the outer cargo sets for its own build that would corrupt the nested one:
/// host-targeted rustflags, the outer target dir (its lock would deadlock), a lint wrapper.
const LEAKING_ENV: &[&str] = &[
    "CARGO_ENCODED_RUSTFLAGS",
    "RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "CARGO_BUILD_TARGET",
    "RUSTC_WORKSPACE_WRAPPER",
    "CARGO_LLVM_COV",
    "LLVM_PROFILE_FILE",
];

/// Builds the guest crate at `guest_manifest` into `target_dir` with `features`, and
/// returns the component bytes.
pub fn build_guest_component(
    guest_manifest: &Path,
    target_dir: &Path,
    features: &[&str],
) -> Result<Vec<u8>, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .arg("build")
        .arg("--manifest-path")
        .arg(guest_manifest)
        .args(["--target", GUEST_TARGET, "--profile", GUEST_PROFILE])
        .arg("--target-dir")
        .arg(target_dir);
    if !features.is_empty() {
        command.arg("--features").arg(features.join(","));
    }
    // A build script's stdout is read by cargo as `cargo:` directives; keep the nested
    // build's chatter out of it.
    command.stdout(std::io::stderr());
    for name in LEAKING_ENV {
        command.env_remove(name);
    }
    // Per-profile overrides of the outer build (e.g. CARGO_PROFILE_RELEASE_LTO) are not ours.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("CARGO_PROFILE_") {
            command.env_remove(name);
        }
    }
    // The guest is embedded in the server, not downloaded: speed over size, for its
    // dependencies (order-core, serde) too, not only for its own crate.
    command.env("CARGO_PROFILE_WASM_RELEASE_OPT_LEVEL", "3");
    let status = command
        .status()
        .map_err(|e| format!("cannot run cargo to build the guest: {e}"))?;
    if !status.success() {
        return Err(format!(
            "building the guest ({}) failed with {status}; is the rustup target {GUEST_TARGET} installed (scripts/setup.sh)?",
            guest_manifest.display()
        ));
    }
    let module_path = target_dir
        .join(GUEST_TARGET)
        .join(GUEST_PROFILE)
        .join("order_guest.wasm");
    let module = std::fs::read(&module_path)
        .map_err(|e| format!("cannot read {}: {e}", module_path.display()))?;
    componentize(&module)
}

/// Wraps a core module built with `wit_bindgen::generate!` into a component, validating it.
pub fn componentize(module: &[u8]) -> Result<Vec<u8>, String> {
    wit_component::ComponentEncoder::default()
        .module(module)
        .and_then(|encoder| encoder.validate(true).encode())
        .map_err(|e| format!("cannot encode the guest as a component: {e:#}"))
}

/// Writes `bytes` to `path` through a temporary file and a rename, so a concurrent reader
/// never sees half a component, and leaves an identical file untouched.
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if std::fs::read(path).is_ok_and(|existing| existing == bytes) {
        return Ok(());
    }
    let partial = path.with_extension(format!("partial-{}", std::process::id()));
    std::fs::write(&partial, bytes)
        .and_then(|()| std::fs::rename(&partial, path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
