"""The pure functions on plain dicts: shapes, upcasting, projection and input errors."""

from __future__ import annotations

from typing import Any, Dict

import pytest

import order_core

CTX = {"now": "2026-01-01T10:00:00Z", "actor": "tester"}


def envelope(event: Dict[str, Any], version: int, recorded_at: str) -> Dict[str, Any]:
    data = {k: v for k, v in event.items() if k != "type"}
    return {
        "eventId": f"00000000-0000-7000-8000-{version:012d}",
        "streamId": event["orderId"],
        "version": version,
        "position": version,
        "type": event["type"],
        "schemaVersion": 2 if event["type"] == "ItemAdded" else 1,
        "data": data,
        "metadata": {"recordedAt": recorded_at},
    }


def test_initial_state_is_an_empty_stream() -> None:
    assert order_core.initial_state() == {"version": 0, "order": None}


def test_decide_evolve_project_round_trip() -> None:
    state = order_core.initial_state()
    view = None
    commands = [
        {"type": "CreateOrder", "orderId": "o-1", "customerId": "c-1"},
        {"type": "AddItem", "orderId": "o-1", "productId": "p", "quantity": 3, "price": 0.1},
        {"type": "PlaceOrder", "orderId": "o-1"},
    ]
    version = 0
    for command in commands:
        for event in order_core.decide(state, command, CTX):
            version += 1
            state = order_core.evolve(state, event)
            view = order_core.project(view, envelope(event, version, CTX["now"]))
    assert state["order"]["total"] == "0.30"
    assert view is not None
    assert view["status"] == "placed"
    assert view["total"] == "0.30"
    assert view["version"] == 3


def test_project_upcasts_a_v1_envelope() -> None:
    created = {
        "type": "OrderCreated",
        "orderId": "o-1",
        "customerId": "c-1",
        "createdAt": "2026-01-01T09:00:00Z",
    }
    view = order_core.project(None, envelope(created, 1, "2026-01-01T09:00:00Z"))
    old = {
        "eventId": "00000000-0000-7000-8000-000000000002",
        "streamId": "o-1",
        "version": 2,
        "position": 2,
        "type": "ItemAdded",
        "schemaVersion": 1,
        "data": {"orderId": "o-1", "productId": "p", "quantity": 2, "unitPriceCents": 2999},
        "metadata": {"recordedAt": "2026-01-01T09:01:00Z"},
    }
    view = order_core.project(view, old)
    assert view is not None
    assert view["items"] == [{"productId": "p", "quantity": 2, "price": "29.99"}]
    assert view["total"] == "59.98"


def test_project_before_creation_is_none() -> None:
    placed = {
        "type": "OrderPlaced",
        "orderId": "o-1",
        "customerId": "c-1",
        "total": "0.00",
        "placedAt": "2026-01-01T09:00:00Z",
    }
    assert order_core.project(None, envelope(placed, 1, "2026-01-01T09:00:00Z")) is None


def test_upcast_rejects_unknown_types_and_future_schemas() -> None:
    with pytest.raises(order_core.InvalidInput):
        order_core.upcast("Nope", 1, {})
    with pytest.raises(order_core.InvalidInput):
        order_core.upcast("ItemAdded", 3, {})


@pytest.mark.parametrize(
    "command, fragment",
    [
        ({"type": "CreateOrder", "orderId": "o-1"}, "customerId"),
        ({"type": "Teleport", "orderId": "o-1"}, "Teleport"),
        (
            {"type": "AddItem", "orderId": "o-1", "productId": "p", "quantity": "2", "price": 1},
            "number",
        ),
    ],
)
def test_malformed_commands_are_invalid_input(command: Dict[str, Any], fragment: str) -> None:
    with pytest.raises(order_core.InvalidInput) as raised:
        order_core.decide(order_core.initial_state(), command, CTX)
    assert raised.value.code == "invalid_input"
    assert fragment in raised.value.message
    assert isinstance(raised.value, ValueError)


def test_context_needs_a_timestamp() -> None:
    command = {"type": "CreateOrder", "orderId": "o-1", "customerId": "c"}
    with pytest.raises(order_core.InvalidInput) as raised:
        order_core.decide(order_core.initial_state(), command, {"now": "yesterday"})
    assert "context" in raised.value.message
