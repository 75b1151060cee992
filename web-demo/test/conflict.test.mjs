// Another client changes the server meanwhile: its changes appear without a reload, and a
// command queued offline that the server now refuses is shown as rejected with its reason
// while the page rebases on the server's events.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addItem, api, chooseCustomer, createOrder, expectPending, expectText, openApp, screenshot, shareServerAndBrowser,
} from './harness.mjs';

// One server and one browser for the tests of this file.
const shared = shareServerAndBrowser();

test('an order created by another client appears without a reload, and the focus stays put', async () => {
  const { context, page } = await openApp(shared.browser, shared.server.url);
  await chooseCustomer(page, 'carl');
  const mine = await createOrder(page);
  await expectPending(page, 0);
  // A keyboard user sits on their order's row while the page polls.
  await page.locator(`#order-list [data-order-id="${mine}"]`).focus();

  const created = await api(shared.server.url, '/orders', { method: 'POST', body: { customerId: 'carl' } });
  assert.equal(created.status, 201);
  const row = page.locator(`#order-list [data-order-id="${created.body.orderId}"]`);
  await row.waitFor({ timeout: 15_000 });
  assert.match(await row.textContent(), /draft/);
  assert.equal(
    await page.evaluate(() => document.activeElement?.dataset.orderId),
    mine,
    're-rendering the list kept the focus on the same row',
  );
  await context.close();
});

test('an item added offline to an order cancelled elsewhere is rejected and the page rebases', async () => {
  const { context, page, pageErrors } = await openApp(shared.browser, shared.server.url);
  await chooseCustomer(page, 'carol');
  const orderId = await createOrder(page);
  await addItem(page, { product: 'widget', quantity: 1, price: '10.00' });
  await expectPending(page, 0);

  await context.setOffline(true);
  await expectText(page, '#connection', 'Offline');
  await addItem(page, { product: 'gadget', quantity: 2, price: '5.00' });
  await expectText(page, '#order-total', '20.00');
  await expectPending(page, 1);

  // The second client: the back office cancels the order over HTTP.
  const cancelled = await api(shared.server.url, `/orders/${orderId}/cancel`, {
    method: 'POST',
    body: { reason: 'out of stock' },
    as: 'back-office',
  });
  assert.equal(cancelled.status, 200);

  await context.setOffline(false);
  await expectPending(page, 0);
  const rejected = page.locator('#rejected-list li');
  await rejected.first().waitFor({ timeout: 15_000 });
  assert.equal(await rejected.count(), 1);
  assert.equal(await rejected.first().getAttribute('data-code'), 'order_not_draft');
  const text = await rejected.first().textContent();
  assert.match(text, /Add 2 × gadget at 5\.00/);
  assert.match(text, /Only a draft order can be changed/);
  // The live feed may bring the cancellation before the queue is posted (the page then
  // refuses the change itself when it rebases) or after (the server refuses it).
  assert.match(text, /Rejected by the server|No longer possible after syncing/);

  // Rebased on the server: cancelled, with the back office's reason, without the gadget.
  await expectText(page, '#order-status', 'cancelled');
  await expectText(page, '#order-total', '10.00');
  assert.equal(await page.locator('#item-rows tr').count(), 1);
  assert.match(await page.locator('#order-extra').textContent(), /out of stock/);
  await expectText(page, '#event-rows tr:last-child td:nth-child(4)', 'back-office');
  const beside = await page.locator('#order-rejections').textContent();
  assert.match(beside, /Not applied: Add 2 × gadget/, 'the order panel says which change was refused');
  assert.equal(await page.locator('#order-rejections p').first().getAttribute('data-code'), 'order_not_draft');
  assert.doesNotMatch(beside, /order_not_draft/, 'no raw code in the text people read');
  await screenshot(page, 'conflict-rejected');

  const server_view = (await api(shared.server.url, `/orders/${orderId}`)).body;
  assert.equal(server_view.status, 'cancelled');
  assert.deepEqual(server_view.items.map((i) => i.productId), ['widget']);

  await rejected.first().getByRole('button', { name: 'Dismiss' }).click();
  await expectText(page, '#rejected-empty', 'Nothing rejected.');
  assert.deepEqual(pageErrors, []);
  await context.close();
});
