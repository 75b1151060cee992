// Throughput of the core through the WebAssembly module in Node, mirroring the native
// criterion benchmark (core/benches/core.rs) so the two can be compared:
//   replay     evolveAll over 1,000 events (OrderCreated + 999 ItemAdded on 10 products)
//   decide     AddItem on a 10-line order (history of 50 events)
//   lifecycle  OrderEngine: 1,000 orders x (create, add, add, place), in memory
//   import     OrderEngine.fromEvents of that lifecycle's 4,000-event log
// Each figure is the median of several timed rounds after a warm-up round. It prints
// figures only; nothing here asserts on time. Run: scripts/bench-wasm.sh
// BENCH_LIFECYCLE_ORDERS sets the lifecycle's orders (1000; Emmett's peer row,
// bench/peers/emmett/bench.mjs, reads the same variable); with BENCH_JSONL=file every
// figure is also appended to that file as a JSON line (bench/results/README.md).
// With BENCH_WASM_FLOOR=path (scripts/bench-wasm.sh sets it), the lifecycle also runs from
// inside a module built with the `bench-floor` feature: the engine's own cost in this
// runtime, with no JS values crossing per command.
import { appendFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

import { OrderEngine, decide, evolveAll, initialState } from "order-wasm";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

function history(lines) {
  const events = [{ type: "OrderCreated", orderId: "o-1", customerId: "c-1", createdAt: "2026-01-01T00:00:00Z" }];
  for (let i = 0; i < lines; i++) {
    events.push({ type: "ItemAdded", orderId: "o-1", productId: `p-${i % 10}`, quantity: 1, price: "19.99" });
  }
  return events;
}

/** Median seconds per call of `fn` over ROUNDS rounds of `repeat` calls, after a warm-up. */
function measure(fn, repeat) {
  for (let i = 0; i < repeat; i++) fn();
  const seconds = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    for (let i = 0; i < repeat; i++) fn();
    seconds.push((performance.now() - start) / 1000 / repeat);
  }
  seconds.sort((a, b) => a - b);
  return seconds[Math.floor(seconds.length / 2)];
}

const rate = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} K` : n.toFixed(0));
/** Prints a figure and, with BENCH_JSONL set, appends it as the table row `row`. */
function report(name, perCall, elements, unit, row) {
  console.log(`${name.padEnd(58)} ${(perCall * 1e3).toFixed(3).padStart(10)} ms/call  ${rate(elements / perCall).padStart(9)} ${unit}/s`);
  if (process.env.BENCH_JSONL) {
    const figure = { group: "wasm", row, system: "ours", name: `order-wasm: ${name}`, metric: `${unit}/s`, value: elements / perCall, durability: "memory", n: elements };
    appendFileSync(process.env.BENCH_JSONL, `${JSON.stringify(figure)}\n`);
  }
}

function lifecycle(orders) {
  const engine = new OrderEngine();
  for (let i = 0; i < orders; i++) {
    const orderId = `o-${i}`;
    engine.createOrder({ orderId, customerId: "c-1" });
    engine.addItem({ orderId, productId: "p-1", quantity: 2, price: "29.99" });
    engine.addItem({ orderId, productId: "p-2", quantity: 2, price: "49.99" });
    engine.placeOrder({ orderId });
  }
  return engine;
}

console.log(`order-wasm in Node ${process.version} (median of ${ROUNDS} rounds)`);

const replayEvents = history(999);
report("replay: evolveAll 1000 events", measure(() => evolveAll(initialState(), replayEvents), 20), replayEvents.length, "events", "replay evolveAll");

const tenLines = evolveAll(initialState(), history(49));
const context = { now: "2026-01-01T10:00:00Z", actor: "tester" };
const addItem = { type: "AddItem", orderId: "o-1", productId: "p-3", quantity: 2, price: "19.99" };
report("decide: AddItem on a 10-line order", measure(() => decide(tenLines, addItem, context), 2000), 1, "commands", "decide AddItem");

const ORDERS = Number(process.env.BENCH_LIFECYCLE_ORDERS ?? 1000);
report(
  `lifecycle: ${ORDERS} x (create, 2 x add, place), OrderEngine`,
  measure(() => lifecycle(ORDERS).free(), 1),
  ORDERS * 4,
  "commands",
  "lifecycle in memory",
);

const log = lifecycle(ORDERS).exportEvents();
report(`import: OrderEngine.fromEvents of ${log.length} events`, measure(() => OrderEngine.fromEvents(log).free(), 1), log.length, "events", "import fromEvents");

if (process.env.BENCH_WASM_FLOOR) {
  const { lifecycleFloor } = await import(process.env.BENCH_WASM_FLOOR);
  report(
    `lifecycle: ${ORDERS} x 4 from inside the module (floor)`,
    measure(() => {
      if (lifecycleFloor(ORDERS) !== ORDERS * 4) throw new Error("a floor command was rejected");
    }, 1),
    ORDERS * 4,
    "commands",
    "lifecycle inside wasm (floor)",
  );
}
