// How long the offline client's rebase takes as the log grows, two ways: rebuilding the
// engine from the whole confirmed log (`OrderEngine.fromEvents`, what the page did before
// the live feed) against what it does now: apply only the new events to the engine that
// holds the confirmed ones (`applyEvents`), copy it (`clone`) and re-decide the queue on
// the copy. Prints figures; asserts nothing about speed.
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

const NEW_EVENTS = 5;

/** Median of 5 runs; a run may return its own measured part (setup excluded). */
function timed(run) {
  const samples = [];
  for (let i = 0; i < 5; i += 1) {
    const start = performance.now();
    const measured = run();
    samples.push(typeof measured === 'number' ? measured : performance.now() - start);
  }
  return median(samples);
}

console.log(`rebase with ${PENDING} pending commands, after ${NEW_EVENTS} new events (median of 5)`);
console.log('     events   rebuild from the log   applyEvents + clone + queue   applyEvents (nothing queued)');
for (const size of sizes.length ? sizes : [1_000, 10_000, 50_000]) {
  const log = buildLog(size + NEW_EVENTS);
  const held = log.slice(0, log.length - NEW_EVENTS);
  const fresh = log.slice(log.length - NEW_EVENTS);
  const queue = pendingQueue();
  const rebuild = timed(() => {
    const engine = OrderEngine.fromEvents(log);
    for (const command of queue) engine.execute(command);
    engine.free();
  });
  const incremental = timed(() => {
    const confirmed = OrderEngine.fromEvents(held); // outside the timing below
    const start = performance.now();
    confirmed.applyEvents(fresh);
    const local = confirmed.clone();
    for (const command of queue) local.execute(command);
    const elapsed = performance.now() - start;
    local.free();
    confirmed.free();
    return elapsed;
  });
  const followOnly = timed(() => {
    const confirmed = OrderEngine.fromEvents(held);
    const start = performance.now();
    confirmed.applyEvents(fresh);
    const elapsed = performance.now() - start;
    confirmed.free();
    return elapsed;
  });
  const cell = (ms, width) => `${ms.toFixed(2).padStart(width)} ms`;
  console.log(`${String(log.length).padStart(11)}   ${cell(rebuild, 17)}   ${cell(incremental, 24)}   ${cell(followOnly, 25)}`);
}
