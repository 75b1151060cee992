// Who the page acts as. A server started with --dev-auth wants a bearer token on every API
// request and hands one out at POST /dev/token: the user signs in by picking a name, a role
// and, for a customer, their customer id. The token is kept in localStorage and sent with
// every request; the server takes the actor on each event from it. Against an open server
// (no authentication) there is no session and the "Acting as" field names the actor.

import { authHeaders, devToken, useToken } from './api.js';

const KEY = 'order-web-demo.session';

export class Session extends EventTarget {
  constructor() {
    super();
    /** `{sub, role, customerId, token}` or null. */
    this.current = JSON.parse(localStorage.getItem(KEY) ?? 'null');
    useToken(this.current?.token ?? null);
    /** The server refuses requests without a (valid) token. */
    this.required = false;
    /** The token was refused: sign in again (the queue is kept). */
    this.expired = false;
  }

  get subject() {
    return this.current?.sub ?? null;
  }

  /** The customer a customer's token is limited to (null for clerks, admins, open servers). */
  get customerId() {
    return this.current?.role === 'customer' ? this.current.customerId : null;
  }

  /** Whether the page must ask the user to sign in before it talks to the server. */
  get needsSignIn() {
    return this.required && (!this.current || this.expired);
  }

  /**
   * Asks the server whether it wants a token, and whether ours is still good. Offline, the
   * last answer stands (a stored session is used as is).
   */
  async check() {
    let response;
    try {
      response = await fetch('/events?limit=1', { headers: authHeaders(), cache: 'no-store' });
    } catch {
      this.required = this.current !== null;
      return;
    }
    if (response.status === 401) {
      this.required = true;
      this.expired = this.current !== null;
    } else {
      this.required = this.current !== null;
      this.expired = false;
    }
    this.changed();
  }

  async signIn({ sub, role, customerId }) {
    const customer = role === 'customer' ? customerId : undefined;
    const token = await devToken({ sub, roles: [role], customerId: customer });
    this.current = { sub, role, customerId: customer ?? null, token };
    localStorage.setItem(KEY, JSON.stringify(this.current));
    useToken(token);
    this.required = true;
    this.expired = false;
    this.changed();
  }

  signOut() {
    this.current = null;
    localStorage.removeItem(KEY);
    useToken(null);
    this.changed();
  }

  /** The server refused our token (it expired, or the server restarted with a new secret). */
  refused() {
    this.required = true;
    this.expired = this.current !== null;
    this.changed();
  }

  changed() {
    this.dispatchEvent(new Event('change'));
  }
}
