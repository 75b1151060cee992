"""Type stubs for the native module (hand-written; checked with mypy.stubtest)."""

import os
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import (
    Any,
    Dict,
    Generic,
    Iterable,
    List,
    Literal,
    Mapping,
    Optional,
    Sequence,
    TypeVar,
    Union,
    final,
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

__version__: str

# Plain JSON-shaped values as the pure functions take and return them.
_JsonDict = Dict[str, Any]
_Price = Union[Decimal, str, int, float]
_Quantity = Union[int, float, Decimal]

class OrderError(Exception):
    """Base of every error raised by order_core."""

    code: str
    message: str

class DomainError(OrderError): ...
class OrderNotFound(DomainError): ...
class ConcurrencyError(OrderError): ...
class IdempotencyError(OrderError): ...
class StoreError(OrderError): ...
class InvalidInput(OrderError, ValueError): ...

@final
class OrderItem:
    @property
    def product_id(self) -> str: ...
    @property
    def quantity(self) -> int: ...
    @property
    def price(self) -> Decimal: ...
    def to_dict(self) -> _JsonDict: ...

@final
class Order:
    @property
    def id(self) -> str: ...
    @property
    def customer_id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def items(self) -> List[OrderItem]: ...
    @property
    def total(self) -> Decimal: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def created_by(self) -> Optional[str]: ...
    @property
    def placed_at(self) -> Optional[datetime]: ...
    @property
    def cancelled_at(self) -> Optional[datetime]: ...
    @property
    def cancel_reason(self) -> Optional[str]: ...
    @property
    def version(self) -> int: ...
    @property
    def updated_at(self) -> datetime: ...
    def to_dict(self) -> _JsonDict: ...

@final
class EventEnvelope:
    @property
    def event_id(self) -> str: ...
    @property
    def stream_id(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def position(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def schema_version(self) -> int: ...
    @property
    def data(self) -> _JsonDict: ...
    @property
    def metadata(self) -> _JsonDict: ...
    @property
    def recorded_at(self) -> datetime: ...
    def to_dict(self) -> _JsonDict: ...

@final
class CommandOutcome:
    """What an applied command did (or, with `replayed`, what its first call did)."""

    @property
    def accepted(self) -> Literal[True]: ...
    @property
    def command_id(self) -> Optional[str]: ...
    @property
    def order_id(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def positions(self) -> List[int]: ...
    @property
    def events(self) -> List[EventEnvelope]: ...
    @property
    def replayed(self) -> bool: ...
    def to_dict(self) -> _JsonDict: ...
    def __index__(self) -> int: ...
    def __int__(self) -> int: ...

@final
class CommandRejected:
    """A command of a batch that was not applied; it wrote nothing."""

    @property
    def accepted(self) -> Literal[False]: ...
    @property
    def command_id(self) -> Optional[str]: ...
    @property
    def code(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def retryable(self) -> bool: ...
    @property
    def error(self) -> OrderError: ...
    def to_dict(self) -> _JsonDict: ...

_Outcome = Union[CommandOutcome, CommandRejected]

# The command methods, written once for the service (each runs at once and returns its
# outcome) and the batch (each is queued; `create_order` returns the order id to be).
_Created = TypeVar("_Created")
_Queued = TypeVar("_Queued")

class _CommandMethods(Generic[_Created, _Queued]):
    def create_order(
        self,
        customer_id: str,
        order_id: Optional[str] = None,
        *,
        command_id: Optional[str] = None,
    ) -> _Created: ...
    def add_item(
        self,
        order_id: str,
        product_id: str,
        quantity: _Quantity,
        price: _Price,
        *,
        expected_version: Optional[int] = None,
        command_id: Optional[str] = None,
    ) -> _Queued: ...
    def remove_item(
        self,
        order_id: str,
        product_id: str,
        quantity: Optional[_Quantity] = None,
        *,
        expected_version: Optional[int] = None,
        command_id: Optional[str] = None,
    ) -> _Queued: ...
    def place_order(
        self,
        order_id: str,
        *,
        expected_version: Optional[int] = None,
        command_id: Optional[str] = None,
    ) -> _Queued: ...
    def cancel_order(
        self,
        order_id: str,
        reason: Optional[str] = None,
        *,
        expected_version: Optional[int] = None,
        command_id: Optional[str] = None,
    ) -> _Queued: ...

@final
class Batch(_CommandMethods[str, None]):
    """Commands queued with the service's method names; they run as one transaction when
    the `with` block ends without an exception."""

    @property
    def outcomes(self) -> List[_Outcome]: ...
    def __len__(self) -> int: ...
    def __enter__(self) -> "Batch": ...
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> bool: ...

@final
class OrderService(_CommandMethods[CommandOutcome, CommandOutcome]):
    def __new__(
        cls,
        path: Union[str, "os.PathLike[str]", None] = None,
        *,
        synchronous: str = "full",
        snapshot_every: int = 100,
        actor: Optional[str] = None,
    ) -> "OrderService": ...
    def execute_many(self, commands: Iterable[Mapping[str, Any]]) -> List[_Outcome]: ...
    def batch(self) -> Batch: ...
    def get_order(
        self,
        order_id: str,
        version: Optional[int] = None,
        at: Optional[datetime] = None,
    ) -> Order: ...
    def list_orders(
        self,
        customer_id: str,
        *,
        after: Optional[str] = None,
        limit: Optional[int] = None,
    ) -> List[Order]: ...
    def events(self, order_id: str) -> List[EventEnvelope]: ...
    def all_events(self, after: int = 0, limit: Optional[int] = None) -> List[EventEnvelope]: ...
    def rebuild_read_models(self) -> int: ...
    def verify(self) -> _JsonDict: ...
    def import_events(self, events: Sequence[_JsonDict]) -> int: ...
    def close(self) -> None: ...
    def __enter__(self) -> "OrderService": ...
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> bool: ...

def initial_state() -> _JsonDict: ...
def decide(state: _JsonDict, command: _JsonDict, context: _JsonDict) -> List[_JsonDict]: ...
def evolve(state: _JsonDict, event: _JsonDict) -> _JsonDict: ...
def project(view: Optional[_JsonDict], envelope: _JsonDict) -> Optional[_JsonDict]: ...
def upcast(event_type: str, schema_version: int, data: _JsonDict) -> _JsonDict: ...
