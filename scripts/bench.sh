#!/usr/bin/env bash
# Every benchmark, one after the other (they compete for the same cores if run together).
# Figures are printed; the README's tables were produced with this script.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "==== native core (criterion) ===="
cargo bench -p order-core --bench core -- --noplot 2>&1 | grep -E '^[a-z].*/|time:|thrpt:'
for part in wasm server python; do
  echo "==== $part ===="
  "scripts/bench-$part.sh"
done
echo "==== per-command write floor (SQLite, one transaction per command) ===="
cargo run --quiet --release -p order-store --example write_floor -- 5000 normal
cargo run --quiet --release -p order-store --example write_floor -- 2000 full
