#!/usr/bin/env bash
# Benchmarks the reference server (optimized build): the HTTP order lifecycle at
# concurrency 1 and 32 beside a raw rusqlite loop (benches/http.rs), then the per-decision
# cost in wasmtime beside the native core (benches/decisions.rs, when present).
# Bounded request counts, loopback only. BENCH_ORDERS overrides the orders per HTTP run.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p order-server --bench http
if [ -f host-server/benches/decisions.rs ]; then
  cargo bench -p order-server --bench decisions
fi
