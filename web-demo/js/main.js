// Wires the page: loads the wasm core, restores the offline state from IndexedDB, renders,
// turns form submissions into commands, follows the server's live feed while online and
// pushes the queue whenever there is one.

import init, { OrderEngine } from '../pkg/order_wasm.js';
import { Connectivity } from './connectivity.js';
import { LiveFeed } from './live-feed.js';
import { $, clearAllErrors, clearError, preservingFocus, showError } from './dom.js';
import { OfflineOrders } from './offline-orders.js';
import { OfflineStorage } from './storage.js';
import { Session } from './session.js';
import { Tabs } from './tabs.js';
import { customerOrders, renderKnownCustomers, renderOrderList } from './views/order-list.js';
import { renderOrderDetail } from './views/order-detail.js';
import { renderHistory } from './views/history.js';
import { renderQueues, renderStatus } from './views/sync-panel.js';

/** While commands wait (the server was unreachable or busy), the queue is retried this often. */
const RETRY_QUEUE_MS = 2000;
const PREFS = {
  customer: 'order-web-demo.customer',
  actor: 'order-web-demo.actor',
  /** Whose view of the server the local copy of the log is (see `ownLog`). */
  logOwner: 'order-web-demo.logOwner',
};

const ui = {
  customer: localStorage.getItem(PREFS.customer) ?? '',
  actor: localStorage.getItem(PREFS.actor) ?? '',
  selectedId: null,
  /** Version shown while time-travelling; null = follow the latest. */
  travelVersion: null,
};

let orders;
let connectivity;
let feed;
let session;
let tabs;

async function start() {
  registerServiceWorker();
  await init();
  connectivity = new Connectivity();
  session = new Session();
  tabs = new Tabs();
  orders = new OfflineOrders({ OrderEngine, storage: await OfflineStorage.open() });
  orders.identity = session.subject;
  orders.addEventListener('change', render);
  orders.addEventListener('status', renderSyncStatus);
  feed = new LiveFeed({
    after: () => orders.position,
    onEvents: (events) => orders.receive(events).catch((error) => console.warn('live update failed:', error.message)),
  });
  feed.addEventListener('state', (event) => {
    if (event.detail.error?.status === 401) session.refused();
  });
  session.addEventListener('change', () => {
    renderSession();
    follow();
  });
  connectivity.addEventListener('change', () => {
    render();
    follow();
    syncSoon();
  });
  await orders.load();
  await session.check();
  await ownLog();
  bindControls();
  $('#customer').value = ui.customer;
  $('#actor').value = ui.actor;
  renderSession();
  render();
  orders.addEventListener('stored', () => tabs.post('stored'));
  tabs.addEventListener('message', ({ detail }) => {
    // The leader sends what another tab queued; the others only show it.
    const then = () => tabs.leader && syncSoon();
    if (detail.type === 'stored') orders.catchUp().then(then, (error) => console.warn('catching up failed:', error.message));
    if (detail.type === 'sync') syncSoon();
  });
  tabs.elect(() => {
    follow();
    syncSoon();
  });
  setInterval(() => orders.pending.length && syncSoon(), RETRY_QUEUE_MS);
  document.body.dataset.running = '0';
  document.body.dataset.ready = 'true';
}

/** Syncs when the network may be used; failures show in the status bar, the queue stays. */
function syncSoon() {
  if (!connectivity.online || session.needsSignIn) return;
  if (!tabs.leader) {
    tabs.post('sync'); // the leading tab syncs for every tab
    return;
  }
  orders.sync().catch((error) => {
    if (error.status === 401) session.refused();
    console.warn('sync failed, will retry:', error.message);
  });
}

/** The live feed runs exactly while the network may be used and the server takes us. */
function follow() {
  if (tabs.leader && connectivity.online && !session.needsSignIn) feed.start();
  else feed.stop();
}

/**
 * The local copy of the log holds what its owner's token could see; another identity
 * starts from its own view of the server (the queue is kept either way).
 */
async function ownLog() {
  const owner = JSON.stringify(session.current ? [session.current.sub, session.current.role, session.current.customerId] : null);
  if (localStorage.getItem(PREFS.logOwner) === owner) return;
  if (localStorage.getItem(PREFS.logOwner) !== null) await orders.resetConfirmed();
  localStorage.setItem(PREFS.logOwner, owner);
}

