// The server's HTTP API, as far as the offline client needs it: the sync batch endpoint
// and the global event feed. Same origin only; no other network use.

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

async function call(path, init) {
  let response;
  try {
    response = await fetch(path, { ...init, cache: 'no-store' });
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
  return body;
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

/** Every event after `position`, following pages until the feed is exhausted. */
export async function eventsAfter(position) {
  const events = [];
  let after = position;
  for (;;) {
    const page = await call(`/events?after=${after}&limit=${EVENTS_PAGE}`);
    events.push(...page);
    if (page.length < EVENTS_PAGE) return events;
    after = page[page.length - 1].position;
  }
}
