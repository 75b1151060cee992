// The server's HTTP API, as far as the offline client needs it: the sync batch endpoint
// and the event feed, with the signed-in user's bearer token. Same origin only.

/** The server could not be reached or refused the request: the queue is kept for a retry. */
export class SyncFailed extends Error {
  constructor(message, { status, code } = {}) {
    super(message);
    this.name = 'SyncFailed';
    this.status = status;
    this.code = code ?? 'server_unavailable';
  }
}

const EVENTS_PAGE = 1000; // the server's largest page

/** Pauses before trying the server again while it keeps failing: first and longest. */
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30000;

/** The pause after another failure, given the last one (0: none yet): doubled, bounded. */
export function nextRetryDelay(previousMs) {
  return Math.min(RETRY_MAX_MS, Math.max(RETRY_FIRST_MS, previousMs * 2));
}

let bearer = null;

/** The token sent with every request from now on (null: none, the server runs open). */
export function useToken(token) {
  bearer = token;
}

export function authHeaders() {
  return bearer ? { authorization: `Bearer ${bearer}` } : {};
}

async function call(path, init = {}) {
  const { body } = await send(path, init);
  return body;
}

async function send(path, init = {}) {
  let response;
  try {
    response = await fetch(path, { ...init, headers: { ...init.headers, ...authHeaders() }, cache: 'no-store' });
  } catch (e) {
    throw new SyncFailed(`cannot reach the server (${e.message})`);
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const error = body?.error ?? {};
    throw new SyncFailed(
      `${init?.method ?? 'GET'} ${path} answered ${response.status}: ${error.message ?? response.statusText}`,
      { status: response.status, code: error.code },
    );
  }
  return { response, body };
}

/**
 * POST /commands: one outcome per command, in order:
 * `{commandId, accepted: true, orderId, version, positions}` or
 * `{commandId, accepted: false, error: {code, message}, retryable}`.
 * @param {object[]} commands tagged commands with their commandId (and `actor`, in the
 *   body: a header could not carry a name outside ASCII)
 */
export async function postCommands(commands) {
  const headers = { 'content-type': 'application/json' };
  return call('/commands', { method: 'POST', headers, body: JSON.stringify(commands) });
}

/**
 * Every event after `position` that the token may see, following pages until the feed is
 * exhausted. A customer's feed is filtered: the server then says how far it looked
 * (`X-Scanned-Through`), which is where the next page starts. Returns the events and the
 * last position looked at (for a customer, beyond their last event).
 */
export async function eventsAfter(position) {
  const events = [];
  let after = position;
  for (;;) {
    const { response, body: page } = await send(`/events?after=${after}&limit=${EVENTS_PAGE}`);
    events.push(...page);
    const scanned = response.headers.get('x-scanned-through');
    const next = scanned !== null ? Number(scanned) : page.at(-1)?.position ?? after;
    if ((scanned === null && page.length < EVENTS_PAGE) || next <= after) {
      return { events, scannedThrough: Math.max(after, next) };
    }
    after = next;
  }
}

/** Whether the server's log still holds `envelope` at its position: one event read. */
export async function holdsEvent(envelope) {
  const { body: page } = await send(`/events?after=${envelope.position - 1}&limit=1`);
  return page[0]?.eventId === envelope.eventId;
}

/** `POST /dev/token` (servers started with --dev-auth): a token for a chosen user. */
export async function devToken({ sub, roles, customerId }) {
  const headers = { 'content-type': 'application/json' };
  const body = JSON.stringify({ sub, roles, ...(customerId ? { customerId } : {}) });
  return (await call('/dev/token', { method: 'POST', headers, body })).token;
}
