"""Order-lifecycle benchmark: order_core on SQLite beside the `eventsourcing` library.

Per order: create, add 2 items, place -- four commands, each loading the order, deciding and
appending in its own transaction, on an SQLite file in WAL mode at the same `synchronous`
setting for both. Prints commands/s for each and the ratio. Figures, not assertions.
A third run (`eventsourcing+rm`) has eventsourcing also write what order_core's contract
writes in every transaction: the read-model row and the projection checkpoint.
Two more runs send the same commands through order_core's group commit, many commands per
transaction (`--batch-orders` orders, four commands each): `execute_many` with dicts, and
`batch()` with the method names; every outcome is checked to be accepted.
Each run also measures its database file's bytes per event (after a WAL checkpoint).
With BENCH_JSONL=file set, the best figures are appended there as JSON lines
(bench/results/README.md), for `make bench`'s table.

    python bench/bench_lifecycle.py [--orders N] [--synchronous normal|full|both] [--repeat R]
        [--batch-orders B]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple
from uuid import UUID

from eventsourcing import sqlite as es_sqlite
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

import order_core

COMMANDS_PER_ORDER = 4
SEED_TOTAL = Decimal("109.97")


# --- eventsourcing: an equivalent Order aggregate -------------------------------------------


class Order(Aggregate):
    """The same rules the core applies on this path: draft-only changes, positive integer
    quantities, non-negative prices with at most two decimals, no empty place."""

    @event("Created")
    def __init__(self, customer_id: str) -> None:
        self.customer_id = customer_id
        self.status = "draft"
        self.items: Dict[str, Tuple[int, str]] = {}
        self.total = "0.00"

    def add_item(self, product_id: str, quantity: int, price: str) -> None:
        if self.status != "draft":
            raise ValueError("order_not_draft")
        if quantity <= 0:
            raise ValueError("invalid_quantity")
        amount = Decimal(price)
        exponent = amount.as_tuple().exponent
        if amount < 0 or not isinstance(exponent, int) or exponent < -2:
            raise ValueError("invalid_price")
        self._item_added(product_id, quantity, price)

    @event("ItemAdded")
    def _item_added(self, product_id: str, quantity: int, price: str) -> None:
        held, _ = self.items.get(product_id, (0, price))
        self.items[product_id] = (held + quantity, price)
        self.total = str(Decimal(self.total) + Decimal(price) * quantity)

    def place(self) -> None:
        if not self.items:
            raise ValueError("empty_order")
        if self.status == "draft":
            self._placed(self.total)

    @event("Placed")
    def _placed(self, total: str) -> None:
        self.status = "placed"


class Orders(Application):
    def create_order(self, customer_id: str) -> UUID:
        order = Order(customer_id)
        self.save(order, **self.read_model_of(order))
        return order.id

    def add_item(self, order_id: UUID, product_id: str, quantity: int, price: str) -> None:
        order: Order = self.repository.get(order_id)
        order.add_item(product_id, quantity, price)
        self.save(order, **self.read_model_of(order))

    def place_order(self, order_id: UUID) -> None:
        order: Order = self.repository.get(order_id)
        order.place()
        self.save(order, **self.read_model_of(order))

    def read_model_of(self, order: Order) -> Dict[str, Any]:
        """Nothing for the plain library; `OrdersWithReadModel` hands its recorder the row."""
        return {}

    def total(self, order_id: UUID) -> Decimal:
        order: Order = self.repository.get(order_id)
        return Decimal(order.total)


# --- eventsourcing doing the same work as order_core per command ----------------------------
# order_core's contract writes, in each command's transaction, the read-model row (with a
# customer index) and the projection checkpoint beside the events. This variant makes
# eventsourcing do that too, in its own transaction, through the hooks the library offers
# (`save(**kwargs)` reaches the recorder; APPLICATION_RECORDER_TOPIC picks the recorder).


class OrdersWithReadModel(Orders):
    def read_model_of(self, order: Order) -> Dict[str, Any]:
        items = [
            {"productId": product, "quantity": quantity, "price": price}
            for product, (quantity, price) in order.items.items()
        ]
        view = {
            "id": str(order.id),
            "customerId": order.customer_id,
            "status": order.status,
            "items": items,
            "total": order.total,
            "createdAt": order.created_on.isoformat(),
            "version": order.version,
            "updatedAt": order.modified_on.isoformat(),
        }
        row = (
            str(order.id),
            order.customer_id,
            order.status,
            order.total,
            view["createdAt"],
            order.version,
            json.dumps(view),
        )
        return {"read_model": row}


class RecorderWithReadModel(es_sqlite.SQLiteApplicationRecorder):
    def construct_create_table_statements(self) -> List[str]:
        return super().construct_create_table_statements() + [
            "CREATE TABLE IF NOT EXISTS rm_orders (id TEXT PRIMARY KEY, customer_id TEXT NOT NULL,"
            " status TEXT NOT NULL, total TEXT NOT NULL, created_at TEXT NOT NULL,"
            " version INTEGER NOT NULL, view TEXT NOT NULL) WITHOUT ROWID",
            "CREATE INDEX IF NOT EXISTS rm_orders_by_customer ON rm_orders"
            " (customer_id, created_at, id)",
            "CREATE TABLE IF NOT EXISTS projection_checkpoints"
            " (name TEXT PRIMARY KEY, position INTEGER NOT NULL) WITHOUT ROWID",
            "INSERT OR IGNORE INTO projection_checkpoints VALUES ('rm_orders', 0)",
        ]

    def _insert_events(self, c: Any, stored_events: Any, **kwargs: Any) -> Any:
        notification_ids = super()._insert_events(c, stored_events, **kwargs)
        row = kwargs.get("read_model")
        if row is not None:
            c.execute(
                "INSERT INTO rm_orders VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE"
                " SET status = excluded.status, total = excluded.total,"
                " version = excluded.version, view = excluded.view",
                row,
            )
            c.execute(
                "UPDATE projection_checkpoints SET position = ? WHERE name = 'rm_orders'",
                (max(notification_ids),),
            )
        return notification_ids


_original_create_connection = es_sqlite.SQLiteConnectionPool._create_connection


def _create_connection_with_synchronous(self: Any) -> Any:
    # eventsourcing opens its SQLite connections in WAL mode but has no `synchronous`
    # setting; apply the same PRAGMA as order_core to every connection it creates.
    connection = _original_create_connection(self)
    connection._sqlite_conn.execute(f"PRAGMA synchronous={_SYNCHRONOUS[0]}")
    return connection


_SYNCHRONOUS = ["FULL"]
es_sqlite.SQLiteConnectionPool._create_connection = _create_connection_with_synchronous


def build_eventsourcing_app(db_path: Path, synchronous: str, read_model: bool) -> Orders:
    _SYNCHRONOUS[0] = synchronous.upper()
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(db_path)}
    if not read_model:
        return Orders(env=env)
    env["APPLICATION_RECORDER_TOPIC"] = f"{__name__}:RecorderWithReadModel"
    return OrdersWithReadModel(env=env)


def run_eventsourcing(db_path: Path, synchronous: str, orders: int) -> Tuple[float, Decimal]:
    return run_eventsourcing_app(db_path, synchronous, orders, read_model=False)


def run_eventsourcing_with_read_model(
    db_path: Path, synchronous: str, orders: int
) -> Tuple[float, Decimal]:
    elapsed, total = run_eventsourcing_app(db_path, synchronous, orders, read_model=True)
    # The read model must hold what the events say, or this row measures nothing.
    with sqlite3.connect(db_path) as db:
        rows, placed = db.execute(
            "SELECT COUNT(*), SUM(status = 'placed' AND total = '109.97') FROM rm_orders"
        ).fetchone()
        checkpoint = db.execute("SELECT position FROM projection_checkpoints").fetchone()[0]
        events = db.execute("SELECT MAX(rowid) FROM stored_events").fetchone()[0]
    if (rows, placed, checkpoint) != (orders, orders, events):
        raise SystemExit(
            f"eventsourcing+rm: read model holds {rows} rows, {placed} placed at 109.97,"
            f" checkpoint {checkpoint} of {events} events"
        )
    return elapsed, total


def timed_lifecycles(
    orders_api: Any, orders: int, order_id_of: Callable[[Any], Any] = lambda created: created
) -> Tuple[float, Any]:
    """The workload, the same calls for both libraries: per order create, add 2 items, place.
    `order_id_of` reads the id from what `create_order` returned (eventsourcing returns the
    id, order_core an outcome). Returns the seconds it took and the last order's id (for the
    caller's total check)."""
    start = time.perf_counter()
    order_id = None
    for _ in range(orders):
        order_id = order_id_of(orders_api.create_order("customer-123"))
        orders_api.add_item(order_id, "product-456", 2, "29.99")
        orders_api.add_item(order_id, "product-789", 1, "49.99")
        orders_api.place_order(order_id)
    return time.perf_counter() - start, order_id