/** The sign-in panel (when the server wants a token we do not have) and who we are. */
function renderSession() {
  const signIn = session.needsSignIn;
  $('#sign-in').hidden = !signIn;
  $('#app').hidden = signIn;
  document.body.dataset.signedIn = String(session.current !== null && !session.expired);
  $('#sign-in-note').textContent = session.expired
    ? `Your sign-in is no longer accepted; sign in again. ${orders.pending.length} change(s) waiting to sync are kept.`
    : 'This server wants to know who you are.';
  const who = $('#signed-in-as');
  who.hidden = session.current === null;
  who.textContent = session.current
    ? `${session.current.sub} · ${session.current.role}${session.customerId ? ` of ${session.customerId}` : ''}`
    : '';
  $('#sign-out').hidden = session.current === null;
  // Signed in, the token names the actor and a customer sees only their own orders.
  $('#actor').disabled = session.current !== null;
  if (session.current) $('#actor').value = session.current.sub;
  $('#customer').readOnly = session.customerId !== null;
  if (session.customerId && ui.customer !== session.customerId) {
    ui.customer = session.customerId;
    $('#customer').value = ui.customer;
  }
}

function renderSyncStatus() {
  renderStatus({ connectivity, lastSync: orders.lastSync, pendingCount: orders.pending.length });
}

function render() {
  preservingFocus(renderAll);
}

function renderAll() {
  const engine = orders.engine;
  const list = ui.customer ? customerOrders(engine, ui.customer) : [];
  const latest = ui.selectedId ? engine.getOrder(ui.selectedId) : null;
  if (!latest) {
    ui.selectedId = null;
    ui.travelVersion = null;
  }
  if (latest && ui.travelVersion !== null && ui.travelVersion >= latest.version) ui.travelVersion = null;
  const shown = latest && ui.travelVersion !== null ? engine.getOrder(ui.selectedId, { version: ui.travelVersion }) : latest;

  renderSyncStatus();
  renderKnownCustomers(knownCustomers());
  renderOrderList({
    orders: list,
    selectedId: ui.selectedId,
    hasPending: (id) => orders.hasPendingFor(id),
    onSelect: selectOrder,
  });
  renderOrderDetail({
    view: shown,
    latestVersion: latest?.version ?? 0,
    rejections: orders.rejected.filter((r) => r.command.orderId === ui.selectedId),
    onRemove: removeItem,
  });
  renderHistory({
    events: latest ? engine.events(ui.selectedId) : [],
    shownVersion: shown?.version ?? 0,
    isConfirmed: (envelope) => orders.isConfirmed(envelope),
  });
  renderQueues({ pending: orders.pending, rejected: orders.rejected, onDismiss: (id) => orders.dismissRejected(id) });
}

/** Customers seen in the log or the queue (read from JS arrays: no copy out of wasm). */
function knownCustomers() {
  const customers = new Set();
  for (const envelope of orders.confirmed) {
    if (envelope.type === 'OrderCreated') customers.add(envelope.data.customerId);
  }
  for (const { command } of orders.pending) {
    if (command.type === 'CreateOrder') customers.add(command.customerId);
  }
  return [...customers].sort();
}

function selectOrder(orderId) {
  ui.selectedId = orderId;
  ui.travelVersion = null;
  clearAllErrors();
  render();
}

/**
 * Decides `command` locally and queues it, then calls `onAccepted(result)`. A rejection
 * shows beside the control named `errorSlot`; nothing is queued then.
 */
async function run(errorSlot, command, onAccepted = () => {}) {
  clearError(errorSlot);
  running += 1;
  document.body.dataset.running = String(running);
  try {
    const result = await orders.submit(command, { actor: session.subject ?? ui.actor });
    clearAllErrors(); // the order changed: earlier refusals may no longer hold
    onAccepted(result);
    syncSoon();
  } catch (error) {
    showError(errorSlot, error);
  } finally {
    running -= 1;
    document.body.dataset.running = String(running);
  }
}

// Commands being decided and stored, as `data-running` on <body>: lets the browser tests
// wait for a command's outcome instead of sleeping.
let running = 0;

async function removeItem(productId, quantity) {
  await run('remove-item', { type: 'RemoveItem', orderId: ui.selectedId, productId, quantity });
}

