#!/usr/bin/env bash
# Runs the reference server with its defaults (./data/orders.db, 127.0.0.1:8080, the web
# demo from ./web-demo when present). ORDER_DB, ORDER_LISTEN or a .env file override them;
# extra arguments go to `serve` (e.g. --synchronous normal, --guest file.wasm).
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --release -p order-server -- serve "$@"
