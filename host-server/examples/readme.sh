BASE=${BASE:-http://127.0.0.1:8080}
json=(-sf -w '\n' -H 'content-type: application/json')
curl "${json[@]}" -X POST "$BASE/orders" -d '{"customerId":"customer-123","orderId":"order-1"}'
curl "${json[@]}" -X POST "$BASE/orders/order-1/items" -d '{"productId":"product-456","quantity":2,"price":"29.99"}'
curl "${json[@]}" -X POST "$BASE/orders/order-1/items" -d '{"productId":"product-789","quantity":1,"price":49.99}'
curl "${json[@]}" -X POST "$BASE/orders/order-1/place"
curl -sf -w '\n' "$BASE/orders/order-1"   # {"id":"order-1",...,"status":"placed",...,"total":"109.97",...}
