//! Choosing the guest component that decides: the embedded one, or `--guest file.wasm`.

use std::path::Path;

use anyhow::Context as _;

use crate::wasm::{GuestModule, WasmRuntime};

pub fn load_guest(path: Option<&Path>) -> anyhow::Result<GuestModule> {
    match path {
        Some(path) => GuestModule::from_file(path)
            .with_context(|| format!("loading guest {}", path.display())),
        None => GuestModule::embedded().context("loading the embedded guest"),
    }
}

pub fn runtime_for(guest: GuestModule) -> WasmRuntime {
    WasmRuntime::new(guest)
}
