"""Exercises the public API with full annotations; `mypy --strict` checks it against the
stubs, and the test suite runs it."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Dict, List, Optional

import order_core
from order_core import (
    CommandOutcome,
    CommandRejected,
    ConcurrencyError,
    DomainError,
    EventEnvelope,
    InvalidInput,
    Order,
    OrderError,
    OrderItem,
    OrderNotFound,
    OrderService,
)


def lifecycle(service: OrderService) -> Order:
    created: CommandOutcome = service.create_order("customer-123", command_id="create-1")
    order_id: str = created.order_id
    version: int = service.add_item(order_id, "product-456", 2, Decimal("29.99")).version
    added = service.add_item(order_id, "product-789", 1, 49.99, expected_version=version)
    positions: List[int] = added.positions
    assert not added.replayed and len(positions) == len(added.events) == 1
    service.remove_item(order_id, "product-789", quantity=1)
    service.add_item(order_id, "product-789", 1, "49.99")
    service.place_order(order_id)
    return service.get_order(order_id)


def describe(order: Order) -> str:
    items: List[OrderItem] = order.items
    lines = [f"{i.quantity} x {i.product_id} @ {i.price}" for i in items]
    placed: Optional[datetime] = order.placed_at
    return f"{order.id} {order.status} {order.total} placed={placed} " + "; ".join(lines)


def codes(service: OrderService) -> List[str]:
    seen: List[str] = []
    try:
        service.place_order("missing")
    except OrderNotFound as e:
        seen.append(e.code)
    order_id = service.create_order("c").order_id
    try:
        service.add_item(order_id, "p", 1, "0.001")
    except DomainError as e:
        seen.append(e.code)
    try:
        service.add_item(order_id, "p", 1, "1", expected_version=99)
    except ConcurrencyError as e:
        seen.append(e.code)
    try:
        service.get_order(order_id, at=datetime(2026, 1, 1))
    except InvalidInput as e:
        seen.append(e.code)
    except OrderError as e:
        seen.append("unexpected " + e.message)
    return seen


def batched(service: OrderService) -> List[str]:
    """One transaction for many commands; each answers accepted or rejected."""
    with service.batch() as batch:
        order_id: str = batch.create_order("customer-9")
        batch.add_item(order_id, "p", 1, "1.001")
        batch.add_item(order_id, "p", 1, Decimal("1.00"), command_id="add-p")
    outcomes = batch.outcomes + service.execute_many(
        [{"type": "PlaceOrder", "orderId": order_id, "expectedVersion": 2}]
    )
    seen: List[str] = []
    for outcome in outcomes:
        if isinstance(outcome, CommandRejected):
            retryable: bool = outcome.retryable
            error: OrderError = outcome.error
            seen.append(f"{outcome.code} retryable={retryable} {type(error).__name__}")
        else:
            seen.append(f"v{outcome.version} at {outcome.positions}")
    return seen


def replay(events: List[EventEnvelope]) -> Optional[Dict[str, Any]]:
    view: Optional[Dict[str, Any]] = None
    for envelope in events:
        view = order_core.project(view, envelope.to_dict())
    return view


def pure() -> List[Dict[str, Any]]:
    state: Dict[str, Any] = order_core.initial_state()
    context = {"now": datetime.now(timezone.utc).isoformat()}
    command = {"type": "CreateOrder", "orderId": "o-1", "customerId": "c-1"}
    events = order_core.decide(state, command, context)
    for event in events:
        state = order_core.evolve(state, event)
    return events


def main() -> None:
    with OrderService() as service:
        order = lifecycle(service)
        assert order.total == Decimal("109.97"), describe(order)
        assert codes(service) == [
            "order_not_found",
            "invalid_price",
            "concurrency_conflict",
            "invalid_input",
        ]
        assert replay(service.events(order.id)) == order.to_dict()
        assert [line.split(" at ")[0] for line in batched(service)] == [
            "v1",
            "invalid_price retryable=False DomainError",
            "v2",
            "v3",
        ]
        assert len(service.list_orders("customer-123")) == 1
        assert service.rebuild_read_models() == len(service.all_events())
        with OrderService() as copy:
            log: List[Dict[str, Any]] = [e.to_dict() for e in service.all_events()]
            assert copy.import_events(log) == len(log)
            assert copy.get_order(order.id) == order
    assert pure()[0]["type"] == "OrderCreated"
    print("typed usage: ok")


if __name__ == "__main__":
    main()
