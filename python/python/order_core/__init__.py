"""The order domain for Python: the same Rust core as the server and the browser.

``OrderService()`` runs the engine in memory; ``OrderService(path)`` persists to an SQLite
file in the server's own format. Every command method returns a ``CommandOutcome``;
``execute_many`` (or ``with orders.batch() as batch:``) commits many commands in one
transaction and answers each with a ``CommandOutcome`` or a ``CommandRejected``.
``initial_state``, ``decide``, ``evolve`` and ``project`` are the core's pure functions on
plain dicts, for callers who bring their own storage.
"""

from order_core._native import (
    Batch,
    CommandOutcome,
    CommandRejected,
    ConcurrencyError,
    DomainError,
    EventEnvelope,
    IdempotencyError,
    InvalidInput,
    Order,
    OrderError,
    OrderItem,
    OrderNotFound,
    OrderService,
    StoreError,
    __version__,
    decide,
    evolve,
    initial_state,
    project,
    upcast,
)

__all__ = [
    "Batch",
    "CommandOutcome",
    "CommandRejected",
    "ConcurrencyError",
    "DomainError",
    "EventEnvelope",
    "IdempotencyError",
    "InvalidInput",
    "Order",
    "OrderError",
    "OrderItem",
    "OrderNotFound",
    "OrderService",
    "StoreError",
    "__version__",
    "decide",
    "evolve",
    "initial_state",
    "project",
    "upcast",
]
