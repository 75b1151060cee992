#!/usr/bin/env bash
# Installs every tool the build and the tests need on a fresh Debian machine with rustup.
# Idempotent: each step checks before it installs. Pass component names to limit it:
#   scripts/setup.sh rust wasm python browser
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130   # keep equal to the `=` pin in wasm/Cargo.toml

parts=("$@")
has_part() { [ ${#parts[@]} -eq 0 ] && return 0; for p in "${parts[@]}"; do [ "$p" = "$1" ] && return 0; done; return 1; }

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

if has_part rust; then
  rustup component add clippy rustfmt >/dev/null 2>&1 || true
  for t in wasm32-unknown-unknown; do
    rustup target list --installed | grep -qx "$t" || { log "rustup target add $t"; rustup target add "$t"; }
  done
fi

if has_part wasm; then
  if ! command -v wasm-bindgen >/dev/null || [ "$(wasm-bindgen --version | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
    log "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION"
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  fi
fi

if has_part python; then
  if [ ! -x .venv/bin/python ]; then
    log "python3 -m venv .venv"
    python3 -m venv .venv
  fi
  if ! .venv/bin/python -c 'import maturin, pytest, mypy' >/dev/null 2>&1; then
    log "pip install maturin pytest mypy"
    .venv/bin/pip install --quiet --upgrade pip
    .venv/bin/pip install --quiet 'maturin>=1.9,<2' pytest mypy
  fi
fi

if has_part browser; then
  if [ ! -x /usr/bin/chromium ]; then
    log "apt-get install chromium"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
  fi
fi
