// Offline first: commands decided with the network off survive a reload (IndexedDB, and the
// service worker's cached app shell) and reach the server when the page is back online.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  addItem, api, chooseCustomer, clickCommand, createOrder, expectPending, expectText, openApp, screenshot, shareServerAndBrowser, startServer, waitOfflineShell, waitReady, CLERK, signIn,
} from './harness.mjs';

// One server and one browser for the tests of this file.
const shared = shareServerAndBrowser();

const isApi = (url) => /^\/(orders|events|commands)(\/|$)/.test(new URL(url).pathname);

test('edits made with the network off survive a reload and sync when back online', async () => {
  // This test's own server, down for the whole offline part: the network loss is real, so
  // nothing the browser might still send (Chromium's offline emulation and request routing
  // have each let a request from a service-worker-controlled page through right after a
  // reload) can reach it. It comes back on the same address, database and token secret.
  const dir = await mkdtemp(path.join(tmpdir(), 'order-web-offline-'));
  const env = { ORDER_AUTH_HS256_SECRET: 'offline-test-secret-0123456789abcdef0123456789abcdef' };
  let server = await startServer({ dir, keepDb: true, env });
  try {
    const { context, page, pageErrors } = await openApp(shared.browser, server.url);
    await chooseCustomer(page, 'bob');
    const orderId = await createOrder(page);
    await expectPending(page, 0); // synced: the server has the order
    assert.equal((await api(server.url, `/orders/${orderId}`)).status, 200);

    await context.setOffline(true);
    await context.route(isApi, (route) => route.abort('internetdisconnected'));
    await server.kill();
    await expectText(page, '#connection', 'Offline');
    await addItem(page, { product: 'widget', quantity: 2, price: '29.99' });
    await addItem(page, { product: 'gadget', quantity: 1, price: '49.99' });
    await clickCommand(page, 'Place order');
    await expectText(page, '#order-status', 'placed');
    await expectText(page, '#order-total', '109.97');
    await expectPending(page, 3);
    assert.equal(await page.locator('#event-rows .badge.pending').count(), 3, 'the audit trail marks unsynced events');

    // Reload while still offline: the page comes from the service worker's cache and the
    // state from IndexedDB.
    const reloaded = await page.reload();
    assert.ok(reloaded.fromServiceWorker(), 'the offline page came from the service worker');
    await waitReady(page);
    await expectText(page, '#connection', 'Offline');
    await expectPending(page, 3);
    await page.locator(`#order-list [data-order-id="${orderId}"]`).click();
    await expectText(page, '#order-total', '109.97');
    await expectText(page, '#order-status', 'placed');
    await screenshot(page, 'offline-after-reload');

    server = await startServer({ dir, listen: new URL(server.url).host, keepDb: true, env });
    const meanwhile = await api(server.url, `/orders/${orderId}`);
    assert.equal(meanwhile.body.status, 'draft', 'the server still has the order as it was before the outage');
    assert.deepEqual(meanwhile.body.items, []);

    await context.unroute(isApi);
    await context.setOffline(false);
    await expectText(page, '#connection', 'Online');
    await expectPending(page, 0);
    const synced = await api(server.url, `/orders/${orderId}`);
    assert.equal(synced.body.status, 'placed');
    assert.equal(synced.body.total, '109.97');
    assert.equal(synced.body.version, 4);
    await expectText(page, '#order-version', '4');
    assert.equal(await page.locator('#event-rows .badge.pending').count(), 0);
    await screenshot(page, 'offline-synced');
    assert.deepEqual(pageErrors, []);
    await context.close();
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('the "Go offline" switch queues commands, even a new order, and syncs them on "Go online"', async () => {
  const { context, page, pageErrors } = await openApp(shared.browser, shared.server.url);
  await chooseCustomer(page, 'bea');
  await page.getByRole('button', { name: 'Go offline' }).click();
  await expectText(page, '#connection', 'Offline (simulated)');
  const actedFrom = Date.now();
  const orderId = await createOrder(page);
  await addItem(page, { product: 'gizmo', quantity: 3, price: '0.10' });
  await expectText(page, '#order-total', '0.30');
  await expectPending(page, 2);

  await page.reload(); // the switch and the queue both persist
  await waitReady(page);
  await expectText(page, '#connection', 'Offline (simulated)');
  await expectPending(page, 2);
  assert.equal((await api(shared.server.url, `/orders/${orderId}`)).status, 404, 'the server has not heard of it yet');

  await page.waitForTimeout(1100); // the sync comes visibly later than the clerk's work
  const online = Date.now();
  await page.getByRole('button', { name: 'Go online' }).click();
  await expectPending(page, 0);
  const { status, body } = await api(shared.server.url, `/orders/${orderId}`);
  assert.equal(status, 200);
  assert.equal(body.customerId, 'bea');
  assert.equal(body.total, '0.30');
  // Business time is when the clerk acted offline; recordedAt is when the server committed.
  assert.ok(Date.parse(body.createdAt) >= actedFrom && Date.parse(body.createdAt) < online, body.createdAt);
  const events = (await api(shared.server.url, `/orders/${orderId}/events`)).body;
  assert.equal(events[0].metadata.issuedAt, events[0].data.createdAt);
  assert.ok(Date.parse(events[0].metadata.recordedAt) >= online, events[0].metadata.recordedAt);
  // The audit trail shows both.
  await page.locator(`#order-list [data-order-id="${orderId}"]`).click();
  await page.locator('#event-rows tr').first().locator('.issued-at').waitFor();
  assert.match(await page.locator('#event-rows tr').first().locator('.time').textContent(), /acted /);
  assert.deepEqual(pageErrors, []);
  await context.close();
});

test('a server outage is shown, the queue waits, and it syncs once the server is back and the user signed in again', async () => {
  const own = await startServer({ keepDb: true });
  const { context, page, pageErrors } = await openApp(shared.browser, own.url);
  await waitOfflineShell(page);
  await chooseCustomer(page, 'otto');
  const orderId = await createOrder(page);
  await expectPending(page, 0);

  await own.stop(); // the browser is online, the server is not
  await addItem(page, { product: 'widget', quantity: 1, price: '8645.79' });
  await expectText(page, '#connection', 'Server unreachable');
  await expectPending(page, 1);
  await screenshot(page, 'server-unreachable');

  const { port } = new URL(own.url);
  const back = await startServer({ dir: own.dir, listen: `127.0.0.1:${port}` });
  try {
    // The restarted server signs dev tokens with a new secret, as an expired token would be
    // refused: the page asks to sign in again and keeps the queue meanwhile.
    await page.locator('#sign-in').waitFor({ timeout: 15_000 });
    assert.match(await page.locator('#sign-in-note').textContent(), /sign in again\. 1 change\(s\) waiting to sync are kept/);
    await expectPending(page, 1);
    await signIn(page, CLERK);
    await expectPending(page, 0);
    await expectText(page, '#connection', 'Online');
    const { body } = await api(back.url, `/orders/${orderId}`);
    assert.equal(body.total, '8645.79');
    assert.deepEqual(pageErrors, []);
  } finally {
    await context.close();
    await back.stop();
  }
});
