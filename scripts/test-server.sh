#!/usr/bin/env bash
# Builds and tests the reference server (crate order-server): unit tests, the guest
# component tests and the HTTP integration tests that start the real binary.
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -p order-server --bins --tests
cargo test -p order-server "$@"
