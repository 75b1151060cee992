// The customer's orders: status and exact total (the core's decimal string, shown as is).

import { $, el } from '../dom.js';
import { shortId } from '../messages.js';

const PAGE = 100;

/** Every order of `customerId` in the local engine, following the core's page cursors. */
export function customerOrders(engine, customerId) {
  const orders = [];
  let after;
  for (;;) {
    const page = engine.listOrders(customerId, { after, limit: PAGE });
    orders.push(...page.orders);
    if (!page.nextCursor) return orders;
    after = page.nextCursor;
  }
}

export function renderOrderList({ orders, selectedId, hasPending, onSelect }) {
  const list = $('#order-list');
  list.replaceChildren(
    ...orders.map((order) => {
      const lines = order.items.length;
      return el(
        'li',
        {},
        el(
          'button',
          {
            type: 'button',
            class: 'order-row',
            'aria-current': order.id === selectedId ? 'true' : undefined,
            dataset: { orderId: order.id, focusKey: `order:${order.id}` },
            onclick: () => onSelect(order.id),
          },
          el('span', { class: 'mono' }, shortId(order.id)),
          el('span', { class: `status ${order.status}` }, order.status),
          el('span', { class: 'money' }, order.total),
          el('span', { class: 'muted small lines' }, `${lines} line${lines === 1 ? '' : 's'}`),
          hasPending(order.id) ? el('span', { class: 'badge pending', title: 'Changes waiting to sync' }, 'unsynced') : null,
        ),
      );
    }),
  );
  $('#order-list-empty').hidden = orders.length > 0;
}

export function renderKnownCustomers(customers) {
  $('#known-customers').replaceChildren(...customers.map((c) => el('option', { value: c })));
}
