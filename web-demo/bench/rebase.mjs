// How long the offline client's rebase takes as the log grows: the page rebuilds its engine
// from the whole confirmed log (`OrderEngine.fromEvents`) and re-decides the pending queue
// after every sync that brought new events. Prints figures; asserts nothing about speed.
//   node bench/rebase.mjs [events...]      (after scripts/build-web.sh)

import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import init, { OrderEngine } from '../pkg/order_wasm.js';

await init({ module_or_path: await readFile(new URL('../pkg/order_wasm_bg.wasm', import.meta.url)) });

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const PENDING = 20;

/** A log of about `events` events: orders of 5 events each (create, 3 adds, place). */
function buildLog(events) {
  const engine = new OrderEngine();
  for (let i = 0; engine.lastPosition < events; i += 1) {
    const orderId = `order-${i}`;
    engine.createOrder({ orderId, customerId: `customer-${i % 50}` });
    for (const [productId, price] of [['widget', '29.99'], ['gadget', '49.99'], ['gizmo', '0.10']]) {
      engine.addItem({ orderId, productId, quantity: 2, price });
    }
    engine.placeOrder({ orderId });
  }
  return engine.exportEvents();
}

function pendingQueue() {
  const queue = [{ type: 'CreateOrder', orderId: 'offline-order', customerId: 'customer-1' }];
  for (let i = 1; i < PENDING; i += 1) {
    queue.push({ type: 'AddItem', orderId: 'offline-order', productId: `p${i}`, quantity: 1, price: '1.25' });
  }
  return queue.map((command, i) => ({ ...command, commandId: `c${i}` }));
}

function median(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

console.log(`rebase = OrderEngine.fromEvents(confirmed log) + re-decide ${PENDING} pending commands (median of 5)`);
for (const size of sizes.length ? sizes : [1_000, 10_000, 50_000]) {
  const log = buildLog(size);
  const queue = pendingQueue();
  const samples = [];
  for (let run = 0; run < 5; run += 1) {
    const start = performance.now();
    const engine = OrderEngine.fromEvents(log);
    for (const command of queue) engine.execute(command);
    samples.push(performance.now() - start);
    engine.free();
  }
  const ms = median(samples);
  console.log(
    `${String(log.length).padStart(7)} events: ${ms.toFixed(1).padStart(8)} ms` +
      `  (${Math.round(log.length / (ms / 1000)).toLocaleString('en-US')} events/s)`,
  );
}
