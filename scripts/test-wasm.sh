#!/usr/bin/env bash
# Builds the wasm packages from scratch if needed (scripts/build-wasm.sh), type-checks the
# typed usage example against the generated declarations, and runs the Node test suite
# (node --test) against the built package. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/build-wasm.sh

log() { printf '\033[1m[test-wasm]\033[0m %s\n' "$*"; }
cd wasm
log "tsc --noEmit -p test/tsconfig.json"
node_modules/.bin/tsc --noEmit -p test/tsconfig.json
log "node --test"
node --test --test-reporter=spec test/*.test.mjs
