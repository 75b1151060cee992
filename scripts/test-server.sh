#!/usr/bin/env bash
# Builds and tests the reference server (crate order-server): unit tests, the guest
# component tests and the HTTP integration tests that start the real binary, then the
# relay's crash-window test, whose server carries a fault hook, and the guest component in
# another component host (jco in Node).
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -p order-server --bins --tests
cargo test -p order-server "$@"
# Tests that need a fault hook compiled into the server (the `fault-suite` feature; the
# faults suite itself runs in scripts/test-faults.sh).
cargo test -p order-server --features fault-suite --test amqp_crash_window "$@"
# The typed guest runs in any component host: jco in Node.
scripts/test-guest-jco.sh
