#!/usr/bin/env python3
"""Fails unless the README quotes every host's example file verbatim; the example files
themselves are run by each host's tests, so the README cannot drift from tested code."""
import pathlib
import sys

root = pathlib.Path(__file__).resolve().parent.parent
readme = (root / "README.md").read_text()
examples = ["wasm/examples/readme.mjs", "python/examples/readme.py", "host-server/examples/readme.sh",
            "host-server/examples/readme-auth.sh", "host-server/examples/readme-rabbitmq.sh"]
missing = [e for e in examples if (root / e).read_text().strip() not in readme]
for e in missing:
    print(f"README.md does not quote {e} verbatim", file=sys.stderr)
print(f"readme: {len(examples) - len(missing)} of {len(examples)} examples quoted verbatim")
sys.exit(1 if missing else 0)
