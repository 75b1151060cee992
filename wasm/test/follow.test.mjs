// Following a server's feed incrementally: `applyEvents` takes new envelopes (a customer's
// feed has gaps in positions), refuses what does not continue a stream, and `clone` gives
// an engine to re-decide an offline queue on without touching the confirmed one.
import assert from "node:assert/strict";
import { test } from "node:test";

import { OrderEngine } from "order-wasm";
import { assertThrowsCode } from "./helpers.mjs";

/** A server log with alice's and bob's orders interleaved. */
function serverLog() {
  const server = new OrderEngine();
  server.createOrder({ orderId: "a-1", customerId: "alice" });
  server.createOrder({ orderId: "b-1", customerId: "bob" });
  server.addItem({ orderId: "a-1", productId: "p", quantity: 2, price: "1.25" });
  server.createOrder({ orderId: "a-2", customerId: "alice" });
  return server.exportEvents();
}

const alices = (log) => log.filter((e) => e.data.customerId === "alice" || e.streamId.startsWith("a-"));

test("a customer's feed, with gaps in its positions, is applied in steps", () => {
  const log = alices(serverLog());
  assert.deepEqual(log.map((e) => e.position), [1, 3, 4]);
  const engine = new OrderEngine();
  engine.applyEvents(log.slice(0, 2));
  assert.equal(engine.lastPosition, 3);
  assert.equal(engine.getOrder("a-1").total, "2.50");
  engine.applyEvents(log.slice(2));
  assert.equal(engine.lastPosition, 4);
  assert.deepEqual(engine.listOrders("alice").orders.map((o) => o.id), ["a-1", "a-2"]);
  assert.equal(engine.getOrder("b-1"), null);
  // A decision on top continues the stream and takes the next position.
  const placed = engine.placeOrder({ orderId: "a-1" });
  assert.deepEqual([placed.version, placed.positions], [3, [5]]);
});

test("events already held or skipping a version are refused whole, naming the event", () => {
  const log = serverLog();
  const engine = new OrderEngine();
  engine.applyEvents(log.slice(0, 3));
  const again = assertThrowsCode(() => engine.applyEvents(log.slice(2)), "invalid_input");
  assert.match(again.message, /already held/);
  assert.equal(engine.lastPosition, 3, "nothing of the refused batch was added");

  const fresh = new OrderEngine();
  const skipped = assertThrowsCode(() => fresh.applyEvents([log[2]]), "invalid_input");
  assert.match(skipped.message, /`a-1` has version 2, expected 1/);
  assert.equal(fresh.lastPosition, 0);
});

test("a clone decides on its own; the engine it came from keeps only confirmed events", () => {
  const confirmed = new OrderEngine();
  confirmed.applyEvents(serverLog());
  const local = confirmed.clone();
  local.cancelOrder({ orderId: "a-1", reason: "offline edit" });
  assert.equal(local.getOrder("a-1").status, "cancelled");
  assert.equal(confirmed.getOrder("a-1").status, "draft");
  assert.equal(confirmed.lastPosition, 4);
  // New server events arrive on the confirmed engine; the stale clone is simply replaced.
  const later = new OrderEngine();
  later.applyEvents(serverLog());
  later.placeOrder({ orderId: "a-1" });
  confirmed.applyEvents(later.exportEvents().slice(4));
  assert.equal(confirmed.getOrder("a-1").status, "placed");
});
