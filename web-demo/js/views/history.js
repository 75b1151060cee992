// The order's audit trail (every event: type, time, actor, payload; unsynced ones marked)
// and the time-travel slider over its versions.

import { $, el, formatTime } from '../dom.js';

/**
 * @param {object} args
 * @param {object[]} args.events the order's envelopes, oldest first
 * @param {number} args.shownVersion the version the order panel shows
 * @param {(envelope: object) => boolean} args.isConfirmed
 */
export function renderHistory({ events, shownVersion, isConfirmed }) {
  $('#no-history').hidden = events.length > 0;
  $('#history').hidden = events.length === 0;
  if (events.length === 0) return;

  const slider = $('#time-travel');
  slider.max = String(events.length);
  slider.value = String(shownVersion);
  slider.setAttribute('aria-valuetext', `version ${shownVersion} of ${events.length}`);
  $('#time-travel-value').textContent = `${shownVersion} of ${events.length}`;

  $('#event-rows').replaceChildren(
    ...events.map((envelope) =>
      el(
        'tr',
        {
          class: envelope.version > shownVersion ? 'future' : undefined,
          'aria-current': envelope.version === shownVersion ? 'step' : undefined,
          dataset: { version: envelope.version },
        },
        el('td', { class: 'num' }, String(envelope.version)),
        el(
          'td',
          {},
          envelope.type,
          isConfirmed(envelope) ? null : el('span', { class: 'badge pending', title: 'Decided locally, waiting to sync' }, 'unsynced'),
        ),
        el('td', { class: 'nowrap' }, formatTime(envelope.metadata?.recordedAt)),
        el('td', {}, envelope.metadata?.actor ?? '—'),
        el('td', { class: 'payload' }, payloadText(envelope.data)),
      ),
    ),
  );
}

/** The event's own fields (the order id is the row's context already). */
function payloadText(data) {
  const { orderId: _orderId, ...fields } = data ?? {};
  const parts = Object.entries(fields).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return parts.length ? parts.join(', ') : '—';
}
