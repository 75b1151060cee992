from decimal import Decimal
from order_core import OrderService

orders = OrderService("orders.db")  # or OrderService() to stay in memory
order_id = orders.create_order("customer-123").order_id
orders.add_item(order_id, "product-456", 2, Decimal("29.99"))
orders.add_item(order_id, "product-789", 1, "49.99")
orders.place_order(order_id)
assert orders.get_order(order_id).total == Decimal("109.97")
