// Bad input through the Node package: a missing field or a wrong type is `invalid_input`
// (InvalidInput); a well-typed value that breaks a rule is the core's code (DomainError).
// Never a trap (`unreachable`), never a thrown string, and the engine stays usable after.
import assert from "node:assert/strict";
import { test } from "node:test";

import { OrderEngine, decide, evolve, initialState, project, upcast } from "order-wasm";
import { assertThrowsCode } from "./helpers.mjs";

function draftOrder() {
  const engine = new OrderEngine();
  const { orderId } = engine.createOrder({ customerId: "c" });
  return { engine, orderId };
}

test("addItem: rule-breaking values get the domain's codes", () => {
  const { engine, orderId } = draftOrder();
  const add = (fields) => () => engine.addItem({ orderId, productId: "p", quantity: 1, price: "1.00", ...fields });
  for (const [fields, code] of [
    [{ price: -1 }, "invalid_price"],
    [{ price: "-1" }, "invalid_price"],
    [{ price: 1.005 }, "invalid_price"],
    [{ price: "1.005" }, "invalid_price"],
    [{ price: 0.001 }, "invalid_price"],
    [{ price: "abc" }, "invalid_price"],
    [{ price: "" }, "invalid_price"],
    [{ price: 1e21 }, "invalid_price"],
    [{ quantity: 0 }, "invalid_quantity"],
    [{ quantity: -1 }, "invalid_quantity"],
    [{ quantity: 1.5 }, "invalid_quantity"],
    [{ quantity: 1_000_001 }, "invalid_quantity"],
    [{ productId: "" }, "invalid_product"],
  ]) {
    assertThrowsCode(add(fields), code, "DomainError");
  }
  assert.equal(engine.events(orderId).length, 1, "nothing was written");
});

test("addItem: missing fields and wrong types are invalid_input, naming the problem", () => {
  const { engine, orderId } = draftOrder();
  const cases = [
    [{ orderId, productId: "p", price: "1.00" }, /quantity/],
    [{ orderId, productId: "p", quantity: 1 }, /price/],
    [{ orderId, quantity: 1, price: "1.00" }, /productId/],
    [{ productId: "p", quantity: 1, price: "1.00" }, /orderId/],
    [{ orderId, productId: "p", quantity: "abc", price: "1.00" }, /quantity|number/],
    [{ orderId, productId: "p", quantity: "2", price: "1.00" }, /number/],
    [{ orderId, productId: "p", quantity: null, price: "1.00" }, /null|number/],
    [{ orderId, productId: "p", quantity: NaN, price: "1.00" }, /null|number/],
    [{ orderId, productId: "p", quantity: Infinity, price: "1.00" }, /null|number/],
    [{ orderId, productId: "p", quantity: 1, price: true }, /bool|number/],
    [{ orderId, productId: "p", quantity: 1, price: { amount: 1 } }, /map|number/],
    [{ orderId, productId: 42, quantity: 1, price: "1.00" }, /string/],
    [{ orderId, productId: "p", quantity: 1, price: "1.00", expectedVersion: "1" }, /expectedVersion|integer|string/],
    [{ orderId, productId: "p", quantity: 1, price: "1.00", commandId: 7 }, /commandId|string/],
  ];
  for (const [input, mentions] of cases) {
    const error = assertThrowsCode(() => engine.addItem(input), "invalid_input", "InvalidInput");
    assert.match(error.message, /^addItem: /);
    assert.match(error.message, mentions, error.message);
    assert.doesNotMatch(error.message, /line \d+ column/, "no positions in text the caller never saw");
  }
  for (const input of [undefined, null, "o-1", 42, [], [orderId]]) {
    assertThrowsCode(() => engine.addItem(input), "invalid_input", "InvalidInput");
  }
  assertThrowsCode(() => engine.addItem({ orderId, productId: "p", quantity: 10n, price: "1" }), "invalid_input", "InvalidInput");
  const cyclic = { orderId, productId: "p", quantity: 1, price: "1.00" };
  cyclic.self = cyclic;
  assertThrowsCode(() => engine.addItem(cyclic), "invalid_input", "InvalidInput");
  // Still usable, and nothing was written.
  assert.equal(engine.addItem({ orderId, productId: "p", quantity: 1, price: "1.00" }).version, 2);
});

