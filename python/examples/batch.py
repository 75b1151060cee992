from decimal import Decimal
from order_core import OrderService

with OrderService("orders.db") as orders:
    # Many commands, one transaction (one fsync); each gets its own outcome, in order.
    outcomes = orders.execute_many([
        {"type": "CreateOrder", "orderId": "o-1", "customerId": "customer-123", "commandId": "c-1"},
        {"type": "AddItem", "orderId": "o-1", "productId": "product-456", "quantity": 2,
         "price": Decimal("29.99")},
        {"type": "AddItem", "orderId": "o-1", "productId": "product-789", "quantity": 1,
         "price": "49.999"},  # three decimals: rejected, writes nothing, stops nothing
        {"type": "PlaceOrder", "orderId": "o-1", "expectedVersion": 2},
    ])
    for outcome in outcomes:
        if outcome.accepted:
            print("accepted", outcome.order_id, outcome.version, outcome.positions)
        else:
            print("rejected", outcome.code, "retryable:", outcome.retryable)
    assert [o.accepted for o in outcomes] == [True, True, False, True]

    # The same with the method names; the commands run when the block ends.
    with orders.batch() as batch:
        order_id = batch.create_order("customer-123")
        batch.add_item(order_id, "product-456", 2, Decimal("29.99"))
        batch.place_order(order_id)
    assert all(o.accepted for o in batch.outcomes)
    assert orders.get_order(order_id).total == Decimal("59.98")
