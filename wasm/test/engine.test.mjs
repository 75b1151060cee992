// OrderEngine end to end through the Node package: the seed scenario, errors, optimistic
// concurrency, idempotency (also across export/import), queries and temporal views.
import assert from "node:assert/strict";
import { test } from "node:test";

import { OrderEngine } from "order-wasm";
import { assertThrowsCode } from "./helpers.mjs";

/** The seed's example: 2 x 29.99 + 1 x 49.99, placed. */
function seedOrder(engine, extra = {}) {
  const { orderId } = engine.createOrder({ customerId: "customer-123", ...extra });
  engine.addItem({ orderId, productId: "product-456", quantity: 2, price: "29.99" });
  engine.addItem({ orderId, productId: "product-789", quantity: 1, price: 49.99 });
  engine.placeOrder({ orderId });
  return orderId;
}

test("seed scenario: created, two items, placed, total exactly 109.97", () => {
  const engine = new OrderEngine();
  const created = engine.createOrder({ customerId: "customer-123" });
  assert.match(created.orderId, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, "a UUID v7");
  assert.equal(created.version, 1);
  assert.deepEqual(created.positions, [1]);
  assert.equal(created.replayed, false);
  const { orderId } = created;
  assert.equal(engine.addItem({ orderId, productId: "product-456", quantity: 2, price: "29.99" }).version, 2);
  assert.equal(engine.addItem({ orderId, productId: "product-789", quantity: 1, price: 49.99 }).version, 3);
  const placed = engine.placeOrder({ orderId });
  assert.equal(placed.version, 4);
  assert.equal(placed.events[0].type, "OrderPlaced");
  assert.equal(placed.events[0].data.total, "109.97");

  const view = engine.getOrder(orderId);
  assert.equal(view.status, "placed");
  assert.equal(view.total, "109.97");
  assert.equal(view.version, 4);
  assert.deepEqual(view.items, [
    { productId: "product-456", quantity: 2, price: "29.99" },
    { productId: "product-789", quantity: 1, price: "49.99" },
  ]);
  assert.equal(typeof view.placedAt, "string");
  assert.deepEqual(engine.events(orderId).map((e) => [e.type, e.version, e.position]), [
    ["OrderCreated", 1, 1],
    ["ItemAdded", 2, 2],
    ["ItemAdded", 3, 3],
    ["OrderPlaced", 4, 4],
  ]);
  assert.equal(engine.lastPosition, 4);
});

test("money stays exact where floats drift: 0.10 + 0.20 is 0.30", () => {
  const engine = new OrderEngine();
  const { orderId } = engine.createOrder({ customerId: "c" });
  engine.addItem({ orderId, productId: "dime", quantity: 1, price: "0.10" });
  engine.addItem({ orderId, productId: "two-dimes", quantity: 1, price: 0.2 });
  assert.equal(engine.getOrder(orderId).total, "0.30");
});

test("domain rejections are DomainErrors with the core's code and details", () => {
  const engine = new OrderEngine();
  const orderId = seedOrder(engine);
  const error = assertThrowsCode(
    () => engine.addItem({ orderId, productId: "p", quantity: 1, price: "1.00" }),
    "order_not_draft",
    "DomainError",
  );
  assert.equal(error.details.code, "order_not_draft");
  assert.equal(error.details.status, "placed");
  assertThrowsCode(() => engine.placeOrder({ orderId: "nope" }), "order_not_found", "DomainError");
  assertThrowsCode(() => engine.createOrder({ customerId: "c", orderId }), "order_already_exists", "DomainError");
  assertThrowsCode(() => engine.createOrder({ customerId: "" }), "invalid_customer", "DomainError");
  const draft = engine.createOrder({ customerId: "c" }).orderId;
  assertThrowsCode(() => engine.placeOrder({ orderId: draft }), "empty_order", "DomainError");
  assertThrowsCode(() => engine.removeItem({ orderId: draft, productId: "x" }), "item_not_found", "DomainError");
  // A rejected command writes nothing.
  assert.equal(engine.events(draft).length, 1);
});

test("idempotent no-ops: placing a placed order, cancelling a cancelled one", () => {
  const engine = new OrderEngine();
  const orderId = seedOrder(engine);
  const again = engine.placeOrder({ orderId });
  assert.equal(again.version, 4);
  assert.deepEqual(again.positions, []);
  assert.equal(again.events, undefined);
  engine.cancelOrder({ orderId, reason: "changed my mind" });
  assert.deepEqual(engine.cancelOrder({ orderId }).positions, []);
  const view = engine.getOrder(orderId);
  assert.equal(view.status, "cancelled");
  assert.equal(view.cancelReason, "changed my mind");
});

