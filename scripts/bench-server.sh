#!/usr/bin/env bash
# Benchmarks the reference server (optimized build): the HTTP order lifecycle at
# concurrency 1 and 32 beside a raw rusqlite loop, and on PostgreSQL (one server, three
# servers on one database) beside one INSERT per transaction (benches/http.rs; the PG rows
# need the local server the tests use, RabbitMQ the --publish rows), then the per-decision
# cost in wasmtime beside the native core (benches/decisions.rs, when present), and replay:
# `order-server rebuild-read-models` and `verify` beside a raw scan of the events table
# (benches/replay.rs). Bounded request counts, loopback only. BENCH_ORDERS overrides the
# orders per HTTP run; BENCH_ROWS=sqlite,relay,postgres picks the row groups (all by
# default); BENCH_REPLAY_ORDERS the replay's orders (20,000). BENCH_JSONL: bench.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p order-server --bench http
cargo bench -p order-server --bench replay
if [ -f host-server/benches/decisions.rs ]; then
  cargo bench -p order-server --bench decisions
fi
