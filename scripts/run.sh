#!/usr/bin/env bash
# The one run command: installs what is missing, builds the web demo (wasm package included)
# and starts the reference server on http://127.0.0.1:8080 (override with ORDER_LISTEN or a
# .env file), storing events in ./data/orders.db (ORDER_DB). The demo signs in through
# `--dev-auth` tokens (ORDER_DEV_AUTH=false runs the server open instead).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh rust wasm
scripts/build-web.sh
export ORDER_DEV_AUTH="${ORDER_DEV_AUTH:-true}"
exec cargo run --release -p order-server -- serve "$@"
