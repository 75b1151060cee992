#!/usr/bin/env bash
# Python package: installs `order_core` from source into a fresh virtualenv exactly as a user
# would (`pip install ./python`, maturin from PyPI as the build backend), then runs the pytest
# suite, `mypy --strict` over the typed examples and `mypy.stubtest` over the installed package.
# Idempotent: every run starts from a new temporary venv and removes it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/order-python-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
venv="$work/venv"

echo "[test-python] fresh venv in $venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet pytest mypy

echo "[test-python] pip install ./python (release build)"
# Isolated build as on a user's machine; sharing the workspace's target dir keeps the Rust
# build incremental instead of recompiling every crate in a temporary directory.
CARGO_TARGET_DIR="$root/target" "$venv/bin/python" -m pip install --quiet ./python

# Run from outside the source tree so `import order_core` can only mean the installed wheel.
cd "$work"
installed=$("$venv/bin/python" -c 'import order_core; print(order_core.__file__)')
case "$installed" in
  "$venv"/*) echo "[test-python] testing the installed package: $installed" ;;
  *) echo "[test-python] order_core imported from $installed, not the venv" >&2; exit 1 ;;
esac

echo "[test-python] mypy --strict python/examples/typed_usage.py python/examples/batch.py"
"$venv/bin/python" -m mypy --strict --cache-dir "$work/mypy-cache" \
  "$root/python/examples/typed_usage.py" "$root/python/examples/batch.py"

echo "[test-python] python -m mypy.stubtest order_core"
"$venv/bin/python" -m mypy.stubtest order_core \
  --allowlist "$root/python/stubtest-allowlist.txt"

echo "[test-python] pytest"
"$venv/bin/python" -m pytest -p no:cacheprovider -q "$root/python/tests"
