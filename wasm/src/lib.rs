//! wasm-bindgen adapter (placeholder until the wasm issue lands).
