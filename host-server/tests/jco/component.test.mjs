// The guest component outside wasmtime: jco transpiled it to JavaScript (GUEST_JS names the
// result; scripts/test-guest-jco.sh makes it) and Node calls the typed WIT exports directly,
// with no code of ours in between. Money comes back as integer cents (BigInt), rejections as
// the typed `decide-error` variant.
import assert from "node:assert/strict";
import { test } from "node:test";
import { pathToFileURL } from "node:url";

const { decider } = await import(pathToFileURL(process.env.GUEST_JS).href);

const at = (seconds) => ({ seconds: BigInt(seconds), nanoseconds: 0 });
const NOW = 1767261600; // 2026-01-01T10:00:00Z
const context = { now: at(NOW), actor: "alice" };

/** Runs commands through `handle`, carrying the state and view from call to call. */
function run(commands) {
  let state = { version: 0n, order: undefined };
  let view;
  const events = [];
  commands.forEach((command, i) => {
    const decision = decider.handle(state, view, command, context, at(NOW + i));
    ({ state, view } = decision);
    events.push(...decision.events.map((event, j) => ({ event, recordedAt: at(NOW + i), j })));
  });
  return { state, view, events };
}

const seed = [
  { tag: "create-order", val: { orderId: "order-1", customerId: "customer-123" } },
  { tag: "add-item", val: { orderId: "order-1", productId: "p-1", quantity: "2", price: "29.99" } },
  { tag: "add-item", val: { orderId: "order-1", productId: "p-2", quantity: "1", price: "49.99" } },
  { tag: "place-order", val: { orderId: "order-1" } },
];

test("the seed order comes to 109.97 in exact cents", () => {
  const { state, view, events } = run(seed);
  assert.deepEqual(events.map((e) => e.event.tag), ["order-created", "item-added", "item-added", "order-placed"]);
  assert.equal(events[0].event.val.createdBy, "alice");
  assert.equal(events[3].event.val.total, 10997n);
  assert.equal(state.version, 4n);
  assert.equal(view.version, 4n);
  assert.equal(view.order.status, "placed");
  assert.equal(view.order.total, 10997n);
  assert.deepEqual(view.updatedAt, at(NOW + 3));
});

test("a broken rule comes back as the typed rejection", () => {
  const { state, view } = run(seed);
  const late = { tag: "add-item", val: { orderId: "order-1", productId: "p-3", quantity: "1", price: "1.00" } };
  assert.throws(() => decider.handle(state, view, late, context, at(NOW + 9)), (error) => {
    assert.deepEqual(error.payload, { tag: "rejected", val: { tag: "order-not-draft", val: "placed" } });
    return true;
  });
  const fresh = run(seed.slice(0, 1));
  const badPrice = { tag: "add-item", val: { orderId: "order-1", productId: "p-3", quantity: "1", price: "0.001" } };
  assert.throws(() => decider.handle(fresh.state, fresh.view, badPrice, context, at(NOW + 9)), (error) => {
    assert.equal(error.payload.tag, "rejected");
    assert.equal(error.payload.val.tag, "invalid-price");
    return true;
  });
});

test("the folds agree with the whole-command calls", () => {
  const { state, view, events } = run(seed);
  assert.deepEqual(decider.evolve({ version: 0n, order: undefined }, events.map((e) => e.event)), state);
  const recorded = events.map((e, i) => ({ event: e.event, version: BigInt(i + 1), recordedAt: e.recordedAt }));
  assert.deepEqual(decider.project(undefined, recorded), view);
});
