// Every shared vector in tests/vectors through the pure functions of the Node package:
// fold `given` with `evolve` (older stored shapes upcast by the Rust side), `decide` the
// `when`, and compare with `then` (exact JSON) or `error` (the code).
import assert from "node:assert/strict";
import { test } from "node:test";

import { OrderEngine, decide, domainErrorCodes, evolve, evolveAll, initialState, upcast } from "order-wasm";
import { assertThrowsCode, loadVectors } from "./helpers.mjs";

const DEFAULT_CONTEXT = { now: "2026-01-01T10:00:00Z", actor: "tester" };
const vectors = loadVectors();

const isStoredShape = (entry) => entry.schemaVersion !== undefined && entry.data !== undefined;
const givenEvent = (entry) => (isStoredShape(entry) ? upcast(entry) : entry);

// `evolve` copies the whole state across the boundary on every call, so folding the
// 1,000-line history one event at a time costs seconds; such histories use `evolveAll`
// (the same fold in one crossing; the test below checks that both agree).
const LONG_HISTORY = 200;
const fold = (events) =>
  events.length > LONG_HISTORY ? evolveAll(initialState(), events) : events.reduce(evolve, initialState());

test("the shared vectors are all here", () => {
  assert.ok(vectors.length >= 51, `found ${vectors.length} vectors`);
});

for (const vector of vectors) {
  test(`vector ${vector.file}`, () => {
    const state = fold(vector.given.map(givenEvent));
    const context = vector.context ?? DEFAULT_CONTEXT;
    if (vector.error !== undefined) {
      const error = assertThrowsCode(() => decide(state, vector.when, context), vector.error, "DomainError");
      assert.equal(error.details.code, vector.error);
      return;
    }
    const events = decide(state, vector.when, context);
    assert.deepStrictEqual(events, vector.then);
    if (vector.expect !== undefined) {
      const after = evolveAll(state, events);
      for (const [key, value] of Object.entries(vector.expect)) {
        assert.deepStrictEqual(after.order[key], value, `expect.${key}`);
      }
    }
  });
}

test("the vectors produce every domain error code the core lists", () => {
  const produced = new Set(vectors.filter((v) => v.error).map((v) => v.error));
  assert.deepStrictEqual([...produced].sort(), [...domainErrorCodes()].sort());
});

test("evolve one at a time equals evolveAll", () => {
  for (const vector of vectors.filter((v) => v.given.length <= LONG_HISTORY)) {
    const given = vector.given.map(givenEvent);
    assert.deepStrictEqual(evolveAll(initialState(), given), given.reduce(evolve, initialState()), vector.file);
  }
});

test("a schema-v1 stored event is upcast on import: OrderEngine.fromEvents", () => {
  const vector = vectors.find((v) => v.given.some(isStoredShape));
  assert.ok(vector, "a vector with a stored older shape exists");
  // Stored envelopes of stream orderId with versions 1..n, as hosts without history
  // injection import them; the v1 entry keeps its own schemaVersion and payload, today's
  // events carry today's versions (ItemAdded is at v2, the others at v1: core/src/upcast.rs).
  const todaysSchema = { ItemAdded: 2 };
  const orderId = vector.when.orderId;
  const stored = vector.given.map((entry, i) => {
    const { type, ...fields } = entry;
    return {
      eventId: `00000000-0000-7000-8000-${String(i + 1).padStart(12, "0")}`,
      streamId: orderId,
      version: i + 1,
      position: i + 1,
      type,
      schemaVersion: isStoredShape(entry) ? entry.schemaVersion : (todaysSchema[type] ?? 1),
      data: isStoredShape(entry) ? entry.data : fields,
      metadata: { recordedAt: "2026-01-01T09:00:00Z" },
    };
  });
  const engine = OrderEngine.fromEvents(stored);
  const upcastItem = engine.events(orderId).find((e) => e.type === "ItemAdded");
  assert.equal(upcastItem.schemaVersion, 2);
  assert.equal(upcastItem.data.price, "29.99");
  engine.execute(vector.when);
  const view = engine.getOrder(orderId);
  for (const [key, value] of Object.entries(vector.expect)) {
    assert.deepStrictEqual(view[key], value, `expect.${key}`);
  }
});
