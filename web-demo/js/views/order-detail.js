// The selected order (at its latest version, or as of an earlier one while time-travelling)
// with its lines and the forms that change it.

import { $, el, formatTime } from '../dom.js';
import { describeCommand, describeError } from '../messages.js';

/**
 * @param {object} args
 * @param {object | null} args.view the OrderView to show (null: no order selected)
 * @param {number} args.latestVersion the order's current version
 * @param {(productId: string, quantity?: number) => void} args.onRemove
 */
export function renderOrderDetail({ view, latestVersion, rejections = [], onRemove }) {
  $('#no-order').hidden = Boolean(view);
  $('#order-detail').hidden = !view;
  if (!view) return;
  const travelling = view.version < latestVersion;

  $('#time-travel-note').hidden = !travelling;
  $('#time-travel-text').textContent = `Showing version ${view.version} of ${latestVersion} (read only).`;
  $('#commands').disabled = travelling;
  // Only a draft changes: a placed or cancelled order offers no commands at all.
  $('#commands').hidden = view.status !== 'draft';

  renderRejections(rejections);
  $('#order-id').textContent = view.id;
  $('#order-customer').textContent = view.customerId;
  const status = $('#order-status');
  status.textContent = view.status;
  status.className = `status ${view.status}`;
  $('#order-version').textContent = String(view.version);
  $('#order-created').textContent = `${formatTime(view.createdAt)}${view.createdBy ? ` by ${view.createdBy}` : ''}`;
  $('#order-total').textContent = view.total;

  const extra = [];
  if (view.placedAt) extra.push(`Placed ${formatTime(view.placedAt)}.`);
  if (view.cancelledAt) {
    extra.push(`Cancelled ${formatTime(view.cancelledAt)}${view.cancelReason ? `: “${view.cancelReason}”` : ''}.`);
  }
  $('#order-extra').textContent = extra.join(' ');

  const editable = view.status === 'draft' && !travelling;
  const rows = view.items.map((item) =>
    el(
      'tr',
      { dataset: { productId: item.productId } },
      el('td', {}, item.productId),
      el('td', { class: 'num' }, String(item.quantity)),
      el('td', { class: 'num money' }, item.price),
      el(
        'td',
        { class: 'actions' },
        editable
          ? [
              el('button', {
                type: 'button',
                class: 'quiet',
                'aria-label': `Remove one ${item.productId}`,
                dataset: { focusKey: `remove-one:${item.productId}` },
                onclick: () => onRemove(item.productId, 1),
              }, '−1'),
              el('button', {
                type: 'button',
                class: 'quiet',
                'aria-label': `Remove all ${item.productId}`,
                dataset: { focusKey: `remove-all:${item.productId}` },
                onclick: () => onRemove(item.productId),
              }, 'Remove'),
            ]
          : null,
      ),
    ),
  );
  if (rows.length === 0) rows.push(el('tr', {}, el('td', { colspan: 4, class: 'muted' }, 'No items.')));
  $('#item-rows').replaceChildren(...rows);
}

/** Changes to this order that the sync refused: said here too, not only in the sync panel. */
function renderRejections(rejections) {
  const box = $('#order-rejections');
  box.hidden = rejections.length === 0;
  box.replaceChildren(
    ...rejections.map((entry) => {
      const { text, code } = describeError(entry.error);
      return el('p', { dataset: { code } }, el('strong', {}, `Not applied: ${describeCommand(entry.command)}. `), text);
    }),
  );
}
