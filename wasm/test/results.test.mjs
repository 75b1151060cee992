// Command results: plain objects whose `events` are converted from the engine's log when
// first read (src/results.js). They must behave like the eagerly built objects they
// replace: same keys in the same order, same events, copyable, assignable.
import assert from "node:assert/strict";
import { test } from "node:test";

import { OrderEngine, InvalidInput } from "order-wasm";

function engineWithOrder() {
  const engine = new OrderEngine();
  const { orderId } = engine.createOrder({ orderId: "o-1", customerId: "c-1" });
  return { engine, orderId };
}

test("a result's events are the envelopes the command wrote, as the log holds them", () => {
  const { engine, orderId } = engineWithOrder();
  const added = engine.addItem({ orderId, productId: "p-1", quantity: 2, price: "29.99", commandId: "cmd-1" });
  assert.deepEqual(Object.keys(added), ["commandId", "orderId", "version", "positions", "events", "replayed"]);
  assert.deepEqual(added.events, engine.events(orderId).slice(-1));
  assert.equal(added.events[0].position, added.positions[0]);
  assert.equal(added.events[0].data.price, "29.99");
  assert.equal(added.events, added.events, "converted once, then an ordinary property");
});

test("a result copies and serializes with its events", () => {
  const { engine, orderId } = engineWithOrder();
  const placedLater = engine.addItem({ orderId, productId: "p-1", quantity: 1, price: "5" });
  const json = JSON.parse(JSON.stringify(placedLater));
  assert.deepEqual(json.events, engine.events(orderId).slice(-1));
  assert.deepEqual(structuredClone(placedLater).events, json.events);
  assert.deepEqual({ ...placedLater }.events, json.events);
});

test("changing a result's positions does not change which events it holds", () => {
  const { engine, orderId } = engineWithOrder();
  const added = engine.addItem({ orderId, productId: "p-1", quantity: 1, price: "5" });
  added.positions[0] = 1;
  assert.equal(added.events[0].type, "ItemAdded");
});

test("a result's events can be replaced, like any property", () => {
  const { engine, orderId } = engineWithOrder();
  const added = engine.addItem({ orderId, productId: "p-1", quantity: 1, price: "5" });
  added.events = [];
  assert.deepEqual(added.events, []);
  const other = engine.addItem({ orderId, productId: "p-2", quantity: 1, price: "5" });
  other.events.push("mine");
  assert.equal(other.events.at(-1), "mine");
});

test("a frozen result still reads its events; assigning them throws as on any frozen object", () => {
  const { engine, orderId } = engineWithOrder();
  const added = engine.addItem({ orderId, productId: "p-1", quantity: 1, price: "5" });
  // What state libraries do to what they hold: freeze it deeply, symbol keys included.
  const deepFreeze = (value) => {
    if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) {
      const { value: inner } = Reflect.getOwnPropertyDescriptor(value, key);
      deepFreeze(inner);
    }
    return value;
  };
  deepFreeze(added);
  assert.equal(added.events[0].data.productId, "p-1");
  assert.deepEqual(added.events, engine.events(orderId).slice(-1));
  assert.throws(() => {
    added.events = [];
  }, TypeError);
});

test("a result without events has no events key; a retry's result neither", () => {
  const { engine, orderId } = engineWithOrder();
  const first = engine.cancelOrder({ orderId, commandId: "cancel-1" });
  assert.equal(first.events.length, 1);
  const retry = engine.cancelOrder({ orderId, commandId: "cancel-1" });
  assert.equal(retry.replayed, true);
  assert.equal("events" in retry, false);
  const noOp = engine.cancelOrder({ orderId });
  assert.deepEqual(noOp.positions, []);
  assert.deepEqual(Object.keys(noOp), ["orderId", "version", "positions", "replayed"]);
});

test("events read before the engine is freed stay; unread ones then throw a clear error", () => {
  const { engine, orderId } = engineWithOrder();
  const read = engine.addItem({ orderId, productId: "p-1", quantity: 1, price: "5" });
  const unread = engine.addItem({ orderId, productId: "p-2", quantity: 1, price: "5" });
  assert.equal(read.events.length, 1);
  engine.free();
  assert.equal(read.events[0].data.productId, "p-1");
  assert.throws(
    () => unread.events,
    (error) => error instanceof InvalidInput && /OrderEngine was freed/.test(error.message),
  );
});

test("results of two engines read their own logs", () => {
  const a = engineWithOrder();
  const b = engineWithOrder();
  const fromA = a.engine.addItem({ orderId: a.orderId, productId: "from-a", quantity: 1, price: "1" });
  const fromB = b.engine.addItem({ orderId: b.orderId, productId: "from-b", quantity: 1, price: "1" });
  const copy = a.engine.clone();
  const fromCopy = copy.addItem({ orderId: a.orderId, productId: "from-copy", quantity: 1, price: "1" });
  assert.equal(fromA.events[0].data.productId, "from-a");
  assert.equal(fromB.events[0].data.productId, "from-b");
  assert.equal(fromCopy.events[0].data.productId, "from-copy");
});
