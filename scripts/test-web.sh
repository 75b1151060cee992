#!/usr/bin/env bash
# Web demo: installs the test dependency (playwright-core, driving Debian's chromium), builds
# the wasm package into web-demo/pkg/ and the server binary, then runs the browser tests
# (node --test) against a real order-server on a free port. Screenshots of the key states
# land in web-demo/test-results/. Idempotent; exits non-zero when anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh browser
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || { echo "[test-web] no chromium at ${CHROMIUM:-/usr/bin/chromium}" >&2; exit 1; }

echo "[test-web] npm ci (web-demo)"
(cd web-demo && npm ci --no-audit --no-fund --loglevel=error)

scripts/build-web.sh

echo "[test-web] cargo build -p order-server"
cargo build -p order-server

echo "[test-web] browser tests"
cd web-demo
ORDER_SERVER_BIN="${ORDER_SERVER_BIN:-../target/debug/order-server}" node --test --test-concurrency=1 test/*.test.mjs
