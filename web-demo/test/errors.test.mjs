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
  assert.match(quantity.text, /must be positive, got 0/);
  assert.doesNotMatch(quantity.text, /invalid_quantity/, 'the code is an attribute, not read or spoken');
  assert.equal(await page.locator('#quantity').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.locator('#quantity').getAttribute('aria-describedby'), 'error-add-item');

  // Above the limit, the text says so (not "at most two decimals" or "above zero").
  await addItem(page, { product: 'widget', quantity: 1, price: '99999999.00' });
  const tooExpensive = await errorBeside(page, 'add-item');
  assert.equal(tooExpensive.code, 'invalid_price');
  assert.match(tooExpensive.text, /above the limit/);
  assert.equal(await page.locator('#quantity').getAttribute('aria-invalid'), null, 'the old field is no longer marked');
  assert.equal(await page.locator('#price').getAttribute('aria-invalid'), 'true');

  // A submit the browser's own validation blocks (the product is required) clears the
  // refusal left beside the form, which no longer describes what is typed.
  await page.getByLabel('Product', { exact: true }).fill('');
  await page.getByRole('button', { name: 'Add item', exact: true }).click();
  assert.equal((await errorBeside(page, 'add-item')).code, null);

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
  await clickCommand(page, 'Place order');
  await expectText(page, '#order-status', 'placed');
  assert.equal(await page.locator('#commands').isHidden(), true, 'a placed order offers no commands');
  assert.equal(await page.locator('#rejected-list li').count(), 0, 'local rejections are not sync rejections');
  assert.deepEqual(pageErrors, []);
  await context.close();
});

test('"New order" uses the customer typed in the field, and the order shows its customer', async () => {
  const { context, page } = await openApp(shared.browser, shared.server.url);
  await chooseCustomer(page, 'alice');
  await createOrder(page);
  await page.getByLabel('Customer id', { exact: true }).fill('bob'); // typed, not yet shown
  await createOrder(page);
  await expectText(page, '#order-customer', 'bob');
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
