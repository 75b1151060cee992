#!/usr/bin/env bash
# Peer benchmark: the order lifecycle on Emmett's in-memory event store (npm
# @event-driven-io/emmett, the exact version bench/peers/emmett/package-lock.json pins), the
# workload of scripts/bench-wasm.sh's lifecycle row; run it right after that script.
# Idempotent: `npm ci` from the lock file when node_modules is missing or older than it.
# BENCH_LIFECYCLE_ORDERS (1000), BENCH_ROUNDS (7), BENCH_JSONL as bench/results/README.md says.
set -euo pipefail
cd "$(dirname "$0")/../bench/peers/emmett"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[bench-emmett] npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
node bench.mjs
