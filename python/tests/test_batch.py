"""execute_many and batch(): many commands, one transaction, one outcome per command in the
shape of a `POST /commands` outcome."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List

import pytest

import order_core
from order_core import CommandOutcome, CommandRejected, OrderService


def test_each_command_gets_its_own_outcome_and_a_rejection_stops_nothing(
    service: OrderService,
) -> None:
    commands: List[Any] = [
        {"type": "CreateOrder", "orderId": "o-1", "customerId": "c", "commandId": "k-create"},
        {"type": "AddItem", "orderId": "o-1", "productId": "p", "quantity": 2,
         "price": Decimal("29.99"), "commandId": "k-add"},
        {"type": "AddItem", "orderId": "o-1", "productId": "q", "quantity": 1, "price": "0.001",
         "commandId": "k-bad-price"},
        {"type": "PlaceOrder", "orderId": "missing"},
        {"type": "AddItem", "orderId": "o-1", "productId": "q", "quantity": 1, "price": 49.99,
         "expectedVersion": 2},
        {"type": "AddItem", "orderId": "o-1", "productId": "r", "quantity": 1, "price": "1",
         "expectedVersion": 2, "commandId": "k-stale"},
        {"type": "AddItem", "orderId": "o-1", "productId": "p", "quantity": 2,
         "price": Decimal("29.99"), "commandId": "k-add"},
        {"type": "PlaceOrder", "orderId": "o-1", "commandId": "k-place"},
    ]
    outcomes = service.execute_many(commands)
    assert [o.to_dict() for o in outcomes] == [
        {"commandId": "k-create", "accepted": True, "orderId": "o-1", "version": 1,
         "positions": [1]},
        {"commandId": "k-add", "accepted": True, "orderId": "o-1", "version": 2,
         "positions": [2]},
        {"commandId": "k-bad-price", "accepted": False, "retryable": False,
         "error": {"code": "invalid_price", "message": outcomes[2].message}},
        {"commandId": None, "accepted": False, "retryable": False,
         "error": {"code": "order_not_found", "message": outcomes[3].message}},
        {"commandId": None, "accepted": True, "orderId": "o-1", "version": 3,
         "positions": [3]},
        {"commandId": "k-stale", "accepted": False, "retryable": False,
         "error": {"code": "concurrency_conflict", "message": outcomes[5].message}},
        # The same command id again, inside the same batch: the first outcome, nothing new.
        {"commandId": "k-add", "accepted": True, "orderId": "o-1", "version": 2,
         "positions": [2]},
        {"commandId": "k-place", "accepted": True, "orderId": "o-1", "version": 4,
         "positions": [4]},
    ]
    assert isinstance(outcomes[6], CommandOutcome) and outcomes[6].replayed
    assert "more than 2 decimal places" in outcomes[2].message
    # Only what was accepted was written, gap-free, in command order.
    assert [(e.type, e.position) for e in service.all_events()] == [
        ("OrderCreated", 1), ("ItemAdded", 2), ("ItemAdded", 3), ("OrderPlaced", 4),
    ]
    order = service.get_order("o-1")
    assert (order.status, order.total, order.version) == ("placed", Decimal("109.97"), 4)


def test_a_rejection_carries_the_exception_a_single_call_raises(service: OrderService) -> None:
    service.create_order("c", order_id="o-1")
    rejected = service.execute_many(
        [
            {"type": "PlaceOrder", "orderId": "o-1"},
            {"type": "PlaceOrder", "orderId": "nope"},
            {"type": "AddItem", "orderId": "o-1", "productId": "p", "quantity": 1,
             "price": "1", "expectedVersion": 9},
        ]
    )
    assert all(isinstance(r, CommandRejected) and not r.accepted for r in rejected)
    with pytest.raises(order_core.DomainError) as single:
        service.place_order("o-1")
    errors = [r.error for r in rejected if isinstance(r, CommandRejected)]
    assert type(errors[0]) is type(single.value)
    assert (errors[0].code, errors[0].message) == (single.value.code, single.value.message)
    assert type(errors[1]) is order_core.OrderNotFound
    assert type(errors[2]) is order_core.ConcurrencyError
    with pytest.raises(order_core.ConcurrencyError):
        raise errors[2]


@pytest.mark.parametrize(
    "item, fragment",
    [
        ("CreateOrder", "must be a dict, not str"),
        ({"orderId": "o-1"}, "type"),
        ({"type": "Ship", "orderId": "o-1"}, "Ship"),
        ({"type": "AddItem", "orderId": "o-1", "productId": "p", "price": "1"}, "quantity"),
        ({"type": "AddItem", "orderId": "o-1", "productId": "p", "quantity": "2", "price": "1"},
         "quantity must be a number"),
        ({"type": "PlaceOrder", "orderId": "o-1", "expectedVersion": -1}, "expectedVersion"),
        ({"type": "PlaceOrder", "orderId": "o-1", "commandId": 7}, "commandId"),
    ],
)
def test_a_malformed_command_is_rejected_where_it_stands(
    service: OrderService, item: Any, fragment: str
) -> None:
    service.create_order("c", order_id="o-1")
    before = len(service.all_events())
    outcomes = service.execute_many(
        [item, {"type": "CancelOrder", "orderId": "o-1", "commandId": "after"}]
    )
    malformed, after = outcomes
    assert isinstance(malformed, CommandRejected)
    assert (malformed.code, malformed.retryable) == ("invalid_input", False)
    assert fragment in malformed.message
    assert isinstance(malformed.error, order_core.InvalidInput)
    assert isinstance(after, CommandOutcome) and after.version == 2
    assert len(service.all_events()) == before + 1


def test_a_rejected_command_keeps_the_command_id_it_gave(service: OrderService) -> None:
    [rejected] = service.execute_many([{"type": "Nope", "commandId": "k-9"}])
    assert isinstance(rejected, CommandRejected) and rejected.command_id == "k-9"


def test_a_create_without_order_id_gets_one_and_its_retry_answers_for_it(
    service: OrderService,
) -> None:
    create = {"type": "CreateOrder", "customerId": "c", "commandId": "k-1"}
    [first] = service.execute_many([create])
    [again] = service.execute_many([create])
    assert isinstance(first, CommandOutcome) and isinstance(again, CommandOutcome)
    assert len(first.order_id) == 36 and first.order_id[14] == "7"
    assert (again.order_id, again.version, again.replayed) == (first.order_id, 1, True)
    assert len(service.all_events()) == 1


def test_an_empty_batch_answers_nothing(service: OrderService) -> None:
    assert service.execute_many([]) == []
    assert service.execute_many(iter(())) == []


def seed_commands(order_id: str) -> List[Dict[str, Any]]:
    return [
        {"type": "CreateOrder", "orderId": order_id, "customerId": "c",
         "commandId": f"{order_id}/create"},
        {"type": "AddItem", "orderId": order_id, "productId": "p", "quantity": 2,
         "price": "29.99", "commandId": f"{order_id}/add"},
        {"type": "PlaceOrder", "orderId": order_id, "commandId": f"{order_id}/place"},
    ]


def test_a_failed_transaction_fails_every_command_and_writes_nothing(db_path: Path) -> None:
    with OrderService(db_path):
        pass  # creates the schema
    # The disk refusing the batch midway: SQLite rolls the whole transaction back.
    with sqlite3.connect(db_path) as db:
        db.execute(
            "CREATE TRIGGER poison AFTER INSERT ON events WHEN NEW.stream_id = 'poison'"
            " BEGIN SELECT RAISE(ROLLBACK, 'simulated I/O failure'); END"
        )
    batch = seed_commands("o-1") + seed_commands("poison") + seed_commands("o-3")
    with OrderService(db_path) as service:
        failed = service.execute_many(batch)
        assert len(failed) == len(batch)
        for outcome, command in zip(failed, batch):
            assert isinstance(outcome, CommandRejected)
            assert outcome.command_id == command["commandId"]
            assert (outcome.code, outcome.retryable) == ("store_error", True)
            assert "nothing was applied" in outcome.message
            assert isinstance(outcome.error, order_core.StoreError)
        # Nothing of it, not even the commands before the failing one: one transaction.
        assert service.all_events() == []
        with pytest.raises(order_core.OrderNotFound):
            service.get_order("o-1")
    with sqlite3.connect(db_path) as db:
        db.execute("DROP TRIGGER poison")
    with OrderService(db_path) as service:
        # Sent again with the same command ids: applied once...
        retried = service.execute_many(batch)
        assert [o.accepted for o in retried] == [True] * len(batch)
        assert [e.position for e in service.all_events()] == list(range(1, 10))
        # ... and once only.
        again = service.execute_many(batch)
        assert all(isinstance(o, CommandOutcome) and o.replayed for o in again)
        assert [o.to_dict() for o in again] == [o.to_dict() for o in retried]
        assert len(service.all_events()) == 9


def test_a_command_the_store_fails_alone_is_retryable_and_the_others_commit(
    db_path: Path,
) -> None:
    with OrderService(db_path):
        pass
    # One statement of one command fails (its read-model row); the transaction goes on.
    with sqlite3.connect(db_path) as db:
        db.execute(
            "CREATE TRIGGER flaky BEFORE INSERT ON rm_orders WHEN NEW.id = 'flaky'"
            " BEGIN SELECT RAISE(ABORT, 'simulated statement failure'); END"
        )
    with OrderService(db_path) as service:
        outcomes = service.execute_many(
            seed_commands("o-1")[:1] + seed_commands("flaky")[:1] + seed_commands("o-3")[:1]
        )
        first, flaky, third = outcomes
        assert isinstance(flaky, CommandRejected)
        assert (flaky.code, flaky.retryable) == ("store_error", True)
        assert "nothing was applied" not in flaky.message
        assert "simulated statement failure" in flaky.message
        assert isinstance(first, CommandOutcome) and isinstance(third, CommandOutcome)
        # The failed command's event went with it: positions stay gap-free.
        assert [(e.stream_id, e.position) for e in service.all_events()] == [
            ("o-1", 1), ("o-3", 2)
        ]


def test_batches_on_a_file_survive_reopening(db_path: Path) -> None:
    with OrderService(db_path) as service:
        outcomes = service.execute_many(seed_commands("o-1") + seed_commands("o-2"))
        assert [o.accepted for o in outcomes] == [True] * 6
    with OrderService(db_path) as service:
        assert service.get_order("o-2").total == Decimal("59.98")
        assert service.verify() == {"streams": 2, "events": 6, "mismatches": []}


def test_batch_queues_with_the_method_names_and_runs_when_the_block_ends(
    service: OrderService,
) -> None:
    with service.batch() as batch:
        order_id = batch.create_order("c", command_id="create")
        assert batch.add_item(order_id, "p", 2, Decimal("29.99")) is None
        batch.add_item(order_id, "q", 1, "49.99", expected_version=2)
        batch.remove_item(order_id, "q", 1)
        batch.add_item(order_id, "q", 1, 49.99)
        batch.cancel_order(order_id, "changed my mind")
        batch.place_order(order_id)  # cancelled: rejected, the rest stands
        assert len(batch) == 7
        assert service.events(order_id) == []  # nothing runs before the block ends
    outcomes = batch.outcomes
    assert len(batch) == len(outcomes) == 7
    assert [o.accepted for o in outcomes] == [True] * 6 + [False]
    assert [o.version for o in outcomes if isinstance(o, CommandOutcome)] == [1, 2, 3, 4, 5, 6]
    rejected = outcomes[-1]
    assert isinstance(rejected, CommandRejected) and rejected.code == "order_cancelled"
    order = service.get_order(order_id)
    assert (order.status, order.cancel_reason) == ("cancelled", "changed my mind")
    assert order_id == outcomes[0].to_dict()["orderId"]


def test_a_block_that_raises_runs_nothing(service: OrderService) -> None:
    with pytest.raises(KeyError):
        with service.batch() as batch:
            batch.create_order("c", order_id="o-1")
            raise KeyError("caller's bug")
    assert batch.outcomes == []
    assert service.all_events() == []


def test_a_batch_runs_once(service: OrderService) -> None:
    batch = service.batch()
    with pytest.raises(RuntimeError, match="with block ends"):
        batch.outcomes
    with batch:
        batch.create_order("c", order_id="o-1")
    with pytest.raises(RuntimeError, match="already run"):
        batch.place_order("o-1")
    assert len(service.all_events()) == 1


def test_a_wrong_python_type_raises_at_the_call(service: OrderService) -> None:
    with service.batch() as batch:
        order_id = batch.create_order("c")
        with pytest.raises(order_core.InvalidInput):
            batch.add_item(order_id, "p", "2", "1.00")  # type: ignore[arg-type]
    assert len(batch.outcomes) == 1
    assert service.get_order(order_id).items == []


def test_batch_commands_carry_the_service_actor() -> None:
    with OrderService(actor="clerk-7") as service:
        service.execute_many(seed_commands("o-1")[:1])
        with service.batch() as batch:
            batch.create_order("c", order_id="o-2")
        for order_id in ("o-1", "o-2"):
            assert service.events(order_id)[0].metadata["actor"] == "clerk-7"
            assert service.get_order(order_id).created_by == "clerk-7"
