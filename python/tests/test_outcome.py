"""What a command method returns (a CommandOutcome), and its keyword-only options."""

from __future__ import annotations

import operator
from typing import Any, Callable

import pytest

from order_core import CommandOutcome, OrderService


def test_an_outcome_names_the_order_its_version_and_what_was_written(
    service: OrderService,
) -> None:
    created = service.create_order("c", command_id="k-1")
    assert isinstance(created, CommandOutcome)
    assert (created.accepted, created.command_id, created.version) == (True, "k-1", 1)
    assert created.positions == [1]
    assert [(e.type, e.position, e.stream_id) for e in created.events] == [
        ("OrderCreated", 1, created.order_id)
    ]
    added = service.add_item(created.order_id, "p", 2, "1.50")
    assert (added.command_id, added.version, added.positions, added.replayed) == (
        None, 2, [2], False
    )
    assert added.events == service.events(created.order_id)[1:]
    assert added.to_dict() == {
        "commandId": None,
        "accepted": True,
        "orderId": created.order_id,
        "version": 2,
        "positions": [2],
    }
    assert repr(added) == (
        f'CommandOutcome(order_id="{created.order_id}", version=2, positions=[2], replayed=False)'
    )


def test_a_no_op_writes_no_events(service: OrderService) -> None:
    order_id = service.create_order("c").order_id
    service.cancel_order(order_id)
    again = service.cancel_order(order_id)  # already cancelled: success, nothing written
    assert (again.version, again.positions, again.events, again.replayed) == (2, [], [], False)


def test_a_retry_answers_with_the_first_outcome_and_writes_nothing(
    service: OrderService,
) -> None:
    order_id = service.create_order("c").order_id
    first = service.add_item(order_id, "p", 1, "1", command_id="k")
    retry = service.add_item(order_id, "p", 1, "1", command_id="k")
    assert retry.replayed and not first.replayed
    assert (retry.order_id, retry.version, retry.positions) == (
        first.order_id, first.version, first.positions
    )
    assert retry.events == [] and len(first.events) == 1
    assert retry != first
    assert retry.to_dict() == first.to_dict()


def test_an_outcome_reads_as_its_version_where_an_int_is_wanted(service: OrderService) -> None:
    order_id = service.create_order("c").order_id
    added = service.add_item(order_id, "p", 1, "1")
    assert int(added) == operator.index(added) == 2
    # Code that passed the returned version on keeps working.
    assert service.add_item(order_id, "q", 1, "1", expected_version=added).version == 3


COMMANDS: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = [
    ("add_item", lambda s: s.add_item, ("o-1", "p", 1, "1")),
    ("remove_item", lambda s: s.remove_item, ("o-1", "p", 1)),
    ("place_order", lambda s: s.place_order, ("o-1",)),
    ("cancel_order", lambda s: s.cancel_order, ("o-1", "reason")),
]


@pytest.mark.parametrize("name, method, args", COMMANDS)
@pytest.mark.parametrize("on", ["service", "batch"])
def test_options_are_keyword_only(
    service: OrderService, on: str, name: str, method: Callable[..., Any], args: tuple[Any, ...]
) -> None:
    service.create_order("c", order_id="o-1")
    target: Any = service if on == "service" else service.batch()
    with pytest.raises(TypeError, match="positional"):
        method(target)(*args, 1)
    with pytest.raises(TypeError, match="positional"):
        method(target)(*args, None, "command-id")
    assert len(service.all_events()) == 1


@pytest.mark.parametrize("on", ["service", "batch"])
def test_create_order_takes_command_id_by_keyword_only(service: OrderService, on: str) -> None:
    target: Any = service if on == "service" else service.batch()
    with pytest.raises(TypeError, match="positional"):
        target.create_order("c", "o-1", "command-id")
    assert service.all_events() == []
