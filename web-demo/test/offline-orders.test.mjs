// The offline model on its own, in Node: the real wasm core, an in-memory stand-in for
// IndexedDB and a scripted server (a stubbed fetch), to pin down the sync rules the browser
// tests only see through the page.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { beforeEach, test } from 'node:test';
import init, { OrderEngine } from '../pkg/order_wasm.js';
import { OfflineOrders } from '../js/offline-orders.js';

await init({ module_or_path: await readFile(new URL('../pkg/order_wasm_bg.wasm', import.meta.url)) });

/** The OfflineStorage API over plain arrays; clones like IndexedDB's structured clone. */
class MemoryStorage {
  constructor() {
    this.confirmed = new Map();
    this.pending = new Map();
    this.rejected = new Map();
    this.scannedThrough = 0;
  }
  async loadAll() {
    const bySeq = (a, b) => a.seq - b.seq;
    return structuredClone({
      confirmed: [...this.confirmed.values()].sort((a, b) => a.position - b.position),
      pending: [...this.pending.values()].sort(bySeq),
      rejected: [...this.rejected.values()].sort(bySeq),
      scannedThrough: this.scannedThrough,
    });
  }
  async addPending(entry) {
    this.pending.set(entry.commandId, structuredClone(entry));
  }
  async applySync({ resetConfirmed = false, events = [], scannedThrough, settled = [], rejected = [] }) {
    if (resetConfirmed) {
      this.confirmed.clear();
      this.scannedThrough = 0;
    }
    if (scannedThrough !== undefined) this.scannedThrough = scannedThrough;
    for (const e of events) this.confirmed.set(e.position, structuredClone(e));
    for (const id of settled) this.pending.delete(id);
    for (const r of rejected) this.rejected.set(r.commandId, structuredClone(r));
  }
  async dismissRejected(id) {
    this.rejected.delete(id);
  }
  async clear() {
    this.confirmed.clear();
    this.pending.clear();
    this.rejected.clear();
  }
}

/**
 * A scripted server: its own OrderEngine is the authoritative log; POST /commands re-decides
 * each command there, GET /events serves the log. Records every request.
 */
class FakeServer {
  constructor() {
    this.engine = new OrderEngine();
    this.requests = [];
    this.down = false;
  }
  async fetch(path, init = {}) {
    this.requests.push({ path, method: init.method ?? 'GET', headers: init.headers ?? {}, body: init.body });
    if (this.down) throw new TypeError('fetch failed');
    const url = new URL(path, 'http://server.test');
    if (url.pathname === '/commands') {
      this.onPost?.();
      const outcomes = JSON.parse(init.body).map((command) => {
        if (this.busyFor?.has(command.commandId)) {
          this.busyFor.delete(command.commandId);
          return {
            commandId: command.commandId,
            accepted: false,
            error: { code: 'store_busy', message: 'the database is busy' },
            retryable: true,
          };
        }
        try {
          const r = this.engine.execute(command);
          return { commandId: command.commandId, accepted: true, orderId: r.orderId, version: r.version, positions: r.positions };
        } catch (e) {
          return { commandId: command.commandId, accepted: false, error: { code: e.code, message: e.message }, retryable: false };
        }
      });
      return Response.json(outcomes);
    }
    if (url.pathname === '/events') {
      const after = Number(url.searchParams.get('after'));
      const limit = Number(url.searchParams.get('limit'));
      if (!this.customer) return Response.json(this.engine.allEvents(after, limit));
      // A customer's token: their orders' events only, and how far the server looked.
      const page = [];
      let through = after;
      for (const event of this.engine.allEvents(after, 1000)) {
        through = event.position;
        if (this.engine.getOrder(event.streamId)?.customerId === this.customer) page.push(event);
        if (page.length === limit) break;
      }
      return Response.json(page, { headers: { 'x-scanned-through': String(through) } });
    }
    return Response.json({ error: { code: 'not_found', message: 'no such route' } }, { status: 404 });
  }
}

let server;
let storage;
beforeEach(() => {
  server = new FakeServer();
  storage = new MemoryStorage();
  globalThis.fetch = (path, init) => server.fetch(path, init);
});

