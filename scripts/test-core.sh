#!/usr/bin/env bash
# The pure core (unit tests, every shared vector, property tests with their case counts),
# the SQLite store's conformance tests, and the check that the core stays pure.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test -p order-core -p order-store -- --nocapture 2>&1 | grep -vE '^\s*$'
scripts/check-core-purity.sh
