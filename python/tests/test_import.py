"""import_events: another store's log appended as it is (schema versions kept)."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List

import pytest

import order_core
from order_core import OrderService


def exported(service: OrderService) -> List[Dict[str, Any]]:
    return [e.to_dict() for e in service.all_events()]


def seeded_log() -> List[Dict[str, Any]]:
    with OrderService() as source:
        order_id = source.create_order("customer-123", order_id="o-1").order_id
        source.add_item(order_id, "product-456", 2, "29.99", command_id="add-1")
        source.add_item(order_id, "product-789", 1, "49.99")
        source.place_order(order_id)
        source.create_order("customer-123", order_id="o-2")
        return exported(source)


def test_a_log_imports_into_memory_and_into_a_file(db_path: Path) -> None:
    log = seeded_log()
    for target in (OrderService(), OrderService(db_path)):
        with target:
            assert target.import_events(log) == 5
            order = target.get_order("o-1")
            assert order.total == Decimal("109.97")
            assert order.status == "placed"
            assert [o.id for o in target.list_orders("customer-123")] == ["o-1", "o-2"]
            assert exported(target) == log
            assert target.verify()["mismatches"] == []
            # Command ids recorded in the imported metadata keep retries idempotent.
            assert target.add_item("o-1", "product-456", 2, "29.99", command_id="add-1").version == 2
            assert len(target.all_events()) == 5


def test_old_schema_versions_are_kept_in_the_file_and_upcast_on_read(db_path: Path) -> None:
    log = seeded_log()[:2]
    log[1]["schemaVersion"] = 1
    log[1]["data"] = {
        "orderId": "o-1",
        "productId": "product-456",
        "quantity": 2,
        "unitPriceCents": 2999,
    }
    with OrderService(db_path) as service:
        service.import_events(log)
        assert service.get_order("o-1").total == Decimal("59.98")
        assert service.events("o-1")[1].data["price"] == "29.99"
    with sqlite3.connect(db_path) as db:
        version, data = db.execute(
            "SELECT schema_version, data FROM events WHERE position = 2"
        ).fetchone()
    assert version == 1
    assert json.loads(data)["unitPriceCents"] == 2999


def test_a_broken_log_imports_nothing(db_path: Path) -> None:
    log = seeded_log()
    del log[1]  # o-1 jumps from version 1 to 3
    with OrderService(db_path) as service:
        with pytest.raises(order_core.InvalidInput) as raised:
            service.import_events(log)
        assert "version" in raised.value.message
        assert service.all_events() == []


def test_malformed_entries_are_invalid_input() -> None:
    with OrderService() as service:
        with pytest.raises(order_core.InvalidInput):
            service.import_events([{"type": "OrderCreated"}])


def test_memory_imports_only_while_empty() -> None:
    with OrderService() as service:
        service.create_order("c")
        with pytest.raises(order_core.InvalidInput) as raised:
            service.import_events(seeded_log())
        assert "empty" in raised.value.message


def test_an_entry_without_its_time_or_schema_version_is_refused_by_index() -> None:
    for missing in ("schemaVersion", "metadata"):
        log = seeded_log()
        del log[2][missing]
        with OrderService() as service:
            with pytest.raises(order_core.InvalidInput) as raised:
                service.import_events(log)
            assert "events[2]" in raised.value.message, raised.value.message
            assert missing in raised.value.message, raised.value.message
            assert service.all_events() == []
    log = seeded_log()
    del log[1]["metadata"]["recordedAt"]
    with OrderService() as service:
        with pytest.raises(order_core.InvalidInput) as raised:
            service.import_events(log)
        assert "events[1]" in raised.value.message and "recordedAt" in raised.value.message