def run_eventsourcing_app(
    db_path: Path, synchronous: str, orders: int, *, read_model: bool
) -> Tuple[float, Decimal]:
    app = build_eventsourcing_app(db_path, synchronous, read_model)
    elapsed, order_id = timed_lifecycles(app, orders)
    total = app.total(order_id)
    app.close()
    return elapsed, total


# --- order_core ----------------------------------------------------------------------------

def run_order_core(db_path: Path, synchronous: str, orders: int) -> Tuple[float, Decimal]:
    service = order_core.OrderService(db_path, synchronous=synchronous)
    elapsed, order_id = timed_lifecycles(service, orders, lambda outcome: outcome.order_id)
    total = service.get_order(order_id).total
    service.close()
    return elapsed, total


# Orders per group commit; 64 orders are 256 commands, the server writer's largest batch.
_BATCH_ORDERS = [64]


def lifecycle_commands(order_id: str) -> List[Dict[str, Any]]:
    """One order's four commands in the JSON shape `execute_many` takes (as POST /commands)."""
    return [
        {"type": "CreateOrder", "orderId": order_id, "customerId": "customer-123"},
        {"type": "AddItem", "orderId": order_id, "productId": "product-456", "quantity": 2,
         "price": "29.99"},
        {"type": "AddItem", "orderId": order_id, "productId": "product-789", "quantity": 1,
         "price": "49.99"},
        {"type": "PlaceOrder", "orderId": order_id},
    ]


