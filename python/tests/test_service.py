"""OrderService in memory: the command API, values, views, queries and errors."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

import order_core
from order_core import OrderService


def seed(service: OrderService) -> str:
    order_id = service.create_order("customer-123").order_id
    service.add_item(order_id, "product-456", 2, Decimal("29.99"))
    service.add_item(order_id, "product-789", 1, Decimal("49.99"))
    service.place_order(order_id)
    return order_id


def test_seed_scenario_totals_exactly(service: OrderService) -> None:
    order = service.get_order(seed(service))
    assert order.total == Decimal("109.97")
    assert isinstance(order.total, Decimal)
    assert order.status == "placed"
    assert [(i.product_id, i.quantity, i.price) for i in order.items] == [
        ("product-456", 2, Decimal("29.99")),
        ("product-789", 1, Decimal("49.99")),
    ]
    assert order.version == 4


def test_create_order_returns_a_uuid_v7_or_the_given_id(service: OrderService) -> None:
    generated = service.create_order("c").order_id
    assert len(generated) == 36 and generated[14] == "7"
    assert service.create_order("c", order_id="o-explicit").order_id == "o-explicit"


def test_commands_return_the_new_version(service: OrderService) -> None:
    order_id = service.create_order("c").order_id
    assert service.add_item(order_id, "p", 1, "1.00").version == 2
    assert service.remove_item(order_id, "p").version == 3
    assert service.cancel_order(order_id, reason="changed my mind").version == 4
    # Idempotent no-op: no new event, same version.
    assert service.cancel_order(order_id).version == 4
    order = service.get_order(order_id)
    assert order.status == "cancelled"
    assert order.cancel_reason == "changed my mind"
    assert order.items == []


@pytest.mark.parametrize(
    "price, expected",
    [
        (Decimal("29.99"), Decimal("29.99")),
        ("29.99", Decimal("29.99")),
        (29.99, Decimal("29.99")),  # the float's shortest repr, not its binary value
        (30, Decimal("30.00")),
        (0.1, Decimal("0.10")),
        (Decimal("1.500"), Decimal("1.50")),  # trailing zeros carry no value
        (Decimal("1E+1"), Decimal("10.00")),
    ],
)
def test_prices_in_every_accepted_type(
    service: OrderService, price: object, expected: Decimal
) -> None:
    order_id = service.create_order("c").order_id
    service.add_item(order_id, "p", 1, price)  # type: ignore[arg-type]
    assert service.get_order(order_id).items[0].price == expected


def test_float_money_does_not_drift(service: OrderService) -> None:
    order_id = service.create_order("c").order_id
    service.add_item(order_id, "a", 1, 0.1)
    service.add_item(order_id, "b", 1, 0.2)
    assert service.get_order(order_id).total == Decimal("0.30")


@pytest.mark.parametrize("price", ["0.001", Decimal("1.005"), 0.001, 1e-5, -1, "abc", float("nan")])
def test_bad_prices_are_invalid_price(service: OrderService, price: object) -> None:
    order_id = service.create_order("c").order_id
    with pytest.raises(order_core.DomainError) as raised:
        service.add_item(order_id, "p", 1, price)  # type: ignore[arg-type]
    assert raised.value.code == "invalid_price"


@pytest.mark.parametrize("quantity", [0, -1, 1.5])
def test_bad_quantities_are_invalid_quantity(service: OrderService, quantity: object) -> None:
    order_id = service.create_order("c").order_id
    with pytest.raises(order_core.DomainError) as raised:
        service.add_item(order_id, "p", quantity, "1.00")  # type: ignore[arg-type]
    assert raised.value.code == "invalid_quantity"


@pytest.mark.parametrize(
    "quantity, price, fragment",
    [("2", "1.00", "quantity"), (True, "1.00", "quantity"), (1, None, "price"), (1, [1], "price")],
)
def test_wrong_types_are_invalid_input(
    service: OrderService, quantity: object, price: object, fragment: str
) -> None:
    order_id = service.create_order("c").order_id
    with pytest.raises(order_core.InvalidInput) as raised:
        service.add_item(order_id, "p", quantity, price)  # type: ignore[arg-type]
    assert raised.value.code == "invalid_input"
    assert fragment in raised.value.message
    assert service.get_order(order_id).version == 1  # nothing written


def test_view_attributes_and_to_dict(service: OrderService) -> None:
    order = service.get_order(seed(service))
    assert order.created_at.tzinfo is not None
    assert order.created_at.utcoffset() == timedelta(0)
    assert order.placed_at is not None and order.placed_at >= order.created_at
    assert order.updated_at == order.placed_at
    assert order.cancelled_at is None
    as_dict = order.to_dict()
    assert as_dict["total"] == "109.97"
    assert as_dict["customerId"] == "customer-123"
    assert as_dict["items"][0] == {"productId": "product-456", "quantity": 2, "price": "29.99"}
    assert order.items[0].to_dict() == as_dict["items"][0]
    assert "109.97" in repr(order)


def test_to_dict_feeds_the_pure_projection(service: OrderService) -> None:
    order_id = seed(service)
    view = None
    for event in service.events(order_id):
        view = order_core.project(view, event.to_dict())
    assert view == service.get_order(order_id).to_dict()


def test_events_and_all_events(service: OrderService) -> None:
    first = seed(service)
    second = service.create_order("someone-else").order_id
    events = service.events(first)
    assert [e.type for e in events] == ["OrderCreated", "ItemAdded", "ItemAdded", "OrderPlaced"]
    assert [e.version for e in events] == [1, 2, 3, 4]
    assert events[1].data == {
        "orderId": first,
        "productId": "product-456",
        "quantity": 2,
        "price": "29.99",
    }
    assert events[1].schema_version == 2
    assert events[0].recorded_at.tzinfo is not None
    assert len({e.event_id for e in events}) == 4
    everything = service.all_events()
    assert [e.position for e in everything] == [1, 2, 3, 4, 5]
    assert everything[-1].stream_id == second
    assert [e.position for e in service.all_events(after=2, limit=2)] == [3, 4]
    assert service.events("unknown") == []


def test_temporal_queries(service: OrderService) -> None:
    order_id = seed(service)
    assert service.get_order(order_id, version=1).items == []
    assert service.get_order(order_id, version=2).total == Decimal("59.98")
    created_at = service.events(order_id)[0].recorded_at
    assert service.get_order(order_id, at=created_at).version == 1
    # Any aware datetime works; it is compared in UTC.
    later = datetime.now(timezone(timedelta(hours=5)))
    assert service.get_order(order_id, at=later).status == "placed"
    with pytest.raises(order_core.OrderNotFound):
        service.get_order(order_id, at=created_at - timedelta(seconds=1))
    with pytest.raises(order_core.InvalidInput):
        service.get_order(order_id, at=datetime(2026, 1, 1))  # naive: ambiguous
    with pytest.raises(order_core.InvalidInput):
        service.get_order(order_id, version=1, at=later)


def test_list_orders_pages_oldest_first(service: OrderService) -> None:
    ids = [service.create_order("c-1", order_id=f"o-{i}").order_id for i in range(5)]
    service.create_order("c-2")
    assert [o.id for o in service.list_orders("c-1")] == ids
    page = service.list_orders("c-1", limit=2)
    assert [o.id for o in page] == ids[:2]
    rest = service.list_orders("c-1", after=page[-1].id)
    assert [o.id for o in rest] == ids[2:]
    assert service.list_orders("nobody") == []


def test_rebuild_read_models_gives_the_same_views(service: OrderService) -> None:
    order_id = seed(service)
    before = service.get_order(order_id)
    assert service.rebuild_read_models() == 4
    assert service.get_order(order_id) == before


def test_expected_version(service: OrderService) -> None:
    order_id = service.create_order("c").order_id
    assert service.add_item(order_id, "p", 1, "1", expected_version=1).version == 2
    with pytest.raises(order_core.ConcurrencyError) as raised:
        service.add_item(order_id, "q", 1, "1", expected_version=1)
    assert raised.value.code == "concurrency_conflict"
    assert not isinstance(raised.value, order_core.DomainError)
    assert service.get_order(order_id).version == 2


def test_closed_service_refuses_work() -> None:
    service = OrderService()
    service.close()
    with pytest.raises(order_core.StoreError) as raised:
        service.create_order("c")
    assert "closed" in raised.value.message
    service.close()  # closing twice is harmless


def test_bad_constructor_arguments() -> None:
    with pytest.raises(order_core.InvalidInput):
        OrderService(synchronous="sometimes")


def test_verify_reports_a_consistent_store(service: OrderService) -> None:
    seed(service)
    service.create_order("other")
    assert service.verify() == {"streams": 2, "events": 5, "mismatches": []}


def test_repr_says_where_the_data_lives(service: OrderService) -> None:
    assert repr(service) == "OrderService(in memory)"


def test_threads_can_share_one_service(service: OrderService) -> None:
    import threading

    order_ids = [service.create_order("c").order_id for _ in range(4)]
    errors: list = []

    def worker(order_id: str) -> None:
        try:
            for i in range(50):
                service.add_item(order_id, f"p-{i}", 1, "0.10")
        except Exception as e:  # surfaced below; a thread's exception would be lost
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(o,)) for o in order_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for order_id in order_ids:
        order = service.get_order(order_id)
        assert order.version == 51
        assert order.total == Decimal("5.00")
    assert [e.position for e in service.all_events()] == list(range(1, 4 + 4 * 50 + 1))
