//! The core as a WebAssembly component (placeholder until the server issue lands).