def all_accepted(outcomes: List[Any], expected: int) -> None:
    if len(outcomes) != expected or not all(o.accepted for o in outcomes):
        rejected = [o for o in outcomes if not o.accepted]
        raise SystemExit(f"a batch answered {len(outcomes)} of {expected}: {rejected[:3]}")


def run_order_core_execute_many(
    db_path: Path, synchronous: str, orders: int
) -> Tuple[float, Decimal]:
    service = order_core.OrderService(db_path, synchronous=synchronous)
    size = _BATCH_ORDERS[0]
    # Ids in creation order, as the per-command run's UUID v7s are (index locality alike).
    order_ids = [f"order-{i:08d}" for i in range(orders)]
    start = time.perf_counter()
    for first in range(0, orders, size):
        commands = [c for o in order_ids[first : first + size] for c in lifecycle_commands(o)]
        all_accepted(service.execute_many(commands), len(commands))
    elapsed = time.perf_counter() - start
    total = service.get_order(order_ids[-1]).total
    service.close()
    return elapsed, total


def run_order_core_batch(db_path: Path, synchronous: str, orders: int) -> Tuple[float, Decimal]:
    service = order_core.OrderService(db_path, synchronous=synchronous)
    size = _BATCH_ORDERS[0]
    start = time.perf_counter()
    order_id = ""
    for first in range(0, orders, size):
        with service.batch() as batch:
            for _ in range(min(size, orders - first)):
                order_id = batch.create_order("customer-123")
                batch.add_item(order_id, "product-456", 2, "29.99")
                batch.add_item(order_id, "product-789", 1, "49.99")
                batch.place_order(order_id)
        all_accepted(batch.outcomes, len(batch))
    elapsed = time.perf_counter() - start
    total = service.get_order(order_id).total
    service.close()
    return elapsed, total


def journal_mode(db_path: Path) -> str:
    with sqlite3.connect(db_path) as db:
        return str(db.execute("PRAGMA journal_mode").fetchone()[0])


def measure(
    name: str,
    run: Callable[[Path, str, int], Tuple[float, Decimal]],
    workdir: Path,
    synchronous: str,
    orders: int,
    attempt: int,
) -> float:
    db_path = workdir / f"{name}-{synchronous}-{attempt}.db"
    elapsed, total = run(db_path, synchronous, orders)
    # A benchmark of wrong results is worthless: check the last order and the file mode.
    if total != SEED_TOTAL:
        raise SystemExit(f"{name}: last order totals {total}, expected {SEED_TOTAL}")
    if journal_mode(db_path) != "wal":
        raise SystemExit(f"{name}: {db_path} is not in WAL mode")
    with sqlite3.connect(db_path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    _BYTES_PER_EVENT[name] = db_path.stat().st_size / (orders * COMMANDS_PER_ORDER)
    for leftover in workdir.glob(f"{db_path.name}*"):
        leftover.unlink()
    rate = orders * COMMANDS_PER_ORDER / elapsed
    print(
        f"  {name:<24} {orders * COMMANDS_PER_ORDER:>7} commands in {elapsed:7.2f} s"
        f" = {rate:>9,.0f} commands/s"
    )
    return rate


# The last run's database file size per event (one per command), after a checkpoint.
_BYTES_PER_EVENT: Dict[str, float] = {}


def emit(row: str, system: str, name: str, metric: str, value: float, mode: str, n: int) -> None:
    """Appends one figure to BENCH_JSONL when it is set (bench/results/README.md)."""
    if path := os.environ.get("BENCH_JSONL"):
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps({"group": "python", "row": row, "system": system, "name": name,
                                  "metric": metric, "value": value, "durability": mode.upper(),
                                  "n": n}) + "\n")


