// Signing in under --dev-auth (as `make run` serves the demo): a customer's page holds and
// shows only their own orders, the token's subject is the actor on every event, and another
// user signing in on the same browser starts from their own view of the server.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addItem, api, createOrder, chooseCustomer, expectPending, expectText, openApp, shareServerAndBrowser, signIn, CLERK,
} from './harness.mjs';

const shared = shareServerAndBrowser();

test('a customer sees only their own orders and acts under their own name', async () => {
  const created = await api(shared.server.url, '/orders', { method: 'POST', body: { customerId: 'bob' } });
  assert.equal(created.status, 201);
  const alice = { user: 'alice', role: 'customer', customer: 'alice' };
  const { context, page, pageErrors } = await openApp(shared.browser, shared.server.url, { as: alice });
  await expectText(page, '#signed-in-as', 'alice · customer of alice');
  assert.equal(await page.locator('#customer').inputValue(), 'alice');
  assert.equal(await page.locator('#customer').getAttribute('readonly'), '', 'a customer cannot look at others');
  assert.equal(await page.locator('#actor').isDisabled(), true, 'the token names the actor');

  const orderId = await createOrder(page);
  await addItem(page, { product: 'widget', quantity: 2, price: '3.50' });
  await expectPending(page, 0);
  await expectText(page, '#event-rows tr:last-child td:nth-child(4)', 'alice');
  const { body: events } = await api(shared.server.url, `/orders/${orderId}/events`);
  assert.deepEqual(events.map((e) => e.metadata.actor), ['alice', 'alice']);

  // The page's copy of the log holds alice's events only: bob is nowhere in it.
  const known = await page.locator('#known-customers option').evaluateAll((options) => options.map((o) => o.value));
  assert.deepEqual(known, ['alice']);

  // Another user on the same browser: the copy is dropped and pulled under their token.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn(page, CLERK);
  await expectText(page, '#signed-in-as', 'clerk-1 · clerk');
  await chooseCustomer(page, 'bob');
  await page.locator(`#order-list [data-order-id="${created.body.orderId}"]`).waitFor();
  assert.deepEqual(pageErrors, []);
  await context.close();
});

test('a wrong sign-in is explained and nothing is sent', async () => {
  const { context, page } = await openApp(shared.browser, shared.server.url, { as: null });
  await page.locator('#sign-in').waitFor();
  await page.getByLabel('User', { exact: true }).fill('carol');
  await page.getByLabel('Role', { exact: true }).selectOption('customer');
  // A customer without a customer id: the browser's own validation stops the form.
  await page.getByRole('button', { name: 'Sign in' }).click();
  assert.equal(await page.locator('body').getAttribute('data-signed-in'), 'false');
  assert.equal(await page.locator('#app').isHidden(), true, 'nothing is shown before signing in');
  await context.close();
});
