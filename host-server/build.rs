//! Compiles the guest (host-server/guest) to a WebAssembly component and leaves it in
//! OUT_DIR for `include_bytes!`, so `cargo build -p order-server` alone yields a binary
//! with the domain embedded (and `cargo install --path host-server` works).

#[path = "src/wasm/guest_build.rs"]
mod guest_build;

use std::path::{Path, PathBuf};

fn main() {
    let manifest_dir = PathBuf::from(env("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env("OUT_DIR"));
    for watched in [
        "build.rs",
        "src/wasm/guest_build.rs",
        "guest/src",
        "guest/Cargo.toml",
        "wit",
        "../core/src",
        "../core/Cargo.toml",
        "../Cargo.toml",
        "../Cargo.lock",
    ] {
        println!(
            "cargo:rerun-if-changed={}",
            manifest_dir.join(watched).display()
        );
    }

    let target_dir = outer_target_dir(&out_dir);
    let component = guest_build::build_guest_component(
        &manifest_dir.join("guest/Cargo.toml"),
        &target_dir.join("guest-build"),
        &[],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    guest_build::write_if_changed(&out_dir.join("order_guest.component.wasm"), &component)
        .unwrap_or_else(|e| panic!("{e}"));
    // `wasm::testing` builds the chaos guest next to this one, outside the outer build's lock.
    println!(
        "cargo:rustc-env=ORDER_GUEST_TARGET_DIR={}",
        target_dir.display()
    );
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("cargo sets {name} for build scripts"))
}

/// The outer build's target directory (honouring CARGO_TARGET_DIR and `cargo install`'s
/// temporary one): OUT_DIR is `<target>[/<triple>]/<profile>/build/<pkg>-<hash>/out`.
fn outer_target_dir(out_dir: &Path) -> PathBuf {
    out_dir.ancestors().nth(4).unwrap_or(out_dir).to_path_buf()
}
