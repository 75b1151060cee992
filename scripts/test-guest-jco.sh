#!/usr/bin/env bash
# The guest component in another component host: `order-server export-guest` writes the
# embedded guest, jco (pinned in host-server/tests/jco's lock file) transpiles it to
# JavaScript, and Node calls its typed WIT exports (host-server/tests/jco). Needs the server
# built (scripts/test-server.sh builds it first), Node 20 and npm.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/debug/order-server
[ -n "${CARGO_TARGET_DIR:-}" ] && bin="$CARGO_TARGET_DIR/debug/order-server"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" export-guest "$work/guest.wasm"
cd host-server/tests/jco
echo "[test-guest-jco] npm ci"
npm ci --no-audit --no-fund --loglevel=error
npx jco transpile "$work/guest.wasm" -o "$work/out" --name guest --quiet
# jco writes ES modules; Node needs to be told so outside a "type": "module" package.
echo '{"type": "module"}' >"$work/out/package.json"
GUEST_JS="$work/out/guest.js" node --test component.test.mjs
