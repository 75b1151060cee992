#!/usr/bin/env bash
# Throughput of the core as a WebAssembly module in Node: replay events/s, decide
# commands/s, OrderEngine lifecycle commands/s and log import events/s. Prints figures;
# compare with the native core's `cargo bench -p order-core` (same workloads).
set -euo pipefail
cd "$(dirname "$0")/.."
build_log=$(mktemp)
trap 'rm -f "$build_log"' EXIT
scripts/build-wasm.sh >"$build_log" 2>&1 || { cat "$build_log" >&2; exit 1; }
grep -F 'order_wasm_bg.wasm:' "$build_log" || true

# The floor: the same engine driven from inside the module (src/floor.rs), built like the
# package (opt-level z; without its wasm-opt pass) into a target dir of its own, so the
# package's build is left alone.
floor=target/wasm-floor
CARGO_PROFILE_WASM_RELEASE_OPT_LEVEL=z CARGO_PROFILE_WASM_RELEASE_STRIP=debuginfo \
  cargo build -p order-wasm --features bench-floor --target wasm32-unknown-unknown \
  --profile wasm-release --target-dir "$floor" >"$build_log" 2>&1 || { cat "$build_log" >&2; exit 1; }
wasm-bindgen --target experimental-nodejs-module --out-dir "$floor/pkg" \
  "$floor/wasm32-unknown-unknown/wasm-release/order_wasm.wasm"
BENCH_WASM_FLOOR="$(pwd)/$floor/pkg/order_wasm.js" node wasm/bench/bench.mjs
