// Domain rejections show beside the control that caused them, with friendly text and the
// stable code, and queue nothing.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addItem, chooseCustomer, clickCommand, createOrder, errorBeside, expectPending, expectText, openApp, screenshot, shareServerAndBrowser,
} from './harness.mjs';

// One server and one browser for the tests of this file.
const shared = shareServerAndBrowser();

test('rule-breaking input is explained beside its control and nothing is queued', async () => {
  const { context, page, pageErrors } = await openApp(shared.browser, shared.server.url);

  await clickCommand(page, 'New order');
  assert.equal((await errorBeside(page, 'new-order')).code, 'invalid_customer');

  await chooseCustomer(page, 'dora');
  await createOrder(page);
  assert.equal((await errorBeside(page, 'new-order')).code, null, 'a success clears the old error');
  await expectPending(page, 0);

  await clickCommand(page, 'Place order');
  const empty = await errorBeside(page, 'place-order');
  assert.equal(empty.code, 'empty_order');
  assert.match(empty.text, /Add at least one item/);

  await addItem(page, { product: 'widget', quantity: 0, price: '1.00' });
  const quantity = await errorBeside(page, 'add-item');
  assert.equal(quantity.code, 'invalid_quantity');
  assert.match(quantity.text, /whole number above zero/);
  assert.match(quantity.text, /invalid_quantity/, 'the code stays visible');

  await addItem(page, { product: 'widget', quantity: 1, price: '1.005' });
  assert.equal((await errorBeside(page, 'add-item')).code, 'invalid_price');

  await addItem(page, { product: 'widget', quantity: 1, price: '2.50' });
  assert.equal((await errorBeside(page, 'add-item')).code, null);
  assert.equal((await errorBeside(page, 'place-order')).code, null, 'a change clears refusals it made stale');
  await addItem(page, { product: 'widget', quantity: 1, price: '3.00' });
  assert.equal((await errorBeside(page, 'add-item')).code, 'price_mismatch');
  await screenshot(page, 'errors-beside-controls');

  await expectText(page, '#order-total', '2.50');
  await expectPending(page, 0);
  assert.equal(await page.locator('#rejected-list li').count(), 0, 'local rejections are not sync rejections');
  assert.deepEqual(pageErrors, []);
  await context.close();
});

test('exact money: 0.10 + 0.20 is 0.30, not a float sum', async () => {
  const { context, page } = await openApp(shared.browser, shared.server.url);
  await chooseCustomer(page, 'erin');
  await createOrder(page);
  await addItem(page, { product: 'dime', quantity: 1, price: '0.10' });
  await addItem(page, { product: 'two-dimes', quantity: 1, price: '0.20' });
  await expectText(page, '#order-total', '0.30');
  await context.close();
});
