#!/usr/bin/env bash
# Benchmark: the order-lifecycle workload (per order: create, add 2 items, place; each
# command in its own transaction) on an SQLite file (WAL), order_core beside the
# `eventsourcing` library, at synchronous=NORMAL and FULL, and order_core's group commit
# (`execute_many`, `batch()`: many commands per transaction). Prints commands/s and ratios.
#   scripts/bench-python.sh [--orders N] [--synchronous normal|full|both] [--repeat R]
#                           [--batch-orders B] [--no-equivalent]
# (N=5000 orders, R=3 interleaved runs per library; the best of each is compared;
# B=64 orders, i.e. 256 commands, per group commit).
# Idempotent: reuses its venv under target/ and reinstalls order_core from source each run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

EVENTSOURCING_VERSION=9.5.6   # the version the issue's reference figures were measured with
venv="$root/target/python-bench-venv"

if [ ! -x "$venv/bin/python" ]; then
  echo "[bench-python] python3 -m venv $venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
fi
if ! "$venv/bin/python" -c "import importlib.metadata as m; assert m.version('eventsourcing') == '$EVENTSOURCING_VERSION'" 2>/dev/null; then
  echo "[bench-python] pip install eventsourcing==$EVENTSOURCING_VERSION"
  "$venv/bin/python" -m pip install --quiet "eventsourcing==$EVENTSOURCING_VERSION"
fi
echo "[bench-python] pip install ./python (release build)"
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}" "$venv/bin/python" -m pip install --quiet --force-reinstall --no-deps ./python

# The database files go to the default temp dir; pass --dir to measure another disk.
"$venv/bin/python" python/bench/bench_lifecycle.py "$@"
