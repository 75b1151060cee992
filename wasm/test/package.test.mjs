// The built packages themselves: declarations without `any`, error codes in step with the
// core, and the web build (the path web-demo/ imports) working like the Node one.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import {
  ConcurrencyError, DomainError, domainErrorCodes, IdempotencyError, InvalidInput, isOrderError, OrderEngine as NodeEngine,
} from "order-wasm";
import { here } from "./helpers.mjs";

const pkg = (target, file) => join(here, "..", `pkg-${target}`, file);
const declarations = (target) =>
  ["order_wasm.d.ts", "order_wasm_bg.wasm.d.ts"].map((f) => readFileSync(pkg(target, f), "utf8"));

/** The declarations without comments, where `any` may appear in prose. */
const code = (text) => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");

for (const target of ["node", "web"]) {
  test(`pkg-${target}: the declarations never say \`any\``, () => {
    for (const text of declarations(target)) {
      assert.doesNotMatch(code(text), /\bany\b/);
    }
  });
}

test("the DomainErrorCode type lists exactly the core's codes", () => {
  const [text] = declarations("node");
  const union = text.match(/export type DomainErrorCode =([^;]+);/);
  assert.ok(union, "DomainErrorCode is declared");
  const declared = [...union[1].matchAll(/"([a-z_]+)"/g)].map((m) => m[1]);
  assert.deepEqual(declared, domainErrorCodes());
});

test("isOrderError tells this package's errors from others", () => {
  let caught;
  try {
    new NodeEngine().placeOrder({ orderId: "missing" });
  } catch (e) {
    caught = e;
  }
  assert.equal(isOrderError(caught), true);
  assert.equal(isOrderError(new Error("plain")), false);
  assert.equal(isOrderError(Object.assign(new Error("odd"), { code: "ENOENT" })), false);
  assert.equal(isOrderError({ code: "order_not_found" }), false, "not an Error");
  assert.equal(isOrderError(undefined), false);
});

test("each kind of error is an instance of its exported class", () => {
  const engine = new NodeEngine();
  const thrown = (work) => {
    try {
      work();
    } catch (e) {
      return e;
    }
    assert.fail("nothing was thrown");
  };
  const { orderId } = engine.createOrder({ customerId: "c", commandId: "k" });
  const cases = [
    [thrown(() => engine.placeOrder({ orderId: "missing" })), DomainError, "order_not_found"],
    [thrown(() => engine.placeOrder({ orderId, expectedVersion: 7 })), ConcurrencyError, "concurrency_conflict"],
    [thrown(() => engine.placeOrder({ orderId, commandId: "k" })), IdempotencyError, "idempotency_key_reused"],
    [thrown(() => engine.addItem({ orderId })), InvalidInput, "invalid_input"],
  ];
  const classes = [DomainError, ConcurrencyError, IdempotencyError, InvalidInput];
  for (const [error, kind, code] of cases) {
    assert.ok(error instanceof kind, `${error.name} is a ${kind.name}`);
    assert.ok(error instanceof Error, "and an Error, with its stack");
    assert.ok(error.stack.includes(error.message));
    assert.equal(error.name, kind.name);
    assert.equal(error.code, code);
    assert.equal(classes.filter((c) => error instanceof c).length, 1, "of one kind only");
  }
  assert.deepEqual(cases[1][0].details, { streamId: orderId, expected: 7, actual: 1 });
});

test("pkg-web (what web-demo imports) initializes from bytes and runs the seed scenario", async () => {
  const web = await import(pkg("web", "order_wasm.js"));
  web.initSync({ module: readFileSync(pkg("web", "order_wasm_bg.wasm")) });
  const engine = new web.OrderEngine();
  const { orderId } = engine.createOrder({ customerId: "customer-123" });
  engine.addItem({ orderId, productId: "product-456", quantity: 2, price: "29.99" });
  engine.addItem({ orderId, productId: "product-789", quantity: 1, price: "49.99" });
  engine.placeOrder({ orderId });
  assert.equal(engine.getOrder(orderId).total, "109.97");
  // A log written by one build is read by the other.
  const restored = NodeEngine.fromEvents(engine.exportEvents());
  assert.deepStrictEqual(restored.getOrder(orderId), engine.getOrder(orderId));
  try {
    engine.placeOrder({ orderId: "missing" });
    assert.fail("expected order_not_found");
  } catch (e) {
    assert.ok(e instanceof Error);
    assert.equal(e.code, "order_not_found");
  }
});