/** Form text to a JS number for the core; text that is no number at all is an input error. */
function quantityFrom(text) {
  const quantity = Number(text);
  if (text.trim() === '' || !Number.isFinite(quantity)) {
    const error = new Error(`quantity must be a number, not “${text}”`);
    error.code = 'invalid_input';
    throw error;
  }
  return quantity;
}

function bindControls() {
  $('#sign-in-role').addEventListener('change', () => {
    $('#sign-in-customer').required = $('#sign-in-role').value === 'customer';
  });
  $('#sign-in-role').dispatchEvent(new Event('change'));
  $('#sign-in-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    clearError('sign-in');
    try {
      await session.signIn({
        sub: $('#sign-in-user').value.trim(),
        role: $('#sign-in-role').value,
        customerId: $('#sign-in-customer').value.trim(),
      });
    } catch (error) {
      showError('sign-in', error);
      return;
    }
    orders.identity = session.subject;
    await ownLog();
    orders.rebuild();
    render();
    syncSoon();
  });
  $('#sign-out').addEventListener('click', () => {
    session.signOut();
    orders.identity = null;
    session.refused();
  });

  $('#customer-form').addEventListener('submit', (event) => {
    event.preventDefault();
    ui.customer = $('#customer').value.trim();
    localStorage.setItem(PREFS.customer, ui.customer);
    ui.selectedId = null;
    render();
  });
  $('#actor').addEventListener('change', () => {
    ui.actor = $('#actor').value.trim();
    localStorage.setItem(PREFS.actor, ui.actor);
  });

  $('#new-order').addEventListener('click', async () => {
    // The order id is chosen here so that the queued command names the same order on the
    // server as it does locally.
    const orderId = crypto.randomUUID();
    // What the field says now, even if another customer's orders are still shown.
    const customerId = $('#customer').value.trim() || ui.customer;
    await run('new-order', { type: 'CreateOrder', orderId, customerId }, (result) => {
      if (customerId !== ui.customer) {
        ui.customer = customerId;
        localStorage.setItem(PREFS.customer, customerId);
      }
      selectOrder(result.orderId);
      $('#product').focus();
    });
  });

  // The browser's own validation blocks a submit without an event of ours: an earlier
  // refusal beside the form would then be stale.
  for (const [form, slot] of [['#add-item-form', 'add-item'], ['#cancel-form', 'cancel-order'], ['#customer-form', 'new-order'], ['#sign-in-form', 'sign-in']]) {
    $(form).addEventListener('invalid', () => clearError(slot), true);
  }

  $('#add-item-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    let quantity;
    try {
      quantity = quantityFrom($('#quantity').value);
    } catch (error) {
      showError('add-item', error);
      return;
    }
    // The price goes to the core as the typed decimal text: exact, never a JS float.
    const command = {
      type: 'AddItem',
      orderId: ui.selectedId,
      productId: $('#product').value.trim(),
      quantity,
      price: $('#price').value.trim(),
    };
    await run('add-item', command, () => {
      $('#add-item-form').reset();
      $('#product').focus();
    });
  });

  $('#place-order').addEventListener('click', () => run('place-order', { type: 'PlaceOrder', orderId: ui.selectedId }));

  $('#cancel-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const reason = $('#cancel-reason').value.trim();
    const command = { type: 'CancelOrder', orderId: ui.selectedId, ...(reason ? { reason } : {}) };
    await run('cancel-order', command, () => $('#cancel-form').reset());
  });

  $('#time-travel').addEventListener('input', (event) => {
    ui.travelVersion = Number(event.target.value);
    render();
  });
  $('#back-to-latest').addEventListener('click', () => {
    ui.travelVersion = null;
    render();
    $('#time-travel').focus();
  });

  $('#toggle-offline').addEventListener('click', () => connectivity.setManualOffline(!connectivity.manualOffline));
  $('#sync-now').addEventListener('click', syncSoon);
  $('#reset-local').addEventListener('click', async () => {
    const mine = orders.pending.filter((entry) => entry.tab === orders.tab).length;
    if (mine && !window.confirm(`Discard the ${mine} change(s) made in this tab and not yet synced?`)) return;
    await orders.reset();
    syncSoon();
  });
}

/** The app shell is cached by a service worker so that a reload works without a network. */
function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('sw.js').catch((error) => console.warn('no offline shell:', error.message));
}

start().catch((error) => {
  const banner = $('#startup-error');
  banner.textContent = `The app could not start: ${error.message}`;
  banner.hidden = false;
  console.error(error);
});