test("a stale expectedVersion is a ConcurrencyError and writes nothing", () => {
  const engine = new OrderEngine();
  const { orderId } = engine.createOrder({ customerId: "c" });
  engine.addItem({ orderId, productId: "p", quantity: 1, price: "1.00", expectedVersion: 1 });
  const error = assertThrowsCode(
    () => engine.addItem({ orderId, productId: "q", quantity: 1, price: "2.00", expectedVersion: 1 }),
    "concurrency_conflict",
    "ConcurrencyError",
  );
  assert.deepEqual(error.details, { streamId: orderId, expected: 1, actual: 2 });
  assert.equal(engine.getOrder(orderId).version, 2);
  assert.equal(engine.getOrder(orderId).items.length, 1);
  // The right version goes through.
  assert.equal(engine.placeOrder({ orderId, expectedVersion: 2 }).version, 3);
});

test("a retry with the same commandId returns the first outcome and writes nothing", () => {
  const engine = new OrderEngine();
  const first = engine.createOrder({ customerId: "c", commandId: "cmd-create" });
  const { orderId } = first;
  const add = { orderId, productId: "p", quantity: 2, price: "3.50", commandId: "cmd-add" };
  const added = engine.addItem(add);
  const retried = engine.addItem(add);
  assert.equal(retried.replayed, true);
  assert.equal(retried.version, added.version);
  assert.deepEqual(retried.positions, added.positions);
  assert.equal(retried.orderId, orderId);
  assert.equal(engine.lastPosition, 2);
  assert.equal(engine.getOrder(orderId).items[0].quantity, 2);
  // A create retried without an orderId addresses the order the first attempt created.
  const createdAgain = engine.createOrder({ customerId: "c", commandId: "cmd-create" });
  assert.equal(createdAgain.replayed, true);
  assert.equal(createdAgain.orderId, orderId);
  // The same id for a different command is refused.
  assertThrowsCode(
    () => engine.addItem({ ...add, quantity: 3 }),
    "idempotency_key_reused",
    "IdempotencyError",
  );
});

test("export/import round trip: same log, views, positions, and commandIds stay idempotent", () => {
  const engine = new OrderEngine();
  const a = seedOrder(engine, { commandId: "create-a" });
  const { orderId: b } = engine.createOrder({ customerId: "customer-123", commandId: "create-b" });
  engine.addItem({ orderId: b, productId: "p", quantity: 1, price: "5.00", commandId: "add-b" });
  engine.cancelOrder({ orderId: b, reason: "duplicate" });

  const exported = engine.exportEvents();
  // The offline log is plain JSON: it survives a trip through storage as text.
  const restored = OrderEngine.fromEvents(JSON.parse(JSON.stringify(exported)));
  assert.deepStrictEqual(restored.exportEvents(), exported);
  assert.equal(restored.lastPosition, engine.lastPosition);
  for (const id of [a, b]) assert.deepStrictEqual(restored.getOrder(id), engine.getOrder(id));
  assert.deepStrictEqual(restored.listOrders("customer-123"), engine.listOrders("customer-123"));

  const retried = restored.addItem({ orderId: b, productId: "p", quantity: 1, price: "5.00", commandId: "add-b" });
  assert.equal(retried.replayed, true);
  assert.equal(retried.version, 2);
  assert.deepEqual(retried.positions, [exported.find((e) => e.metadata.commandId === "add-b").position]);
  assert.equal(restored.createOrder({ customerId: "customer-123", commandId: "create-a" }).orderId, a);
  assert.equal(restored.lastPosition, exported.length, "retries wrote nothing");

  // And the restored engine keeps working, with positions continuing the log.
  const next = restored.createOrder({ customerId: "customer-123" });
  assert.deepEqual(next.positions, [exported.length + 1]);
});

test("fromEvents refuses a log with gaps or foreign shapes with invalid_input", () => {
  const engine = new OrderEngine();
  seedOrder(engine);
  const log = engine.exportEvents();
  assertThrowsCode(() => OrderEngine.fromEvents(log.slice(1)), "invalid_input", "InvalidInput");
  assertThrowsCode(() => OrderEngine.fromEvents([{ ...log[0], type: "OrderShipped" }]), "invalid_input", "InvalidInput");
  assertThrowsCode(() => OrderEngine.fromEvents([{ ...log[0], schemaVersion: 99 }]), "invalid_input", "InvalidInput");
  assertThrowsCode(() => OrderEngine.fromEvents("not a log"), "invalid_input", "InvalidInput");
  assertThrowsCode(() => OrderEngine.fromEvents([{ ...log[0], eventId: "not-a-uuid" }]), "invalid_input", "InvalidInput");
});

