// The seed scenario through the UI: an order for a customer with 2 x 29.99 and 1 x 49.99,
// placed; the page and the server both say 109.97 (exact decimal text, never a float).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addItem, api, chooseCustomer, clickCommand, createOrder, expectPending, expectText, openApp, screenshot, shareServerAndBrowser,
} from './harness.mjs';

// One server and one browser for the tests of this file.
const shared = shareServerAndBrowser();

test('the seed order totals 109.97 on the page and on the server', async () => {
  const { context, page, pageErrors } = await openApp(shared.browser, shared.server.url);
  await expectText(page, '#connection', 'Online');
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

  const { status, body: order } = await api(shared.server.url, `/orders/${orderId}`);
  assert.equal(status, 200);
  assert.equal(order.total, '109.97');
  assert.equal(order.status, 'placed');
  assert.equal(order.customerId, 'alice');
  assert.deepEqual(
    order.items.map((i) => [i.productId, i.quantity, i.price]),
    [['widget', 2, '29.99'], ['gadget', 1, '49.99']],
  );
  const { body: events } = await api(shared.server.url, `/orders/${orderId}/events`);
  assert.deepEqual(events.map((e) => e.type), ['OrderCreated', 'ItemAdded', 'ItemAdded', 'OrderPlaced']);
  assert.ok(events.every((e) => e.metadata.actor === 'clerk-1'), 'the signed-in user is the actor on the server');
  await expectText(page, '#event-rows tr:last-child td:nth-child(4)', 'clerk-1');
  // The page's audit trail holds the server's events once synced: no "unsynced" marks left.
  await expectText(page, '#event-rows tr:last-child td:nth-child(2)', 'OrderPlaced');
  assert.equal(await page.locator('#event-rows .badge.pending').count(), 0);

  assert.deepEqual(pageErrors, []);
  await context.close();
});

test('items are removed one unit or a whole line, and the order is cancelled with a reason', async () => {
  const { context, page, pageErrors } = await openApp(shared.browser, shared.server.url);
  await chooseCustomer(page, 'rita');
  const orderId = await createOrder(page);
  await addItem(page, { product: 'widget', quantity: 3, price: '1.10' });
  await addItem(page, { product: 'gadget', quantity: 1, price: '2.20' });
  await expectText(page, '#order-total', '5.50');

  await clickCommand(page, 'Remove one widget');
  await expectText(page, '#item-rows tr[data-product-id="widget"] td:nth-child(2)', '2');
  await expectText(page, '#order-total', '4.40');
  await clickCommand(page, 'Remove all gadget');
  await expectText(page, '#order-total', '2.20');
  assert.equal(await page.locator('#item-rows tr[data-product-id="gadget"]').count(), 0);

  await page.getByLabel('Cancellation reason').fill('changed my mind');
  await page.getByLabel('Cancellation reason').press('Enter'); // the keyboard submits the form
  await page.locator('body[data-running="0"]').waitFor();
  await expectText(page, '#order-status', 'cancelled');
  assert.match(await page.locator('#order-extra').textContent(), /changed my mind/);
  await expectPending(page, 0);

  const { body } = await api(shared.server.url, `/orders/${orderId}`);
  assert.equal(body.status, 'cancelled');
  assert.equal(body.cancelReason, 'changed my mind');
  assert.deepEqual(body.items.map((i) => [i.productId, i.quantity]), [['widget', 2]]);
  const { body: events } = await api(shared.server.url, `/orders/${orderId}/events`);
  assert.deepEqual(events.map((e) => e.type), ['OrderCreated', 'ItemAdded', 'ItemAdded', 'ItemRemoved', 'ItemRemoved', 'OrderCancelled']);
  assert.deepEqual(pageErrors, []);
  await context.close();
});
