// Random inputs, from a fixed seed, to every entry point: whatever comes in, the package
// either answers or throws one of its own Errors with a known code. A WebAssembly trap
// (`unreachable`), a thrown non-Error or an unknown code fails the test.
import assert from "node:assert/strict";
import { test } from "node:test";

import { OrderEngine, decide, evolve, evolveAll, initialState, isOrderError, project, upcast } from "order-wasm";

/** mulberry32: a small deterministic PRNG, so a failure reproduces. */
function prng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIELDS = ["type", "orderId", "customerId", "productId", "quantity", "price", "reason", "commandId",
  "expectedVersion", "actor", "version", "order", "items", "status", "total", "createdAt", "now", "at", "after",
  "limit", "schemaVersion", "data", "unitPriceCents", "eventId", "streamId", "position", "metadata", "recordedAt"];
const TYPES = ["CreateOrder", "AddItem", "RemoveItem", "PlaceOrder", "CancelOrder", "OrderCreated", "ItemAdded",
  "ItemRemoved", "OrderPlaced", "OrderCancelled", "Nope"];

function arbitrary(random, depth = 0) {
  const pick = (list) => list[Math.floor(random() * list.length)];
  switch (Math.floor(random() * (depth > 2 ? 9 : 11))) {
    case 0: return undefined;
    case 1: return null;
    case 2: return random() < 0.5;
    case 3: return pick([0, -1, 1, 1.5, 0.001, 29.99, 1e21, -0, NaN, Infinity, 2 ** 53, 1_000_001, 4294967296]);
    case 4: return pick(["", " ", "o-1", "p-1", "29.99", "1.005", "-1", "abc", "2026-01-01T10:00:00Z", "x".repeat(2000), "\u0000", "🙂"]);
    case 5: return pick(TYPES);
    case 6: return Math.floor(random() * 10);
    case 7: return "o-1";
    case 8: return 10n;
    case 9: return Array.from({ length: Math.floor(random() * 3) }, () => arbitrary(random, depth + 1));
    default: {
      const object = {};
      for (let i = Math.floor(random() * 6); i > 0; i--) object[pick(FIELDS)] = arbitrary(random, depth + 1);
      if (random() < 0.6) object.type = pick(TYPES);
      if (random() < 0.6) object.orderId = "o-1";
      return object;
    }
  }
}

function expectAnswerOrOwnError(call, label) {
  try {
    call();
  } catch (e) {
    assert.ok(!(e instanceof WebAssembly.RuntimeError), `${label}: the module trapped: ${e?.message}`);
    assert.ok(isOrderError(e), `${label}: threw something else: ${e?.stack ?? String(e)}`);
  }
}

test("random inputs never trap and only throw the package's errors", () => {
  const random = prng(20260101);
  const engine = new OrderEngine();
  engine.createOrder({ orderId: "o-1", customerId: "c-1" });
  engine.addItem({ orderId: "o-1", productId: "p-1", quantity: 1, price: "1.00" });
  const log = engine.exportEvents();
  const entryPoints = {
    createOrder: (a) => engine.createOrder(a),
    addItem: (a) => engine.addItem(a),
    removeItem: (a) => engine.removeItem(a),
    placeOrder: (a) => engine.placeOrder(a),
    cancelOrder: (a) => engine.cancelOrder(a),
    execute: (a) => engine.execute(a),
    getOrder: (a, b) => engine.getOrder(a, b),
    getOrderKnown: (_, b) => engine.getOrder("o-1", b),
    listOrders: (a, b) => engine.listOrders(a, b),
    events: (a) => engine.events(a),
    allEvents: (a, b) => engine.allEvents(a, b),
    fromEvents: (a) => OrderEngine.fromEvents(a),
    fromEventsMangled: (a) => OrderEngine.fromEvents([{ ...log[0], ...(typeof a === "object" ? a : {}) }]),
    decide: (a, b) => decide(initialState(), a, b),
    decideOn: (a, b) => decide(a, { type: "PlaceOrder", orderId: "o-1" }, b),
    evolve: (a, b) => evolve(a ?? initialState(), b),
    evolveAll: (a, b) => evolveAll(initialState(), [a, b]),
    project: (a, b) => project(a, b),
    upcast: (a) => upcast(a),
  };
  let calls = 0;
  for (let round = 0; round < 300; round++) {
    for (const [name, call] of Object.entries(entryPoints)) {
      const a = arbitrary(random);
      const b = arbitrary(random);
      expectAnswerOrOwnError(() => call(a, b), `${name}(${String(JSON.stringify(a, (_, v) => (typeof v === "bigint" ? `${v}n` : v)))})`);
      calls++;
    }
  }
  // After all that, the engine still works and its log still fits together.
  const { orderId } = engine.createOrder({ customerId: "after-fuzz" });
  assert.equal(engine.getOrder(orderId).customerId, "after-fuzz");
  assert.deepStrictEqual(OrderEngine.fromEvents(engine.exportEvents()).exportEvents(), engine.exportEvents());
  assert.ok(calls >= 5000);
});
