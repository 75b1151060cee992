#!/usr/bin/env bash
# Web demo: installs the test dependency (playwright-core, driving Debian's chromium), builds
# the wasm package into web-demo/pkg/ and the server binary, then runs the tests
# (node --test): the offline model in Node against a scripted server, and the browser tests
# in headless Chromium against a real order-server on a free port. Screenshots of the key states
# land in web-demo/test-results/. Idempotent; exits non-zero when anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh browser
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || { echo "[test-web] no chromium at ${CHROMIUM:-/usr/bin/chromium}" >&2; exit 1; }

# node --test, global fetch and Response.json, crypto.randomUUID: Node 20 or newer.
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[ "$node_major" -ge 20 ] || { echo "[test-web] Node.js 20 or newer is required (found: $(node --version 2>/dev/null || echo none))" >&2; exit 1; }

echo "[test-web] npm ci (web-demo)"
(cd web-demo && npm ci --no-audit --no-fund --loglevel=error)

scripts/build-web.sh

echo "[test-web] cargo build -p order-server --bins --tests"
# With --tests, the features are those of the server suite's build, which is reused.
cargo build -p order-server --bins --tests

echo "[test-web] browser tests"
cd web-demo
ORDER_SERVER_BIN="${ORDER_SERVER_BIN:-../target/debug/order-server}" node --test --test-concurrency=1 test/*.test.mjs
