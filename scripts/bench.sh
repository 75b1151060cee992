#!/usr/bin/env bash
# `make bench`: every benchmark, one after the other (they compete for the same cores if run
# together), each printing its own figures and appending them as JSON lines to one file
# (BENCH_JSONL, fields in bench/results/README.md); then scripts/bench_table.py sets ours
# beside the peers and floors in one table, written to bench/results/latest.{json,md} and
# bench/results/<date>.md, into README.md between its bench markers, and printed last.
#
# BENCH_QUICK=1: small sizes so the whole run takes a few minutes, for checking the
# machinery; its table goes to $CARGO_TARGET_DIR/bench-quick/ (default target/) and the
# README and bench/results are left alone. Its figures are not comparable with a full run.
# PostgreSQL and RabbitMQ rows run only when those servers are up (scripts/bench-server.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/setup.sh rust wasm
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export BENCH_JSONL="$work/figures.jsonl"
: >"$BENCH_JSONL"

if [ "${BENCH_QUICK:-0}" = 1 ]; then
  export BENCH_ROUNDS="${BENCH_ROUNDS:-3}" BENCH_LIFECYCLE_ORDERS="${BENCH_LIFECYCLE_ORDERS:-200}"
  export BENCH_ORDERS="${BENCH_ORDERS:-50}" BENCH_REPLAY_ORDERS="${BENCH_REPLAY_ORDERS:-1000}"
  export BENCH_REPLAY_REPEAT="${BENCH_REPLAY_REPEAT:-1}" BENCH_MS="${BENCH_MS:-200}"
  export BENCH_SCALE_SIZES="${BENCH_SCALE_SIZES:-1000,5000}" BENCH_SCALE_ROUNDS="${BENCH_SCALE_ROUNDS:-1}"
  criterion_args=(--warm-up-time 1 --measurement-time 2)
  python_args=(--orders 200 --repeat 1)
  floor_orders=(500 200)
  out="${CARGO_TARGET_DIR:-$root/target}/bench-quick"
  table_args=(--note "QUICK RUN (BENCH_QUICK=1, small sizes): not for publication")
else
  criterion_args=()
  python_args=()
  floor_orders=(5000 2000)
  out=bench/results
  table_args=(--readme README.md)
fi

echo "==== native core (criterion) ===="
CRITERION_HOME="$work/criterion" cargo bench -p order-core --bench core -- --noplot \
  "${criterion_args[@]}" 2>&1 | grep -E '^[a-z].*/|time:|thrpt:'
python3 scripts/bench_table.py criterion "$work/criterion" "$BENCH_JSONL"
echo "==== wasm (Node), then Emmett's in-memory store on the same workload ===="
scripts/bench-wasm.sh
scripts/bench-emmett.sh
echo "==== server (HTTP, replay, per decision) ===="
scripts/bench-server.sh
echo "==== python ===="
scripts/bench-python.sh "${python_args[@]}"
echo "==== store scale: time per command as the file grows, snapshot loads ===="
cargo bench -p order-store --bench scale
echo "==== per-command write floor (SQLite, one transaction per command) ===="
cargo run --quiet --release -p order-store --example write_floor -- "${floor_orders[0]}" normal
cargo run --quiet --release -p order-store --example write_floor -- "${floor_orders[1]}" full

echo "==== the table ($out) ===="
python3 scripts/bench_table.py render "$BENCH_JSONL" "$out" "${table_args[@]}"
