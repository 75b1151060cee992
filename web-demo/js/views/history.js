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
        el('td', { class: 'time' }, ...eventTimes(envelope.metadata)),
        el('td', { class: 'nowrap' }, envelope.metadata?.actor ?? '—'),
        el('td', { class: 'payload' }, ...payloadLines(envelope.data)),
      ),
    ),
  );
}

/**
 * When the event was recorded and, for work queued offline and synced later, when the
 * clerk acted (`issuedAt`), if that was at least a second earlier.
 */
function eventTimes(metadata) {
  const recorded = formatTime(metadata?.recordedAt);
  const issued = metadata?.issuedAt;
  const apart = Date.parse(metadata?.recordedAt) - Date.parse(issued);
  if (!issued || !(Math.abs(apart) >= 1000)) return [recorded];
  return [
    el('div', {}, recorded),
    el(
      'div',
      { class: 'muted issued-at', title: 'When the clerk acted; the time above is when the server recorded it' },
      `acted ${formatTime(issued)}`,
    ),
  ];
}

/** The event's own fields, one per line (the order id is the row's context already). */
function payloadLines(data) {
  const { orderId: _orderId, ...fields } = data ?? {};
  const lines = Object.entries(fields).map(([key, value]) =>
    el('div', {}, el('span', { class: 'muted' }, `${key}: `), typeof value === 'string' ? value : JSON.stringify(value)),
  );
  return lines.length ? lines : ['—'];
}
