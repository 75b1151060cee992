BASE=${BASE:-http://127.0.0.1:8080}  # a server started with: order-server serve --dev-auth
json=(-sf -w '\n' -H 'content-type: application/json')
token=$(curl "${json[@]}" -X POST "$BASE/dev/token" \
  -d '{"sub":"ann","roles":["customer"],"customerId":"customer-123"}' | sed 's/.*"token":"\([^"]*\)".*/\1/')
auth=(-H "authorization: Bearer $token")
curl "${json[@]}" "${auth[@]}" -X POST "$BASE/orders" -d '{"customerId":"customer-123","orderId":"order-2"}'
curl "${json[@]}" "${auth[@]}" -X POST "$BASE/orders" -d '{"customerId":"customer-999"}' || echo "403: not ann's customer"
curl -s -o /dev/null -w '%{http_code}\n' "$BASE/orders/order-2"  # 401: no token
curl -sf -w '\n' "${auth[@]}" "$BASE/orders/order-2/events"     # [{...,"metadata":{...,"actor":"ann",...}}]
