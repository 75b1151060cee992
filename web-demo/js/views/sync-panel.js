// The header's connection and queue badges, and the lists of commands waiting to sync and
// commands the domain rejected (with the reason; the stable code as `data-code`).

import { $, el, formatTime } from '../dom.js';
import { describeCommand, describeError } from '../messages.js';

export function renderStatus({ connectivity, lastSync, pendingCount }) {
  const connection = $('#connection');
  let state;
  let text;
  if (connectivity.manualOffline) [state, text] = ['offline', 'Offline (simulated)'];
  else if (!connectivity.browserOnline) [state, text] = ['offline', 'Offline'];
  else if (lastSync.ok === false && isClientError(lastSync.error)) [state, text] = ['unreachable', 'Sync refused'];
  else if (lastSync.ok === false) [state, text] = ['unreachable', 'Server unreachable'];
  else [state, text] = ['online', 'Online'];
  connection.textContent = text;
  connection.dataset.state = state;
  connection.className = `badge ${state}`;

  const pending = $('#pending-count');
  pending.textContent = `${pendingCount} waiting to sync`;
  pending.dataset.count = String(pendingCount);
  pending.classList.toggle('pending', pendingCount > 0);

  const toggle = $('#toggle-offline');
  toggle.textContent = connectivity.manualOffline ? 'Go online' : 'Go offline';
  toggle.setAttribute('aria-pressed', String(connectivity.manualOffline));
  $('#sync-now').disabled = !connectivity.online;

  $('#last-sync').textContent = lastSync.at
    ? lastSync.ok
      ? `Last synced ${formatTime(lastSync.at)}.${lastSync.restarted ? ' The server\'s log was not the one held here (new database?): reloaded it from the start.' : ''}`
      : `Last sync failed ${formatTime(lastSync.at)}: ${lastSync.error?.message ?? lastSync.error}`
    : 'Not synced since the page loaded.';
}

export function renderQueues({ pending, rejected, onDismiss }) {
  $('#pending-list').replaceChildren(
    ...pending.map((entry) => el('li', { dataset: { commandId: entry.commandId } }, describeCommand(entry.command))),
  );
  $('#pending-empty').hidden = pending.length > 0;
  $('#rejected-list').replaceChildren(
    ...rejected.map((entry) => {
      const { text, code } = describeError(entry.error);
      return el(
        'li',
        { class: 'rejected', dataset: { commandId: entry.commandId, code } },
        el('div', {}, el('strong', {}, describeCommand(entry.command))),
        el('div', { class: 'error' }, text),
        el('div', { class: 'muted small' }, `${entry.source === 'server' ? 'Rejected by the server' : 'No longer possible after syncing'}: ${entry.error.message}`),
        el('button', { type: 'button', class: 'quiet', dataset: { focusKey: `dismiss:${entry.commandId}` }, onclick: () => onDismiss(entry.commandId) }, 'Dismiss'),
      );
    }),
  );
  $('#rejected-empty').hidden = rejected.length > 0;
}

/** A 4xx on the whole batch: retrying will not help until the app or the server changes. */
function isClientError(error) {
  return error?.status >= 400 && error?.status < 500;
}
