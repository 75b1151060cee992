#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo fuzz, libFuzzer) of the decoders a hostile client reaches:
# command JSON, stored-event lines (import), money text. Each target runs FUZZ_SECONDS
# (default 60) and the script prints its figures; a crash fails the run and leaves the
# input in fuzz/artifacts/<target>/. Not part of `make test` (issue 11: on demand).
#
#   scripts/fuzz.sh                       every target, 60 s each
#   FUZZ_SECONDS=600 scripts/fuzz.sh money_text
#
# Needs the nightly toolchain (libFuzzer's instrumentation is a nightly flag); installs
# cargo-fuzz from crates.io when it is missing. The corpus grows in fuzz/corpus/<target>
# (ignored by git); the seeds in fuzz/seeds/<target> are the starting points.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH="${FUZZ_SECONDS:-60}"
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(command_json envelope_json money_text)

if ! rustup toolchain list | grep -q '^nightly'; then
  echo "[fuzz] needs a nightly toolchain (rustup toolchain install nightly); none is installed" >&2
  exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "[fuzz] cargo install cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

# No sanitizer: the core has no unsafe code, and what is looked for (panics, overflow
# with debug assertions on, round trips that change a value) needs none; without ASan
# each target runs several times as many inputs in its time.
build=(--sanitizer none --fuzz-dir fuzz)
echo "[fuzz] building (nightly, release with debug assertions and overflow checks)"
cargo +nightly fuzz build "${build[@]}"
failed=()
summary=()
for target in "${TARGETS[@]}"; do
  corpus="fuzz/corpus/$target"
  mkdir -p "$corpus" "fuzz/artifacts/$target"
  log=$(mktemp)
  echo "[fuzz] $target for ${SECONDS_EACH}s"
  if cargo +nightly fuzz run "${build[@]}" "$target" "$corpus" "fuzz/seeds/$target" -- \
    -max_total_time="$SECONDS_EACH" -print_final_stats=1 >"$log" 2>&1; then
    status=ok
  else
    status=CRASH
    failed+=("$target")
    grep -E 'panicked|ERROR|Test unit written|Base64' "$log" | head -n 20 || true
  fi
  # A crash on a seed leaves no figures: each may be missing.
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1 || true)
  inputs=$(find "$corpus" -type f | wc -l)
  summary+=("$target: $status, ${runs:-?} runs, ${rate:-?} execs/s, corpus $inputs inputs, ${cov:-cov ?}")
  rm -f "$log"
done
printf '[fuzz] %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "[fuzz] crashes in: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
