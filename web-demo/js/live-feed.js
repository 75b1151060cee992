// The server's live feed (GET /events/stream, Server-Sent Events) read with fetch, so the
// request can carry the bearer token (EventSource cannot send headers). Events arrive in
// the batches the network delivers them in; after a break the feed reconnects from the
// position the caller says it holds, with a growing pause while the server is unreachable.

import { authHeaders, nextRetryDelay } from './api.js';

export class LiveFeed extends EventTarget {
  /**
   * @param {{after: () => number, onEvents: (envelopes: object[]) => void}} options
   *   `after`: the last position held (asked again at each reconnect).
   */
  constructor({ after, onEvents }) {
    super();
    this.after = after;
    this.onEvents = onEvents;
    this.running = false;
    this.controller = null;
    this.connected = false;
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.loop();
  }

  stop() {
    this.running = false;
    this.controller?.abort();
  }

  async loop() {
    let delay = 0;
    while (this.running) {
      try {
        await this.follow();
        delay = 0; // the server closed a healthy stream (a restart, a slow read): resume now
      } catch (error) {
        if (!this.running) break;
        delay = nextRetryDelay(delay);
        this.setConnected(false, error);
      }
      if (this.running && delay) await new Promise((resolve) => setTimeout(resolve, delay));
    }
    this.setConnected(false);
  }

  /** One connection: reads until the server or `stop` ends it. */
  async follow() {
    this.controller = new AbortController();
    const response = await fetch(`/events/stream?after=${this.after()}`, {
      headers: { accept: 'text/event-stream', ...authHeaders() },
      cache: 'no-store',
      signal: this.controller.signal,
    });
    if (!response.ok) {
      const error = new Error(`the live feed answered ${response.status}`);
      error.status = response.status;
      throw error;
    }
    this.setConnected(true);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new EventStreamParser();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      const envelopes = parser.push(value).map((event) => JSON.parse(event.data));
      if (envelopes.length) this.onEvents(envelopes);
    }
  }

  setConnected(connected, error = null) {
    if (this.connected === connected && !error) return;
    this.connected = connected;
    this.dispatchEvent(new CustomEvent('state', { detail: { connected, error } }));
  }
}

/** The text/event-stream format: `field: value` lines, a blank line ends an event. */
export class EventStreamParser {
  constructor() {
    this.buffer = '';
    this.data = [];
    this.id = null;
  }

  /** Feeds a chunk of text; returns the events it completed, as `{id, data}`. */
  push(text) {
    this.buffer += text;
    const events = [];
    let end;
    while ((end = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, end).replace(/\r$/, '');
      this.buffer = this.buffer.slice(end + 1);
      if (line === '') {
        if (this.data.length) events.push({ id: this.id, data: this.data.join('\n') });
        this.data = [];
        this.id = null;
      } else if (!line.startsWith(':')) {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'data') this.data.push(value);
        else if (field === 'id') this.id = value;
      }
    }
    return events;
  }
}
