#!/usr/bin/env bash
# Builds the browser and Node packages of the order domain:
#   wasm/pkg-web/order_wasm.js   ES module for browsers (web-demo/ imports this path)
#   wasm/pkg-node/order_wasm.js  ES module for Node
# Idempotent; installs what it needs (node deps via npm, wasm-bindgen-cli via setup.sh).
# Prints the optimized .wasm size, raw and gzipped, and fails above the gzipped budget.
set -euo pipefail
cd "$(dirname "$0")/.."

# 155 KB gzipped (gzip -9), counted strictly. Reading JSON numbers from their exact text
# (serde_json's arbitrary_precision, issue 10) costs ~9 KB: 142 KB -> 151 KB. Issue 14's
# 120 KB target needs values to cross without JSON text; until then this bound holds the line.
BUDGET_GZIP_BYTES=155000
WASM="${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/wasm-release/order_wasm.wasm"

log() { printf '\033[1m[build-wasm]\033[0m %s\n' "$*"; }

# Tools: the rust target and the exact wasm-bindgen CLI the crate pins.
scripts/setup.sh rust wasm
pinned=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' wasm/Cargo.toml)
installed=$(wasm-bindgen --version | awk '{print $2}')
if [ "$pinned" != "$installed" ]; then
  echo "wasm-bindgen CLI $installed does not match the crate's pin $pinned (scripts/setup.sh)" >&2
  exit 1
fi

# Node dev dependencies (typescript, binaryen's wasm-opt), reproducibly from the lock file.
if [ -f wasm/package-lock.json ]; then
  if [ ! -d wasm/node_modules ] || [ wasm/package-lock.json -nt wasm/node_modules/.package-lock.json ]; then
    log "npm ci"
    (cd wasm && npm ci --no-audit --no-fund --loglevel=error)
  fi
else
  log "npm install (no lock file yet)"
  (cd wasm && npm install --no-audit --no-fund --loglevel=error)
fi

# opt-level "z" for this crate's build only (the shared profile says "s"): measured on this
# module, 141.6 KB gzipped instead of 149.7 KB, i.e. the difference between fitting the
# budget with room and not. The env var leaves the guest's and everyone else's builds alone.
export CARGO_PROFILE_WASM_RELEASE_OPT_LEVEL=z
# strip = true would also drop the `target_features` section wasm-bindgen reads to know
# which Wasm features the code uses (it warns); strip debug info only, and let
# wasm-bindgen drop the name and producers sections (same size in the end).
export CARGO_PROFILE_WASM_RELEASE_STRIP=debuginfo
log "cargo build -p order-wasm --target wasm32-unknown-unknown --profile wasm-release (opt-level z, strip debuginfo)"
cargo build -p order-wasm --target wasm32-unknown-unknown --profile wasm-release

gz() { gzip -9c "$1" | wc -c; }

# wasm-bindgen then wasm-opt, once, in a scratch dir; both packages share the optimized
# module (the JS glue differs, the .wasm does not).
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bindgen() { wasm-bindgen --remove-name-section --remove-producers-section "$@"; }
bindgen --target web --out-dir "$work/web" "$WASM"
bindgen --target experimental-nodejs-module --out-dir "$work/node" "$WASM"
module="$work/web/order_wasm_bg.wasm"

# The JS the Rust side imports (wasm/src/errors.js: the error classes; wasm/src/results.js:
# command results) reaches the glue as snippets under hashed paths: give each a fixed name
# beside the glue, and export the error classes from the package's entry.
for target in web node; do
  for file in errors.js results.js; do
    snippet=$(find "$work/$target/snippets" -path "*/src/$file" | head -1)
    [ -n "$snippet" ] || { echo "$file snippet missing in the $target build" >&2; exit 1; }
    mv "$snippet" "$work/$target/$file"
    sed -i -E "s#'\./snippets/[^']*/src/${file//./\\.}'#'./$file'#" "$work/$target/order_wasm.js"
    grep -q "'./$file'" "$work/$target/order_wasm.js" || { echo "$file import not rewritten ($target)" >&2; exit 1; }
  done
  rm -rf "$work/$target/snippets"
  echo "export { DomainError, ConcurrencyError, IdempotencyError, InvalidInput, StoreError, RuntimeError } from './errors.js';" \
    >>"$work/$target/order_wasm.js"
done

wasm_opt=wasm/node_modules/.bin/wasm-opt
if [ -x "$wasm_opt" ] && "$wasm_opt" --version >/dev/null 2>&1; then
  # Features rustc enables by default for wasm32-unknown-unknown.
  "$wasm_opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-multivalue --enable-reference-types \
    "$module" -o "$work/opt.wasm"
  before=$(gz "$module"); after=$(gz "$work/opt.wasm")
  # -Oz always shrinks the raw module, but on this code it has grown the gzipped one
  # (what users download); keep whichever is smaller where it counts.
  if [ "$after" -lt "$before" ]; then
    cp "$work/opt.wasm" "$module"
    log "wasm-opt -Oz: gzipped $before -> $after bytes (kept)"
  else
    log "wasm-opt -Oz: gzipped $before -> $after bytes (not kept: larger gzipped)"
  fi
else
  log "note: wasm-opt (npm binaryen) unavailable; the module is not post-optimized"
fi
cp "$module" "$work/node/order_wasm_bg.wasm"

# wasm-bindgen declares the raw wasm exports (`InitOutput`, `*_bg.wasm.d.ts`) with `any`
# for JS values; `unknown` is exact for them and keeps `any` out of the declarations.
sed -i -E 's/\b([a-z]): any\b/\1: unknown/g' "$work"/web/*.d.ts "$work"/node/*.d.ts

for target in web node; do
  rm -rf "wasm/pkg-$target"
  mv "$work/$target" "wasm/pkg-$target"
done

raw=$(stat -c %s wasm/pkg-web/order_wasm_bg.wasm)
zipped=$(gz wasm/pkg-web/order_wasm_bg.wasm)
log "order_wasm_bg.wasm: $raw bytes raw, $zipped bytes gzipped (budget $BUDGET_GZIP_BYTES)"
if [ "$zipped" -gt "$BUDGET_GZIP_BYTES" ]; then
  echo "order_wasm_bg.wasm is $zipped bytes gzipped, over the budget of $BUDGET_GZIP_BYTES" >&2
  exit 1
fi
log "built wasm/pkg-web and wasm/pkg-node"
