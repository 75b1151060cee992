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
node wasm/bench/bench.mjs
