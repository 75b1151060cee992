//! Compiles the guest (host-server/guest) to a WebAssembly component and leaves it in
//! OUT_DIR for `include_bytes!`, so `cargo build -p order-server` alone yields a binary
//! with the domain embedded (and `cargo install --path host-server` works). Also lists the
//! built web demo's files (../web-demo, as scripts/build-web.sh leaves it) for embedding,
//! so the binary serves the demo from any directory.

#[path = "src/wasm/guest_build.rs"]
mod guest_build;
#[path = "src/web_files.rs"]
mod web_files;

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
    embed_web_demo(
        &manifest_dir.join("../web-demo"),
        &out_dir.join("embedded_web.rs"),
    );
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

/// Writes `FILES: &[(path, bytes)]` with every file of the built demo under `web_dir`
/// (none when the directory is absent, as in a packaged crate).
fn embed_web_demo(web_dir: &Path, generated: &Path) {
    let mut files = Vec::new();
    for root in web_files::SERVED_ROOTS {
        let path = web_dir.join(root);
        // A path that does not exist would make cargo rerun this script at every build; the
        // package built later (pkg/) is noticed through the directory holding it instead.
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        } else if web_dir.is_dir() {
            println!("cargo:rerun-if-changed={}", web_dir.display());
        }
        collect(web_dir, &path, &mut files);
    }
    files.sort();
    let mut source = String::from(
        "/// The built web demo: (path below its root, contents).\npub static FILES: &[(&str, &[u8])] = &[\n",
    );
    for (relative, absolute) in &files {
        source.push_str(&format!(
            "    ({relative:?}, include_bytes!({:?})),\n",
            absolute.display().to_string()
        ));
    }
    source.push_str("];\n");
    guest_build::write_if_changed(generated, source.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
}

fn collect(web_dir: &Path, path: &Path, files: &mut Vec<(String, PathBuf)>) {
    if path.is_dir() {
        let Ok(entries) = std::fs::read_dir(path) else {
            return;
        };
        for entry in entries.flatten() {
            collect(web_dir, &entry.path(), files);
        }
    } else if !path.is_file() {
        // Not built yet (pkg/ before scripts/build-web.sh): nothing to embed.
    } else if let Ok(relative) = path.strip_prefix(web_dir) {
        let relative = relative.to_string_lossy().replace('\\', "/");
        if web_files::is_served(&relative) {
            let absolute = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
            files.push((relative, absolute));
        }
    }
}
