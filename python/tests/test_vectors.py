"""Every shared vector in tests/vectors, through the pure functions on plain dicts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

import pytest

import order_core
from conftest import VECTORS_DIR

DEFAULT_CONTEXT = {"now": "2026-01-01T10:00:00Z", "actor": "tester"}

VECTOR_FILES = sorted(VECTORS_DIR.glob("*.json"))


def test_the_vectors_are_there() -> None:
    # Guards against a silently empty parametrization (a wrong path would pass 0 cases).
    assert len(VECTOR_FILES) >= 30, f"expected the shared vectors in {VECTORS_DIR}"


def given_event(entry: Dict[str, Any]) -> Dict[str, Any]:
    """Today's event, or a stored older shape {type, schemaVersion, data} upcast first."""
    if "schemaVersion" in entry and "data" in entry:
        return order_core.upcast(entry["type"], entry["schemaVersion"], entry["data"])
    return entry


def fold(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    state = order_core.initial_state()
    for event in events:
        state = order_core.evolve(state, event)
    return state


@pytest.mark.parametrize("path", VECTOR_FILES, ids=[p.stem for p in VECTOR_FILES])
def test_vector(path: Path) -> None:
    case = json.loads(path.read_text())
    context = case.get("context", DEFAULT_CONTEXT)
    state = fold([given_event(e) for e in case["given"]])
    assert state["version"] == len(case["given"])

    if "error" in case:
        with pytest.raises(order_core.DomainError) as raised:
            order_core.decide(state, case["when"], context)
        assert raised.value.code == case["error"], raised.value.message
        if case["error"] == "order_not_found":
            assert isinstance(raised.value, order_core.OrderNotFound)
        return

    events = order_core.decide(state, case["when"], context)
    # Same JSON after parsing, not merely equivalent values.
    assert events == case["then"]
    if "expect" in case:
        after = fold([given_event(e) for e in case["given"]] + events)
        order = after["order"]
        for key, value in case["expect"].items():
            assert order[key] == value, f"expect.{key}"


def test_every_domain_code_is_exercised_by_some_vector() -> None:
    codes = {json.loads(p.read_text()).get("error") for p in VECTOR_FILES} - {None}
    assert len(codes) == 15
