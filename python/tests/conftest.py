"""Shared fixtures: the repository's vector directory and a fresh service per test."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

import order_core

# The tests run against the *installed* package; only the shared vectors come from the
# source tree (override with ORDER_VECTORS_DIR when the tests are copied elsewhere).
VECTORS_DIR = Path(
    os.environ.get(
        "ORDER_VECTORS_DIR",
        Path(__file__).resolve().parents[2] / "tests" / "vectors",
    )
)


@pytest.fixture
def service() -> Iterator[order_core.OrderService]:
    with order_core.OrderService() as svc:
        yield svc


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "orders.db"
