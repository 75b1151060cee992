"""OrderService on an SQLite file: the shared store's format, reopening from another process,
and two processes writing the same order."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List

import pytest

import order_core
from order_core import OrderService


def run_python(code: str) -> str:
    """Runs code in a fresh interpreter (a second process) and returns its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_file_is_written_closed_and_reopened_by_another_process(db_path: Path) -> None:
    with OrderService(db_path) as service:
        order_id = service.create_order("customer-123", order_id="o-1").order_id
        service.add_item(order_id, "product-456", 2, Decimal("29.99"))
        service.add_item(order_id, "product-789", 1, 49.99)
    assert db_path.exists()

    out = run_python(
        f"""
        import json
        from order_core import OrderService
        with OrderService({str(db_path)!r}) as service:
            service.place_order("o-1")
            order = service.get_order("o-1")
            print(json.dumps({{"total": str(order.total), "status": order.status,
                              "events": len(service.events("o-1"))}}))
        """
    )
    assert json.loads(out) == {"total": "109.97", "status": "placed", "events": 4}

    # And back in this process, through a new connection: the other process's write is there.
    with OrderService(db_path) as service:
        order = service.get_order("o-1")
        assert order.status == "placed"
        assert order.total == Decimal("109.97")
        assert [e.position for e in service.all_events()] == [1, 2, 3, 4]


def test_the_file_holds_the_shared_store_schema(db_path: Path) -> None:
    with OrderService(db_path) as service:
        order_id = service.create_order("c", order_id="o-1").order_id
        service.add_item(order_id, "p", 3, "0.10")
    with sqlite3.connect(db_path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        rows = db.execute(
            "SELECT position, stream_id, version, type, schema_version, data FROM events "
            "ORDER BY position"
        ).fetchall()
    assert [r[:5] for r in rows] == [
        (1, "o-1", 1, "OrderCreated", 1),
        (2, "o-1", 2, "ItemAdded", 2),
    ]
    # Money is stored as exact decimal text, never a float.
    assert json.loads(rows[1][5])["price"] == "0.10"


def test_snapshots_are_written_and_loading_from_them_matches(db_path: Path) -> None:
    with OrderService(db_path, snapshot_every=3) as service:
        order_id = service.create_order("c").order_id
        for i in range(7):
            service.add_item(order_id, f"p-{i}", 1, "1.01")
        expected = service.get_order(order_id)
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0] == 1
    with OrderService(db_path, snapshot_every=3) as service:
        # Deciding goes through snapshot + tail: a wrong state would misjudge these.
        with pytest.raises(order_core.DomainError) as raised:
            service.add_item(order_id, "p-0", 1, "2.00")
        assert raised.value.code == "price_mismatch"
        service.add_item(order_id, "p-0", 1, "1.01")
        order = service.get_order(order_id)
        assert order.total == expected.total + Decimal("1.01")
        assert order.items[0].quantity == 2


def test_synchronous_normal_is_accepted(db_path: Path) -> None:
    with OrderService(db_path, synchronous="normal") as service:
        service.create_order("c")
    with OrderService(db_path) as service:
        assert len(service.all_events()) == 1


def test_an_unopenable_path_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(order_core.StoreError):
        OrderService(blocker / "orders.db")


ROUNDS = 40


def race_with_expected_version(
    path: str, order_id: str, worker: int, barrier: Any, results: Any
) -> None:
    """In each round both workers add an item expecting the same version."""
    outcomes: List[str] = []
    with OrderService(path) as service:
        for round_ in range(ROUNDS):
            barrier.wait()
            try:
                service.add_item(
                    order_id, f"w{worker}-r{round_}", 1, "1.00", expected_version=1 + round_
                )
                outcomes.append("ok")
            except order_core.ConcurrencyError:
                outcomes.append("conflict")
    results.put((worker, outcomes))