def fsync_ceiling(workdir: Path, rounds: int = 200) -> float:
    """Writes+fsyncs per second on this disk right now: the most commands/s anyone can
    commit at synchronous=FULL with one transaction per command."""
    path = workdir / "fsync-probe"
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        page = b"\0" * 4096
        start = time.perf_counter()
        for i in range(rounds):
            os.pwrite(fd, page, (i % 16) * 4096)
            os.fsync(fd)
        return rounds / (time.perf_counter() - start)
    finally:
        os.close(fd)
        path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=int(os.environ.get("N", "5000")))
    parser.add_argument("--synchronous", choices=["normal", "full", "both"], default="both")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs per library and mode, interleaved; the best run of each is compared "
        "(other processes on a shared machine only ever slow a run down)",
    )
    parser.add_argument("--dir", type=Path, default=None, help="where to put the .db files")
    parser.add_argument(
        "--no-equivalent",
        dest="equivalent",
        action="store_false",
        help="skip the extra eventsourcing run that also writes a read model and checkpoint",
    )
    parser.add_argument(
        "--batch-orders",
        type=int,
        default=_BATCH_ORDERS[0],
        help="orders per group commit in the execute_many and batch() runs (4 commands each)",
    )
    args = parser.parse_args()
    _BATCH_ORDERS[0] = args.batch_orders
    modes: List[str] = ["normal", "full"] if args.synchronous == "both" else [args.synchronous]

    from importlib.metadata import version

    print(
        f"order lifecycle, N={args.orders} orders x {COMMANDS_PER_ORDER} commands, "
        f"SQLite WAL, best of {args.repeat}; order_core {order_core.__version__}, "
        f"eventsourcing {version('eventsourcing')}, SQLite {sqlite3.sqlite_version} (Python's)"
    )
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        workdir = Path(tmp)
        ceiling = fsync_ceiling(workdir)
        print(f"disk: {ceiling:,.0f} 4 KiB write+fsync per second (the FULL ceiling)")
        for mode in modes:
            print(f"synchronous={mode.upper()}")
            ours: List[float] = []
            theirs: List[float] = []
            equivalent: List[float] = []
            many: List[float] = []
            batched: List[float] = []
            for attempt in range(args.repeat):
                ours.append(
                    measure("order_core", run_order_core, workdir, mode, args.orders, attempt)
                )
                theirs.append(
                    measure(
                        "eventsourcing", run_eventsourcing, workdir, mode, args.orders, attempt
                    )
                )
                many.append(
                    measure(
                        "order_core execute_many",
                        run_order_core_execute_many,
                        workdir,
                        mode,
                        args.orders,
                        attempt,
                    )
                )
                batched.append(
                    measure(
                        "order_core batch()",
                        run_order_core_batch,
                        workdir,
                        mode,
                        args.orders,
                        attempt,
                    )
                )
                if args.equivalent:
                    equivalent.append(
                        measure(
                            "eventsourcing+rm",
                            run_eventsourcing_with_read_model,
                            workdir,
                            mode,
                            args.orders,
                            attempt,
                        )
                    )
            print(
                f"  best: order_core {max(ours):,.0f}/s, eventsourcing {max(theirs):,.0f}/s,"
                f" ratio {max(ours) / max(theirs):.1f}x"
            )
            print(
                f"  group commit ({args.batch_orders * COMMANDS_PER_ORDER} commands per"
                f" transaction): execute_many {max(many):,.0f}/s"
                f" ({max(many) / max(ours):.1f}x order_core per command),"
                f" batch() {max(batched):,.0f}/s ({max(batched) / max(ours):.1f}x);"
                f" execute_many vs eventsourcing {max(many) / max(theirs):.1f}x"
            )
            n, m, es = args.orders * COMMANDS_PER_ORDER, mode.upper(), "eventsourcing"
            for row, system, name, best in [
                ("per command", "ours", "order_core", ours),
                ("per command", "peer", f"{es} {version(es)}", theirs),
                ("execute_many", "ours", "order_core execute_many", many),
                ("batch()", "ours", "order_core batch()", batched),
                ("per command, same writes", "peer", f"{es} + read model", equivalent),
            ]:
                if best:
                    emit(f"{row}, {m}", system, name, "commands/s", max(best), mode, n)
            sizes = _BYTES_PER_EVENT
            print("  bytes per event: " + ", ".join(f"{k} {v:,.0f}" for k, v in sizes.items()))
            for name, system in [("order_core", "ours"), (es, "peer")]:
                emit(f"bytes per event, {m}", system, name, "bytes/event", sizes[name], mode, n)
            if "eventsourcing+rm" in sizes:
                emit(f"bytes per event, same writes, {m}", "peer", f"{es} + read model",
                     "bytes/event", sizes["eventsourcing+rm"], mode, n)
            if equivalent:
                print(
                    f"  same work (eventsourcing also writing the read model and checkpoint in"
                    f" each transaction): {max(equivalent):,.0f}/s,"
                    f" ratio {max(ours) / max(equivalent):.1f}x"
                )


if __name__ == "__main__":
    main()