async function client() {
  const orders = new OfflineOrders({ OrderEngine, storage });
  await orders.load();
  return orders;
}

test('commands are decided and queued locally, then confirmed by a sync', async () => {
  const orders = await client();
  await orders.submit({ type: 'CreateOrder', orderId: 'o1', customerId: 'alice' });
  await orders.submit({ type: 'AddItem', orderId: 'o1', productId: 'widget', quantity: 2, price: '29.99' });
  assert.equal(orders.pending.length, 2);
  assert.equal(orders.engine.getOrder('o1').total, '59.98');
  assert.equal(server.requests.length, 0, 'submitting makes no request');

  await orders.sync();
  assert.equal(orders.pending.length, 0);
  assert.equal(orders.lastConfirmedPosition, 2);
  assert.equal(server.engine.getOrder('o1').total, '59.98');
  assert.ok(orders.engine.events('o1').every((e) => orders.isConfirmed(e)));
  assert.equal(storage.pending.size, 0);
  assert.equal(storage.confirmed.size, 2);
});

test('a domain refusal throws the core error and queues nothing', async () => {
  const orders = await client();
  await orders.submit({ type: 'CreateOrder', orderId: 'o1', customerId: 'alice' });
  await assert.rejects(
    orders.submit({ type: 'AddItem', orderId: 'o1', productId: 'widget', quantity: 0, price: '1.00' }),
    (e) => e instanceof Error && e.code === 'invalid_quantity',
  );
  assert.equal(orders.pending.length, 1);
  assert.equal(storage.pending.size, 1);
});

test('the queue and the confirmed log survive a restart', async () => {
  const first = await client();
  await first.submit({ type: 'CreateOrder', orderId: 'o1', customerId: 'alice' });
  await first.sync();
  await first.submit({ type: 'AddItem', orderId: 'o1', productId: 'widget', quantity: 1, price: '0.10' });
  await first.submit({ type: 'AddItem', orderId: 'o1', productId: 'gadget', quantity: 1, price: '0.20' });

  const second = await client();
  assert.equal(second.lastConfirmedPosition, 1);
  assert.deepEqual(second.pending.map((e) => e.command.productId), ['widget', 'gadget']);
  assert.equal(second.engine.getOrder('o1').total, '0.30');
});

test('a server rejection moves the command to the rejected list and the state rebases', async () => {
  const orders = await client();
  await orders.submit({ type: 'CreateOrder', orderId: 'o1', customerId: 'alice' });
  await orders.sync();
  await orders.submit({ type: 'AddItem', orderId: 'o1', productId: 'widget', quantity: 1, price: '5.00' });
  server.engine.cancelOrder({ orderId: 'o1', reason: 'out of stock' }); // another client

  await orders.sync();
  assert.equal(orders.pending.length, 0);
  assert.equal(orders.rejected.length, 1);
  assert.equal(orders.rejected[0].error.code, 'order_not_draft');
  assert.equal(orders.rejected[0].source, 'server');
  const view = orders.engine.getOrder('o1');
  assert.equal(view.status, 'cancelled');
  assert.deepEqual(view.items, []);
  assert.equal(storage.rejected.size, 1);
});

test('a command queued during a sync that the pulled events rule out is rejected on rebase, never sent', async () => {
  const orders = await client();
  await orders.submit({ type: 'CreateOrder', orderId: 'o1', customerId: 'alice' });
  await orders.sync();
  await orders.submit({ type: 'AddItem', orderId: 'o1', productId: 'a', quantity: 1, price: '5.00' });
  server.engine.cancelOrder({ orderId: 'o1' }); // another client
  let queuedMeanwhile;
  server.onPost = () => {
    // The user adds another item while the request is in flight: still a draft locally.
    queuedMeanwhile = orders.submit({ type: 'AddItem', orderId: 'o1', productId: 'b', quantity: 1, price: '5.00' });
  };
  await orders.sync();
  await queuedMeanwhile;

  assert.deepEqual(
    orders.rejected.map((r) => [r.command.productId, r.source, r.error.code]),
    [['a', 'server', 'order_not_draft'], ['b', 'rebase', 'order_not_draft']],
  );
  assert.equal(orders.pending.length, 0);
  assert.equal(storage.pending.size, 0);
  assert.equal(storage.rejected.size, 2);
  const sent = server.requests.filter((r) => r.method === 'POST').flatMap((r) => JSON.parse(r.body));
  assert.deepEqual(sent.map((c) => c.productId ?? c.type), ['CreateOrder', 'a'], 'b was never sent');
});

