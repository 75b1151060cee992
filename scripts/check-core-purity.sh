#!/usr/bin/env bash
# The core must not depend on binding, storage, runtime or I/O crates, nor on a clock or a
# random source. Fails naming the offending crate.
set -euo pipefail
cd "$(dirname "$0")/.."
tree=$(cargo tree -p order-core -e normal --prefix none --format '{p}' | awk '{print $1}' | sort -u)
bad=0
for forbidden in wasm-bindgen js-sys pyo3 rusqlite libsqlite3-sys wasmtime tokio getrandom rand iana-time-zone; do
  if grep -qx "$forbidden" <<<"$tree"; then
    echo "core purity: order-core depends on $forbidden" >&2
    bad=1
  fi
done
[ "$bad" -eq 0 ] && echo "core purity: order-core depends only on: $(tr '\n' ' ' <<<"$tree")"
exit "$bad"
