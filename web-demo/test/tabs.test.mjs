// Two tabs of the demo on one browser profile: one tab (the Web Lock's holder) syncs for
// both, the other follows through BroadcastChannel; their queued commands never collide,
// and a change queued in a tab that is then closed still reaches the server.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addItem, api, chooseCustomer, createOrder, expectPending, expectText, openApp, shareServerAndBrowser, waitReady,
} from './harness.mjs';

const shared = shareServerAndBrowser();

async function selectOrder(page, orderId) {
  const row = page.locator(`#order-list [data-order-id="${orderId}"]`);
  await row.waitFor();
  await row.click();
  await expectText(page, '#order-id', orderId);
}

test('two tabs share one queue, synced by one of them, and a closed tab loses nothing', async () => {
  const { context, page: first, pageErrors } = await openApp(shared.browser, shared.server.url);
  const second = await context.newPage(); // same profile: signed in already, same IndexedDB
  const secondErrors = [];
  second.on('pageerror', (error) => secondErrors.push(error));
  await second.goto(shared.server.url);
  await waitReady(second);

  await chooseCustomer(first, 'tina');
  const orderId = await createOrder(first);
  await expectPending(first, 0);
  // The second tab follows: the order reaches it without a sync of its own.
  await chooseCustomer(second, 'tina');
  await selectOrder(second, orderId);

  // Offline, each tab queues a change; each sees both waiting.
  await context.setOffline(true);
  await expectText(first, '#connection', 'Offline');
  await addItem(first, { product: 'widget', quantity: 1, price: '1.00' });
  await addItem(second, { product: 'gadget', quantity: 2, price: '2.00' });
  await expectPending(first, 2);
  await expectPending(second, 2);
  await expectText(second, '#order-total', '5.00');

  // The syncing tab closes; the other takes over and sends both changes.
  await first.close();
  await context.setOffline(false);
  await expectPending(second, 0);
  await expectText(second, '#order-total', '5.00');
  const { body } = await api(shared.server.url, `/orders/${orderId}`);
  assert.deepEqual(body.items.map((i) => [i.productId, i.quantity]), [['widget', 1], ['gadget', 2]]);
  assert.deepEqual([...pageErrors, ...secondErrors], []);
  await context.close();
});

test("a reset in one tab keeps the changes another tab queued", async () => {
  const { context, page: first } = await openApp(shared.browser, shared.server.url);
  const second = await context.newPage();
  await second.goto(shared.server.url);
  await waitReady(second);
  await chooseCustomer(first, 'uma');
  const orderId = await createOrder(first);
  await expectPending(first, 0);

  await context.setOffline(true);
  await chooseCustomer(second, 'uma');
  await selectOrder(second, orderId);
  await addItem(second, { product: 'gizmo', quantity: 3, price: '0.10' });
  await expectPending(first, 1);

  first.once('dialog', (dialog) => dialog.accept());
  await first.getByRole('button', { name: 'Reset local data' }).click();
  await first.locator('#order-list-empty').waitFor(); // the copy of the log is gone...
  await expectPending(first, 1); // ...but the second tab's change is not this tab's to discard
  assert.equal(await first.locator('#rejected-list li').count(), 0, 'nor refused on the emptied log');
  await context.setOffline(false);
  await expectPending(second, 0);
  const { body } = await api(shared.server.url, `/orders/${orderId}`);
  assert.deepEqual(body.items.map((i) => i.productId), ['gizmo']);
  await context.close();
});
