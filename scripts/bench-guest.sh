#!/usr/bin/env bash
# Per-decision cost inside wasmtime beside the native core (host-server/benches/decisions.rs):
# decide(AddItem) on a 10-line order and evolve of a 50-event stream, ns/op for each runtime
# and the ratio, plus the cost of a fresh guest instance per call. Optimized build.
# BENCH_MS sets the measuring time per row (default 1500 ms).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh rust
cargo bench -p order-server --bench decisions