test("every command method decodes its input the same way", () => {
  const { engine, orderId } = draftOrder();
  assertThrowsCode(() => engine.createOrder({}), "invalid_input", "InvalidInput");
  assertThrowsCode(() => engine.createOrder({ customerId: 1 }), "invalid_input", "InvalidInput");
  assertThrowsCode(() => engine.createOrder({ customerId: "c", orderId: 5 }), "invalid_input", "InvalidInput");
  assertThrowsCode(() => engine.removeItem({ orderId }), "invalid_input", "InvalidInput");
  assertThrowsCode(() => engine.removeItem({ orderId, productId: "p", quantity: "all" }), "invalid_input", "InvalidInput");
  assertThrowsCode(() => engine.placeOrder({}), "invalid_input", "InvalidInput");
  assertThrowsCode(() => engine.cancelOrder({ orderId, reason: 3 }), "invalid_input", "InvalidInput");
  assertThrowsCode(() => engine.cancelOrder({ orderId, reason: "x".repeat(1001) }), "invalid_reason", "DomainError");
  engine.addItem({ orderId, productId: "p", quantity: 2, price: "1.00" });
  assertThrowsCode(() => engine.removeItem({ orderId, productId: "p", quantity: 0 }), "invalid_quantity", "DomainError");
  assertThrowsCode(() => engine.removeItem({ orderId, productId: "p", quantity: 3 }), "invalid_quantity", "DomainError");
  assertThrowsCode(() => engine.addItem({ orderId, productId: "p", quantity: 1, price: "2.00" }), "price_mismatch", "DomainError");
});

test("the pure functions reject malformed state, commands, events and contexts", () => {
  const context = { now: "2026-01-01T10:00:00Z" };
  const create = { type: "CreateOrder", orderId: "o", customerId: "c" };
  assertThrowsCode(() => decide({ version: "x" }, create, context), "invalid_input", "InvalidInput");
  assertThrowsCode(() => decide(initialState(), { type: "Nope", orderId: "o" }, context), "invalid_input", "InvalidInput");
  assertThrowsCode(() => decide(initialState(), { orderId: "o", customerId: "c" }, context), "invalid_input", "InvalidInput");
  assertThrowsCode(() => decide(initialState(), create, {}), "invalid_input", "InvalidInput");
  assertThrowsCode(() => decide(initialState(), create, { now: "tomorrow" }), "invalid_input", "InvalidInput");
  assertThrowsCode(() => decide(initialState(), create), "invalid_input", "InvalidInput");
  assertThrowsCode(() => evolve(initialState(), { type: "ItemAdded", orderId: "o" }), "invalid_input", "InvalidInput");
  assertThrowsCode(() => project(null, { type: "OrderCreated" }), "invalid_input", "InvalidInput");
  assertThrowsCode(() => upcast({ type: "ItemAdded", schemaVersion: 1, data: { orderId: "o" } }), "invalid_input", "InvalidInput");
  assertThrowsCode(() => upcast({ type: "ItemAdded", schemaVersion: 3, data: {} }), "invalid_input", "InvalidInput");
  // A well-formed command that breaks a rule is a DomainError, not invalid input.
  assertThrowsCode(
    () => decide(initialState(), { type: "AddItem", orderId: "o", productId: "p", quantity: 1, price: 1 }, context),
    "order_not_found",
    "DomainError",
  );
});

test("evolve is total: an event that does not fit the state only counts toward the version", () => {
  const placedTwice = [
    { type: "OrderCreated", orderId: "o", customerId: "c", createdAt: "2026-01-01T09:00:00Z" },
    { type: "OrderPlaced", orderId: "o", customerId: "c", total: "0.00", placedAt: "2026-01-01T09:00:01Z" },
    { type: "ItemAdded", orderId: "o", productId: "p", quantity: 1, price: "1.00" },
  ];
  const state = placedTwice.reduce(evolve, initialState());
  assert.equal(state.version, 3);
  assert.deepEqual(state.order.items, []);
});
