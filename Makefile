# Two commands: `make run` starts the server with the web demo; `make test` runs every test.
.PHONY: run test lint bench setup

run:
	scripts/run.sh

test:
	scripts/test.sh

lint:
	scripts/lint.sh

bench:
	scripts/bench.sh

setup:
	scripts/setup.sh
