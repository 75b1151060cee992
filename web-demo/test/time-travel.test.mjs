// The time-travel slider shows the order as of any earlier event, read only.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addItem, chooseCustomer, clickCommand, createOrder, expectText, openApp, screenshot, shareServerAndBrowser,
} from './harness.mjs';

// One server and one browser for the tests of this file.
const shared = shareServerAndBrowser();

test('the slider, used from the keyboard, shows earlier versions of the order', async () => {
  const { context, page, pageErrors } = await openApp(shared.browser, shared.server.url);
  await chooseCustomer(page, 'tess');
  await createOrder(page);
  await addItem(page, { product: 'widget', quantity: 2, price: '29.99' });
  await addItem(page, { product: 'gadget', quantity: 1, price: '49.99' });
  await clickCommand(page, 'Place order');
  await expectText(page, '#order-version', '4');

  const slider = page.getByLabel('Show the order as of version');
  await slider.focus();
  await page.keyboard.press('Home'); // version 1: just created
  await expectText(page, '#order-version', '1');
  await expectText(page, '#order-total', '0.00');
  await page.keyboard.press('ArrowRight'); // version 2: the widgets only
  await expectText(page, '#order-version', '2');
  await expectText(page, '#order-status', 'draft');
  await expectText(page, '#order-total', '59.98');
  await expectText(page, '#time-travel-text', 'Showing version 2 of 4 (read only).');
  assert.equal(await page.locator('#item-rows tr').count(), 1);
  assert.equal(await page.getByRole('button', { name: 'Add item' }).isDisabled(), true, 'no commands against the past');
  assert.equal(await page.getByRole('button', { name: 'Place order' }).isDisabled(), true);
  assert.equal(await page.locator('#event-rows tr[aria-current="step"]').getAttribute('data-version'), '2');
  await screenshot(page, 'time-travel-version-2');

  await page.getByRole('button', { name: 'Back to latest' }).click();
  await expectText(page, '#order-version', '4');
  await expectText(page, '#order-total', '109.97');
  await expectText(page, '#order-status', 'placed');
  assert.equal(await page.locator('#time-travel-note').isHidden(), true);
  assert.deepEqual(pageErrors, []);
  await context.close();
});
