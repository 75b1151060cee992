#!/usr/bin/env bash
# Builds the web demo's only generated part: the wasm package (scripts/build-wasm.sh, when
# the package is missing or older than its Rust sources), copied into web-demo/pkg/ where
# the page imports it from. Idempotent; the rest of web-demo/ is plain files served as is.
set -euo pipefail
cd "$(dirname "$0")/.."

pkg=wasm/pkg-web
built="$pkg/order_wasm_bg.wasm"

# Anything that changes the wasm: the adapter, the core, the lock file, the build script.
stale() {
  [ ! -f "$built" ] && return 0
  [ -n "$(find wasm/src wasm/Cargo.toml core/src core/Cargo.toml Cargo.lock scripts/build-wasm.sh -newer "$built" -print -quit 2>/dev/null)" ]
}

if stale; then
  echo "[build-web] building the wasm package (scripts/build-wasm.sh)"
  scripts/build-wasm.sh
else
  echo "[build-web] $pkg is up to date"
fi

for file in order_wasm.js errors.js results.js order_wasm_bg.wasm; do
  [ -f "$pkg/$file" ] || { echo "[build-web] $pkg/$file is missing after the build" >&2; exit 1; }
done

mkdir -p web-demo/pkg
# Only what the page loads (plus the type declarations, handy in an editor).
cp "$pkg"/order_wasm.js "$pkg"/errors.js "$pkg"/results.js "$pkg"/order_wasm_bg.wasm web-demo/pkg/
cp "$pkg"/*.d.ts web-demo/pkg/ 2>/dev/null || true
echo "[build-web] web-demo/pkg/ ready"
