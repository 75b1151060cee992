"""The exception hierarchy and the codes it carries."""

from __future__ import annotations

import pytest

import order_core
from order_core import OrderService


def test_hierarchy() -> None:
    assert issubclass(order_core.OrderError, Exception)
    for cls in (
        order_core.DomainError,
        order_core.ConcurrencyError,
        order_core.IdempotencyError,
        order_core.StoreError,
        order_core.InvalidInput,
    ):
        assert issubclass(cls, order_core.OrderError)
    assert issubclass(order_core.OrderNotFound, order_core.DomainError)
    assert not issubclass(order_core.ConcurrencyError, order_core.DomainError)
    assert issubclass(order_core.InvalidInput, ValueError)
    assert order_core.OrderError.__module__ == "order_core"
    assert order_core.InvalidInput.__module__ == "order_core"


@pytest.mark.parametrize(
    "action, cls, code",
    [
        (lambda s, o: s.add_item("missing", "p", 1, "1"), order_core.OrderNotFound, "order_not_found"),
        (lambda s, o: s.place_order(o), order_core.DomainError, "empty_order"),
        (lambda s, o: s.create_order("c", order_id=o), order_core.DomainError, "order_already_exists"),
        (lambda s, o: s.create_order(""), order_core.DomainError, "invalid_customer"),
        (lambda s, o: s.remove_item(o, "nope"), order_core.DomainError, "item_not_found"),
        (lambda s, o: s.cancel_order(o, reason="x" * 1001), order_core.DomainError, "invalid_reason"),
        (lambda s, o: s.add_item(o, "p", 1, "1", expected_version=7), order_core.ConcurrencyError, "concurrency_conflict"),
        (lambda s, o: s.add_item(o, "p", "1", "1"), order_core.InvalidInput, "invalid_input"),
    ],
)
def test_codes_and_classes(action, cls, code) -> None:  # type: ignore[no-untyped-def]
    service = OrderService()
    order_id = service.create_order("c").order_id
    with pytest.raises(cls) as raised:
        action(service, order_id)
    error = raised.value
    assert type(error) is cls
    assert error.code == code
    assert error.message and str(error) == error.message


def test_order_not_found_on_every_command() -> None:
    service = OrderService()
    for call in (
        lambda: service.place_order("missing"),
        lambda: service.cancel_order("missing"),
        lambda: service.remove_item("missing", "p"),
        lambda: service.get_order("missing"),
    ):
        with pytest.raises(order_core.OrderNotFound) as raised:
            call()
        assert raised.value.code == "order_not_found"
