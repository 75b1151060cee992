# Two commands: `make run` starts the server with the web demo; `make test` runs every test.
.PHONY: run test test-faults lint bench setup fuzz

run:
	scripts/run.sh

test:
	scripts/test.sh

# The fault-injection suite, long profile (24 kill -9, full disk, locks, mixed writers, bad
# guest); writes docs/reliability.md. `make test` runs its short profile.
test-faults:
	scripts/test-faults.sh --long

# Coverage-guided fuzzing of the command, stored-event and money decoders (cargo fuzz,
# nightly), FUZZ_SECONDS per target (60). On demand only: not part of `make test`.
fuzz:
	scripts/fuzz.sh

lint:
	scripts/lint.sh

bench:
	scripts/bench.sh

setup:
	scripts/setup.sh