test("getOrder: null for unknown orders, views as of a version or a moment", () => {
  const engine = new OrderEngine();
  assert.equal(engine.getOrder("missing"), null);
  const orderId = seedOrder(engine);
  assert.equal(engine.getOrder(orderId, { version: 0 }), null);
  assert.equal(engine.getOrder(orderId, { version: 1 }).items.length, 0);
  const atTwo = engine.getOrder(orderId, { version: 2 });
  assert.equal(atTwo.total, "59.98");
  assert.equal(atTwo.status, "draft");
  assert.equal(atTwo.version, 2);
  assert.equal(engine.getOrder(orderId, { version: 99 }).status, "placed");

  const events = engine.events(orderId);
  const second = events[1].metadata.recordedAt;
  // `at` is inclusive and compares with metadata.recordedAt; a Date works as well.
  assert.ok(engine.getOrder(orderId, { at: second }).version >= 2);
  assert.equal(engine.getOrder(orderId, { at: "2000-01-01T00:00:00Z" }), null);
  assert.equal(engine.getOrder(orderId, { at: new Date(Date.now() + 60_000) }).version, 4);
  assert.deepStrictEqual(engine.getOrder(orderId, {}), engine.getOrder(orderId));
  assertThrowsCode(() => engine.getOrder(orderId, { at: "yesterday" }), "invalid_input", "InvalidInput");
  assertThrowsCode(() => engine.getOrder(orderId, { at: new Date(NaN) }), "invalid_input", "InvalidInput");
  assertThrowsCode(() => engine.getOrder(orderId, { version: 1, at: second }), "invalid_input", "InvalidInput");
  assertThrowsCode(() => engine.getOrder(orderId, { version: -1 }), "invalid_input", "InvalidInput");
  assertThrowsCode(() => engine.getOrder(42), "invalid_input", "InvalidInput");
});

test("listOrders pages a customer's orders oldest first, with a cursor", () => {
  const engine = new OrderEngine();
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push(engine.createOrder({ customerId: "pager", orderId: `o-${i}` }).orderId);
  engine.createOrder({ customerId: "someone-else" });
  const all = engine.listOrders("pager");
  assert.deepEqual(all.orders.map((o) => o.id), ids);
  assert.equal(all.nextCursor, null);

  const seen = [];
  let after;
  do {
    const page = engine.listOrders("pager", { limit: 2, after });
    assert.ok(page.orders.length <= 2);
    seen.push(...page.orders.map((o) => o.id));
    after = page.nextCursor ?? undefined;
  } while (after !== undefined);
  assert.deepEqual(seen, ids);
  assert.deepEqual(engine.listOrders("nobody"), { orders: [], nextCursor: null });
  assertThrowsCode(() => engine.listOrders("pager", { limit: 0 }), "invalid_input", "InvalidInput");
  assertThrowsCode(() => engine.listOrders("pager", { limit: "ten" }), "invalid_input", "InvalidInput");
});

test("allEvents reads the whole log after a position; execute takes tagged commands", () => {
  const engine = new OrderEngine();
  engine.execute({ type: "CreateOrder", orderId: "o-1", customerId: "c", commandId: "k-1" });
  engine.execute({ type: "AddItem", orderId: "o-1", productId: "p", quantity: 1, price: "9.99" });
  engine.execute({ type: "CreateOrder", orderId: "o-2", customerId: "c" });
  assert.deepEqual(engine.allEvents().map((e) => e.position), [1, 2, 3]);
  assert.deepEqual(engine.allEvents(1).map((e) => e.position), [2, 3]);
  assert.deepEqual(engine.allEvents(0, 2).map((e) => e.position), [1, 2]);
  assert.deepEqual(engine.allEvents(3), []);
  assert.equal(engine.execute({ type: "CreateOrder", orderId: "o-1", customerId: "c", commandId: "k-1" }).replayed, true);
  assertThrowsCode(() => engine.execute({ type: "ShipOrder", orderId: "o-1" }), "invalid_input", "InvalidInput");
  assertThrowsCode(() => engine.allEvents(-1), "invalid_input", "InvalidInput");
  assertThrowsCode(() => engine.allEvents(1.5), "invalid_input", "InvalidInput");
  assert.deepEqual(engine.events("unknown"), []);
});

test("metadata carries the command's commandId, actor and correlation ids", () => {
  const engine = new OrderEngine();
  engine.createOrder({ customerId: "c", orderId: "o-1", commandId: "k", actor: "alice", correlationId: "corr", causationId: "cause" });
  const [created] = engine.events("o-1");
  assert.deepEqual(
    { ...created.metadata, recordedAt: undefined },
    { commandId: "k", actor: "alice", correlationId: "corr", causationId: "cause", recordedAt: undefined },
  );
  assert.equal(created.data.createdBy, "alice");
  assert.ok(!Number.isNaN(Date.parse(created.metadata.recordedAt)));
});

test("ids are UUID v7: unique, and their timestamp is the recording time", () => {
  const engine = new OrderEngine();
  // Enough ids to run through the pooled randomness several times.
  for (let i = 0; i < 1500; i++) engine.createOrder({ customerId: "c" });
  const log = engine.exportEvents();
  const ids = log.map((e) => e.eventId).concat(log.map((e) => e.streamId));
  assert.equal(new Set(ids).size, ids.length, "no id repeats");
  const v7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  for (const id of ids) assert.match(id, v7);
  for (const event of log) {
    const millis = parseInt(event.eventId.replace(/-/g, "").slice(0, 12), 16);
    assert.equal(millis, Date.parse(event.metadata.recordedAt));
  }
});
