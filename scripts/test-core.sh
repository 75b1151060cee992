#!/usr/bin/env bash
# The pure core (unit tests, every shared vector, property tests with their case counts),
# the store conformance tests (in memory, SQLite and PostgreSQL: the local server must be
# running; each test makes and drops its own database), and the check that the core stays pure.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test -p order-core -p order-store --features order-store/postgres -- --nocapture 2>&1 | grep -vE '^\s*$'
scripts/check-core-purity.sh