test('a failed sync keeps the queue and says why', async () => {
  const orders = await client();
  await orders.submit({ type: 'CreateOrder', orderId: 'o1', customerId: 'alice' });
  server.down = true;
  await assert.rejects(orders.sync(), { name: 'SyncFailed', code: 'server_unavailable' });
  assert.equal(orders.pending.length, 1);
  assert.equal(orders.lastSync.ok, false);
  server.down = false;
  await orders.sync();
  assert.equal(orders.pending.length, 0);
  assert.equal(orders.lastSync.ok, true);
});

test('pushed events already held are skipped; one that skips a version is refused and the log pulled again', async () => {
  const orders = await client();
  server.engine.createOrder({ orderId: 'o1', customerId: 'alice' });
  server.engine.addItem({ orderId: 'o1', productId: 'a', quantity: 1, price: '1' });
  await orders.sync();
  const held = server.engine.allEvents();
  await orders.receive(held);
  assert.deepEqual(orders.confirmed.map((e) => e.position), [1, 2], 'already held: applied once');

  server.engine.addItem({ orderId: 'o1', productId: 'b', quantity: 1, price: '1' });
  server.engine.addItem({ orderId: 'o1', productId: 'c', quantity: 1, price: '1' });
  const fourth = server.engine.allEvents(3);
  await assert.rejects(orders.receive(fourth), /`o1` has version 4, expected 3/);
  assert.deepEqual(orders.confirmed.map((e) => e.position), [1, 2], 'nothing of it applied');
  await orders.sync();
  assert.deepEqual(orders.confirmed.map((e) => e.position), [1, 2, 3, 4]);
  assert.equal(orders.engine.getOrder('o1').items.length, 3);
});

test('pushed events are applied to what is held, without replaying the log', async () => {
  const orders = await client();
  server.engine.createOrder({ orderId: 'o1', customerId: 'alice' });
  await orders.sync();
  const confirmedEngine = orders.confirmedEngine;
  await orders.submit({ type: 'AddItem', orderId: 'o1', productId: 'mine', quantity: 1, price: '2' });
  server.engine.addItem({ orderId: 'o1', productId: 'theirs', quantity: 1, price: '3' });
  await orders.receive(server.engine.allEvents(1));
  assert.equal(orders.confirmedEngine, confirmedEngine, 'the same engine, advanced');
  assert.equal(confirmedEngine.getOrder('o1').total, '3.00', 'holds confirmed events only');
  assert.equal(orders.engine.getOrder('o1').total, '5.00', 'the queue is re-decided on top');
  assert.equal(orders.pending.length, 1);
});

test('the queue is sent in order in one request, each command with its own actor', async () => {
  const orders = await client();
  await orders.submit({ type: 'CreateOrder', orderId: 'o1', customerId: 'alice' }, { actor: 'clerk-1' });
  await orders.submit({ type: 'AddItem', orderId: 'o1', productId: 'a', quantity: 1, price: '1' }, { actor: 'clerk-1' });
  // Not ASCII: a header could not carry it, the body can.
  await orders.submit({ type: 'AddItem', orderId: 'o1', productId: 'b', quantity: 1, price: '1' }, { actor: 'Zoë Ångström' });
  await orders.sync();
  const posts = server.requests.filter((r) => r.method === 'POST');
  assert.equal(posts.length, 1);
  assert.equal(posts[0].headers['x-actor'], undefined, 'no actor header');
  assert.deepEqual(JSON.parse(posts[0].body).map((c) => c.actor), ['clerk-1', 'clerk-1', 'Zoë Ångström']);
  assert.deepEqual(server.engine.events('o1').map((e) => e.metadata.actor), ['clerk-1', 'clerk-1', 'Zoë Ångström']);
  assert.equal(orders.pending.length, 0);
});

