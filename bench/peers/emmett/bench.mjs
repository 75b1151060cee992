// Peer benchmark: the order lifecycle on Emmett's in-memory event store, the workload of
// wasm/bench/bench.mjs's `lifecycle` row (OrderEngine in memory) with the same orders and
// the same timing (median of BENCH_ROUNDS rounds after a warm-up round):
//   per order: CreateOrder, AddItem x 2, PlaceOrder, each through DeciderCommandHandler
//   (read the stream, fold it, decide, append with the expected version).
// The Order decider applies the rules our core applies on this path: changes only while
// draft, positive integer quantities, non-negative prices with at most two decimals (held
// as exact integer cents), no placing an empty order.
// Figures only, nothing asserts on time. Run: scripts/bench-emmett.sh
// BENCH_LIFECYCLE_ORDERS sets the orders per round (1000); BENCH_JSONL appends rows.
import { appendFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

import { DeciderCommandHandler, getInMemoryEventStore } from "@event-driven-io/emmett";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const ORDERS = Number(process.env.BENCH_LIFECYCLE_ORDERS ?? 1000);
const VERSION = "0.42.0"; // package.json pins it; printed beside the figure

class DomainError extends Error {}

const initialState = () => ({ status: "none", items: new Map(), totalCents: 0 });

/** "29.99" -> 2999; throws on a negative price or more than two decimals. */
function cents(price) {
  const match = /^(\d+)(?:\.(\d{1,2}))?$/.exec(String(price));
  if (!match) throw new DomainError("invalid_price");
  return Number(match[1]) * 100 + Number((match[2] ?? "").padEnd(2, "0"));
}

function decide(command, state) {
  const { data } = command;
  switch (command.type) {
    case "CreateOrder":
      if (state.status !== "none") throw new DomainError("order_already_exists");
      return { type: "OrderCreated", data: { orderId: data.orderId, customerId: data.customerId, createdAt: new Date().toISOString() } };
    case "AddItem": {
      if (state.status === "none") throw new DomainError("order_not_found");
      if (state.status !== "draft") throw new DomainError("order_not_draft");
      if (!Number.isInteger(data.quantity) || data.quantity <= 0) throw new DomainError("invalid_quantity");
      return { type: "ItemAdded", data: { orderId: data.orderId, productId: data.productId, quantity: data.quantity, priceCents: cents(data.price) } };
    }
    case "PlaceOrder":
      if (state.status === "none") throw new DomainError("order_not_found");
      if (state.status !== "draft") throw new DomainError("order_not_draft");
      if (state.items.size === 0) throw new DomainError("empty_order");
      return { type: "OrderPlaced", data: { orderId: data.orderId, totalCents: state.totalCents, placedAt: new Date().toISOString() } };
    default:
      throw new DomainError("unknown_command");
  }
}

function evolve(state, event) {
  const { data } = event;
  switch (event.type) {
    case "OrderCreated":
      return { status: "draft", items: new Map(), totalCents: 0 };
    case "ItemAdded": {
      const items = new Map(state.items);
      const held = items.get(data.productId);
      items.set(data.productId, { quantity: (held?.quantity ?? 0) + data.quantity, priceCents: data.priceCents });
      return { ...state, items, totalCents: state.totalCents + data.quantity * data.priceCents };
    }
    case "OrderPlaced":
      return { ...state, status: "placed" };
    default:
      return state;
  }
}

const handle = DeciderCommandHandler({ decide, evolve, initialState, mapToStreamId: (id) => `order-${id}` });

async function lifecycle(orders) {
  const store = getInMemoryEventStore();
  let last;
  for (let i = 0; i < orders; i++) {
    const orderId = `o-${i}`;
    await handle(store, orderId, { type: "CreateOrder", data: { orderId, customerId: "c-1" } });
    await handle(store, orderId, { type: "AddItem", data: { orderId, productId: "p-1", quantity: 2, price: "29.99" } });
    await handle(store, orderId, { type: "AddItem", data: { orderId, productId: "p-2", quantity: 2, price: "49.99" } });
    last = await handle(store, orderId, { type: "PlaceOrder", data: { orderId } });
  }
  return last;
}

/** Median seconds of one `fn()` over ROUNDS rounds, after a warm-up round. */
async function measure(fn) {
  await fn();
  const seconds = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    await fn();
    seconds.push((performance.now() - start) / 1000);
  }
  seconds.sort((a, b) => a - b);
  return seconds[Math.floor(seconds.length / 2)];
}

// A benchmark of wrong results measures nothing: the last order must be placed at 159.96.
const check = await lifecycle(1);
if (check.newState.status !== "placed" || check.newState.totalCents !== 15996) {
  throw new Error(`Emmett lifecycle ended in ${JSON.stringify(check.newState)}`);
}

const perRound = await measure(() => lifecycle(ORDERS));
const commandsPerSecond = (ORDERS * 4) / perRound;
console.log(`Emmett ${VERSION} in Node ${process.version} (median of ${ROUNDS} rounds)`);
console.log(
  `${`lifecycle: ${ORDERS} x (create, 2 x add, place), Emmett in-memory`.padEnd(58)} ${(perRound * 1e3).toFixed(3).padStart(10)} ms/call  ${(commandsPerSecond / 1e3).toFixed(1).padStart(7)} K commands/s`,
);
if (process.env.BENCH_JSONL) {
  const row = { group: "wasm", row: "lifecycle in memory", system: "peer", name: `Emmett ${VERSION} in-memory`, metric: "commands/s", value: commandsPerSecond, durability: "memory", n: ORDERS * 4 };
  appendFileSync(process.env.BENCH_JSONL, `${JSON.stringify(row)}\n`);
}
