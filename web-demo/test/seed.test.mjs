// The seed scenario through the UI: an order for a customer with 2 x 29.99 and 1 x 49.99,
// placed; the page and the server both say 109.97 (exact decimal text, never a float).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { addItem, clickCommand, api, chooseCustomer, createOrder, expectPending, expectText, launchBrowser, openApp, screenshot, startServer } from './harness.mjs';

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the seed order totals 109.97 on the page and on the server', async () => {
  const { context, page, pageErrors } = await openApp(browser, server.url);
  await expectText(page, '#connection', 'Online');
  await page.getByLabel('Acting as').fill('clerk-1');
  await page.getByLabel('Acting as').press('Tab');
  await chooseCustomer(page, 'alice');
  const orderId = await createOrder(page);

  await addItem(page, { product: 'widget', quantity: 2, price: '29.99' });
  await addItem(page, { product: 'gadget', quantity: 1, price: '49.99' });
  await expectText(page, '#order-total', '109.97');
  await clickCommand(page, 'Place order');
  await expectText(page, '#order-status', 'placed');
  await expectText(page, '#order-total', '109.97');
  await expectText(page, `#order-list [data-order-id="${orderId}"] .money`, '109.97');
  await expectPending(page, 0);
  await screenshot(page, 'seed-placed');

  const { status, body: order } = await api(server.url, `/orders/${orderId}`);
  assert.equal(status, 200);
  assert.equal(order.total, '109.97');
  assert.equal(order.status, 'placed');
  assert.equal(order.customerId, 'alice');
  assert.deepEqual(
    order.items.map((i) => [i.productId, i.quantity, i.price]),
    [['widget', 2, '29.99'], ['gadget', 1, '49.99']],
  );
  const { body: events } = await api(server.url, `/orders/${orderId}/events`);
  assert.deepEqual(events.map((e) => e.type), ['OrderCreated', 'ItemAdded', 'ItemAdded', 'OrderPlaced']);
  assert.ok(events.every((e) => e.metadata.actor === 'clerk-1'), 'the actor typed in the page is recorded by the server');
  // The page's audit trail holds the server's events once synced: no "unsynced" marks left.
  await expectText(page, '#event-rows tr:last-child td:nth-child(2)', 'OrderPlaced');
  assert.equal(await page.locator('#event-rows .badge.pending').count(), 0);

  assert.deepEqual(pageErrors, []);
  await context.close();
});
