# Two commands: `make run` starts the server with the web demo; `make test` runs every test.
.PHONY: run test test-faults lint bench setup

run:
	scripts/run.sh

test:
	scripts/test.sh

# The fault-injection suite, long profile (24 kill -9, full disk, locks, mixed writers, bad
# guest); writes docs/reliability.md. `make test` runs its short profile.
test-faults:
	scripts/test-faults.sh --long

lint:
	scripts/lint.sh

bench:
	scripts/bench.sh

setup:
	scripts/setup.sh
