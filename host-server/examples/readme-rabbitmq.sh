AMQP=${AMQP:-amqp://guest:guest@127.0.0.1:5672/%2f} EXCHANGE=${EXCHANGE:-orders.events}
QUEUE=${QUEUE:-billing} LISTEN=${LISTEN:-127.0.0.1:8080}
# A durable queue bound to the exchange keeps the events until a consumer reads them.
order-server subscribe --amqp "$AMQP" --exchange "$EXCHANGE" --queue "$QUEUE" --max-events 0
order-server serve --db orders.db --listen "$LISTEN" --publish "$AMQP" --publish-exchange "$EXCHANGE" &
# When done: stop the server and delete the queue (it outlives its consumers).
trap "kill $!; rabbitmqctl -q delete_queue $QUEUE" EXIT
until curl -sf "http://$LISTEN/health" >/dev/null; do sleep 0.2; done
json=(-sf -w '\n' -H 'content-type: application/json')
curl "${json[@]}" -X POST "http://$LISTEN/orders" -d '{"customerId":"customer-123","orderId":"order-1"}'
curl "${json[@]}" -X POST "http://$LISTEN/orders/order-1/items" -d '{"productId":"product-456","quantity":2,"price":"29.99"}'
curl "${json[@]}" -X POST "http://$LISTEN/orders/order-1/place"
# Each event once, as a JSON line (the envelope as GET /events shows it), in position order.
order-server subscribe --amqp "$AMQP" --exchange "$EXCHANGE" --queue "$QUEUE" --max-events 3
