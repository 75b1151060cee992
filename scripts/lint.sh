#!/usr/bin/env bash
# rustfmt and clippy (warnings are errors) over the whole workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
# The fault-injection suite is built only with its feature.
cargo clippy -p order-server --all-targets --features fault-suite -- -D warnings
scripts/check-readme.py
echo "lint: rustfmt and clippy clean, README examples in sync"