test('a command the server could not process stays queued and is retried after a pause', async () => {
  const orders = await client();
  await orders.submit({ type: 'CreateOrder', orderId: 'o1', customerId: 'alice' });
  const [entry] = orders.pending;
  server.busyFor = new Set([entry.commandId]);
  await orders.sync();
  assert.equal(orders.pending.length, 1, 'a retryable failure is not a rejection');
  assert.equal(orders.rejected.length, 0);
  assert.equal(storage.pending.size, 1, 'kept in storage too');
  assert.ok(orders.retryNotBefore > Date.now(), 'backs off before posting again');
  await orders.sync();
  assert.equal(server.requests.filter((r) => r.method === 'POST').length, 1, 'not posted during the pause');
  orders.retryNotBefore = 0; // the pause is over
  await orders.sync();
  assert.equal(orders.pending.length, 0);
  assert.equal(server.engine.getOrder('o1').customerId, 'alice');
  assert.equal(orders.retryDelayMs, 0, 'success resets the backoff');
});

test('a sync retried after a lost answer does not apply a command twice', async () => {
  const orders = await client();
  await orders.submit({ type: 'CreateOrder', orderId: 'o1', customerId: 'alice' });
  await orders.submit({ type: 'AddItem', orderId: 'o1', productId: 'widget', quantity: 1, price: '2.00' });
  // The server applies the batch but the answer never arrives.
  const wire = orders.pending.map((e) => ({ ...e.command, commandId: e.commandId }));
  for (const command of wire) server.engine.execute(command);
  await orders.sync(); // same commandIds again: replayed, not re-applied
  assert.equal(orders.pending.length, 0);
  assert.equal(server.engine.getOrder('o1').items[0].quantity, 1);
  assert.equal(orders.engine.getOrder('o1').version, 2);
});

test('a server with another log (a new database) replaces the local copy; the queue is re-decided on it', async () => {
  const orders = await client();
  await orders.submit({ type: 'CreateOrder', orderId: 'old', customerId: 'alice' });
  await orders.submit({ type: 'AddItem', orderId: 'old', productId: 'a', quantity: 1, price: '1.00' });
  await orders.sync();
  await orders.submit({ type: 'PlaceOrder', orderId: 'old' });

  server = new FakeServer(); // the server restarted on an empty database...
  server.engine.createOrder({ orderId: 'new', customerId: 'alice' }); // ...and someone used it
  await orders.sync();

  assert.equal(orders.lastSync.restarted, true);
  assert.deepEqual(orders.confirmed.map((e) => e.streamId), ['new']);
  assert.deepEqual([...storage.confirmed.values()].map((e) => e.streamId), ['new']);
  assert.deepEqual(orders.engine.listOrders('alice').orders.map((o) => o.id), ['new']);
  assert.deepEqual(orders.rejected.map((r) => [r.command.type, r.error.code]), [['PlaceOrder', 'order_not_found']]);
});

test("a customer's pulls start past the others' events the server has already shown", async () => {
  server.customer = 'cara';
  for (let i = 0; i < 30; i += 1) server.engine.execute({ type: 'CreateOrder', orderId: `x${i}`, customerId: 'other' });
  const orders = await client();
  await orders.sync();
  assert.equal(orders.confirmed.length, 0, 'none of the others\' events');
  assert.equal(orders.position, 30, 'but the server looked through them');
  assert.equal(storage.scannedThrough, 30);

  server.engine.execute({ type: 'CreateOrder', orderId: 'c1', customerId: 'cara' });
  server.engine.execute({ type: 'CreateOrder', orderId: 'x30', customerId: 'other' });
  server.requests = [];
  const reloaded = await client(); // a reload: from storage, then only what is new
  await reloaded.sync();
  assert.deepEqual(
    server.requests.map((r) => r.path),
    ['/events?after=30&limit=1000', '/events?after=32&limit=1000'],
    'no own event yet to check: reads from the position held, until the server has no more',
  );
  assert.deepEqual(reloaded.confirmed.map((e) => e.streamId), ['c1']);
  assert.equal(reloaded.position, 32);

  server.requests = [];
  await reloaded.sync();
  assert.deepEqual(
    server.requests.map((r) => r.path),
    ['/events?after=30&limit=1', '/events?after=32&limit=1000'],
    'the last own event is checked with a one-event read, then only what is new is read',
  );
});
