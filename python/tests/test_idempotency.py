"""A retried command with the same command id returns the first outcome and writes nothing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import order_core
from order_core import OrderService


def test_retried_commands_write_nothing(service: OrderService) -> None:
    order_id = service.create_order("c", command_id="create-1").order_id
    assert service.create_order("c", command_id="create-1").order_id == order_id
    assert service.add_item(order_id, "p", 2, "1.50", command_id="add-1").version == 2
    assert service.add_item(order_id, "p", 2, "1.50", command_id="add-1").version == 2
    assert service.place_order(order_id, command_id="place-1").version == 3
    assert service.place_order(order_id, command_id="place-1").version == 3
    assert len(service.all_events()) == 3
    assert service.get_order(order_id).items[0].quantity == 2


def test_reusing_an_id_for_another_command_is_refused(service: OrderService) -> None:
    order_id = service.create_order("c").order_id
    service.add_item(order_id, "p", 1, "1", command_id="k")
    with pytest.raises(order_core.IdempotencyError) as raised:
        service.add_item(order_id, "p", 5, "1", command_id="k")
    assert raised.value.code == "idempotency_key_reused"
    assert len(service.events(order_id)) == 2


def test_idempotency_survives_reopening_the_file(db_path: Path) -> None:
    with OrderService(db_path) as first:
        order_id = first.create_order("c", command_id="create-1").order_id
        first.add_item(order_id, "p", 1, "9.99", command_id="add-1")
    with OrderService(db_path) as second:
        assert second.create_order("c", command_id="create-1").order_id == order_id
        assert second.add_item(order_id, "p", 1, "9.99", command_id="add-1").version == 2
        assert len(second.all_events()) == 2


def test_exact_decimal_quantities_survive_the_round_trip(service: OrderService) -> None:
    # Decimal("2.0") is the whole number 2; it must reach the core as the number 2.0, not as
    # text (which a quantity never is), and a retry of it must still be the same command.
    order_id = service.create_order("c").order_id
    version = service.add_item(order_id, "p", Decimal("2.0"), "1.00", command_id="q-1").version
    assert service.add_item(order_id, "p", Decimal("2.0"), "1.00", command_id="q-1").version == version
    assert service.get_order(order_id).items[0].quantity == 2
    assert len(service.events(order_id)) == 2
    with pytest.raises(order_core.DomainError) as raised:
        service.add_item(order_id, "p", Decimal("2.000000000000000001"), "1.00")
    assert raised.value.code == "invalid_quantity"
    with pytest.raises(order_core.DomainError) as raised:
        service.add_item(order_id, "p2", 1, Decimal("12.340000000000000001"))
    assert raised.value.code == "invalid_price"
