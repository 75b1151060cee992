#!/usr/bin/env bash
# The one test command: installs what is missing (idempotently), then runs every suite:
# lint, core + store, wasm package (Node), Python package (pytest), server (HTTP), web demo
# (headless Chromium), and the short profile of the fault-injection suite (`make test-faults`
# runs the long one). Every suite runs even if an earlier one fails; the exit code and the
# closing line say how many failed.
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh || { echo "setup failed"; exit 1; }

suites=(lint core wasm python server fuzz-http web faults)
passed=0
failed=0
failed_names=()
for suite in "${suites[@]}"; do
  script="scripts/test-$suite.sh"
  args=()
  [ "$suite" = lint ] && script=scripts/lint.sh
  [ "$suite" = faults ] && args=(--short)
  printf '\n\033[1m==== %s (%s) ====\033[0m\n' "$suite" "$script"
  start=$(date +%s)
  if [ -x "$script" ] && "$script" "${args[@]}"; then
    passed=$((passed + 1))
    printf '\033[1m==== %s passed in %ss ====\033[0m\n' "$suite" "$(( $(date +%s) - start ))"
  else
    failed=$((failed + 1))
    failed_names+=("$suite")
    printf '\033[1;31m==== %s FAILED after %ss ====\033[0m\n' "$suite" "$(( $(date +%s) - start ))"
  fi
done

echo
[ "$failed" -gt 0 ] && echo "failed suites: ${failed_names[*]}"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