def race_retrying(path: str, order_id: str, worker: int, barrier: Any, results: Any) -> None:
    """Adds items without an expected version, retrying on conflict like a real client."""
    conflicts = 0
    with OrderService(path) as service:
        barrier.wait()
        for i in range(ROUNDS):
            while True:
                try:
                    service.add_item(order_id, f"w{worker}-{i}", 1, "1.00")
                    break
                except order_core.ConcurrencyError:
                    conflicts += 1
    results.put((worker, conflicts))


def start_workers(target: Any, db_path: Path, order_id: str) -> Dict[int, Any]:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    workers = [
        ctx.Process(target=target, args=(str(db_path), order_id, w, barrier, results))
        for w in (0, 1)
    ]
    for p in workers:
        p.start()
    try:
        collected = dict(results.get(timeout=180) for _ in workers)
    finally:
        # A worker that failed leaves its partner waiting at the barrier: end it, so a
        # failure fails the test instead of hanging the interpreter at exit.
        for p in workers:
            p.join(timeout=60)
            if p.is_alive():
                p.terminate()
                p.join()
    for p in workers:
        assert p.exitcode == 0
    return collected


def test_two_processes_same_expected_version_exactly_one_conflict_per_pair(
    db_path: Path,
) -> None:
    with OrderService(db_path) as service:
        order_id = service.create_order("c").order_id
    outcomes = start_workers(race_with_expected_version, db_path, order_id)
    for round_ in range(ROUNDS):
        pair = sorted([outcomes[0][round_], outcomes[1][round_]])
        assert pair == ["conflict", "ok"], f"round {round_}: {pair}"

    with OrderService(db_path) as service:
        events = service.events(order_id)
        assert [e.version for e in events] == list(range(1, ROUNDS + 2))
        assert [e.position for e in service.all_events()] == list(range(1, ROUNDS + 2))
        winners = {
            f"w{w}-r{r}" for w in (0, 1) for r in range(ROUNDS) if outcomes[w][r] == "ok"
        }
        added = [e.data["productId"] for e in events[1:]]
        assert sorted(added) == sorted(winners)  # nothing lost, nothing duplicated
        assert service.get_order(order_id).total == Decimal(ROUNDS)


def test_two_processes_retrying_lose_and_duplicate_nothing(db_path: Path) -> None:
    with OrderService(db_path) as service:
        order_id = service.create_order("c").order_id
    start_workers(race_retrying, db_path, order_id)
    with OrderService(db_path) as service:
        events = service.events(order_id)
        added = sorted(e.data["productId"] for e in events[1:])
        assert added == sorted(f"w{w}-{i}" for w in (0, 1) for i in range(ROUNDS))
        assert [e.version for e in events] == list(range(1, 2 * ROUNDS + 2))
        order = service.get_order(order_id)
        assert order.version == 2 * ROUNDS + 1
        assert order.total == Decimal(2 * ROUNDS)


def race_create_retry(path: str, order_id: str, worker: int, barrier: Any, results: Any) -> None:
    """Both processes retry the same create (same command_id, no order id) at once."""
    created = []
    with OrderService(path) as service:
        barrier.wait()
        for i in range(ROUNDS):
            created.append(service.create_order("c", command_id=f"create-{i}").order_id)
    results.put((worker, created))


def test_a_create_retried_from_two_processes_creates_one_order(db_path: Path) -> None:
    # The lookup of the first attempt's order id runs inside the command's transaction, so
    # two processes retrying at the same moment agree on one order per command id.
    with OrderService(db_path):
        pass  # the file exists (and is migrated) before the race, as in the other races
    outcomes = start_workers(race_create_retry, db_path, "unused")
    assert outcomes[0] == outcomes[1], "both attempts answer with the same order"
    with OrderService(db_path) as service:
        events = service.all_events()
        assert len(events) == ROUNDS, "one OrderCreated per command id"
        assert sorted(e.stream_id for e in events) == sorted(outcomes[0])
