"""The README examples and the typed example run as they are written, and the package README
quotes its examples verbatim (so it cannot drift from code that runs)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PACKAGE_README = EXAMPLES.parent / "README.md"


@pytest.mark.parametrize("example", ["readme.py", "batch.py"])
def test_readme_examples_run(tmp_path: Path, example: str) -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / example)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "orders.db").exists()
    quoted = (EXAMPLES / example).read_text().strip() in PACKAGE_README.read_text()
    assert quoted, f"python/README.md does not quote examples/{example} verbatim"


def test_typed_example_runs() -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "typed_usage.py")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "typed usage: ok" in done.stdout
