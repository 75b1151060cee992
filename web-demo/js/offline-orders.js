// The offline-first model of DESIGN.md ("Offline first, then sync"):
//   local state = a copy of the engine holding the server's confirmed events
//                 + the commands still waiting to sync, re-decided locally.
// Every command is decided by the wasm core first (so it works offline) and queued with its
// commandId. A sync posts the queue to the server, which re-decides each command against the
// authoritative state; accepted ones leave the queue (their events come back through the
// feed), rejected ones are kept, visibly, with their domain reason. New events (pulled, or
// pushed by the live feed) are applied to the confirmed engine only: nothing is replayed
// from the start. Then the client rebases: commands are re-decided, never events merged.

import { eventsAfter, holdsEvent, nextRetryDelay, postCommands, SyncFailed } from './api.js';

/** Commands per POST /commands request (the server takes up to 1000). */
const MAX_BATCH = 500;

export class OfflineOrders extends EventTarget {
  /**
   * @param {{OrderEngine: any, storage: import('./storage.js').OfflineStorage}} deps
   */
  constructor({ OrderEngine, storage }) {
    super();
    this.OrderEngine = OrderEngine;
    this.storage = storage;
    /** Server envelopes the token may see, in position order (a customer's have gaps). */
    this.confirmed = [];
    /** The last global position the server has shown this copy (see storage.js). */
    this.scannedThrough = 0;
    this.pending = [];
    this.rejected = [];
    /** The server's events only; `engine` is a copy of it with the queue decided on top. */
    this.confirmedEngine = new OrderEngine();
    this.engine = new OrderEngine();
    /** Applying results is one step at a time: a sync and the live feed both do it. */
    this.applying = Promise.resolve();
    this.syncing = null;
    this.lastSync = { ok: null, at: null, error: null };
    /** After a `retryable` outcome the queue is posted again only from this time on. */
    this.retryNotBefore = 0;
    this.retryDelayMs = 0;
    /** Who is signed in (null: an open server): only their queued commands are sent. */
    this.identity = null;
    /** This page: a reset here discards only the commands queued here. */
    this.tab = crypto.randomUUID();
    this.seqCount = 0;
    /**
     * The copy of the log was dropped (a reset, here or in another tab) and not pulled
     * again yet: deciding the queue on it would refuse every command on an existing order.
     */
    this.logDropped = false;
  }

  async load() {
    const { confirmed, pending, rejected, scannedThrough } = await this.storage.loadAll();
    this.confirmed = [];
    this.pending = pending;
    this.rejected = rejected;
    try {
      this.confirmedEngine.applyEvents(confirmed);
      this.confirmed = confirmed;
      this.scannedThrough = scannedThrough;
    } catch (error) {
      // A copy this engine cannot continue (saved by an older page): pull it again.
      console.warn('the saved log is dropped and pulled again:', error.message);
      await this.storage.applySync({ resetConfirmed: true });
    }
    const droppedLocally = this.rebuild();
    await this.storage.applySync({
      settled: droppedLocally.map((r) => r.commandId),
      rejected: droppedLocally,
    });
    this.changed();
  }

  get lastConfirmedPosition() {
    return this.confirmed.at(-1)?.position ?? 0;
  }

  /**
   * Where the next pull and the live feed start: past everything the server has shown,
   * so that a customer's page never scans again the others' events it has looked past.
   */
  get position() {
    return Math.max(this.lastConfirmedPosition, this.scannedThrough);
  }

  /** Positions above this are local, not yet confirmed by the server. */
  isConfirmed(envelope) {
    return envelope.position <= this.lastConfirmedPosition;
  }

  hasPendingFor(orderId) {
    return this.pending.some((entry) => entry.command.orderId === orderId);
  }

  /**
   * Decides `command` (`{type, orderId, ...}`) locally and queues it for the server.
   * Throws the core's Error (with `.code`) when the domain rejects it; nothing is queued then.
   */
  async submit(command, { actor } = {}) {
    const entry = {
      commandId: crypto.randomUUID(),
      seq: this.nextSeq(),
      command,
      actor: actor || undefined,
      identity: this.identity,
      tab: this.tab,
      queuedAt: new Date().toISOString(),
    };
    // The confirmed engine holds the server's events only: decide on a copy of it.
    if (this.engine === this.confirmedEngine) this.engine = this.confirmedEngine.clone();
    const result = this.engine.execute(executable(entry));
    this.pending.push(entry);
    try {
      await this.storage.addPending(entry);
    } finally {
      this.changed();
    }
    this.stored();
    return result;
  }

  /**
   * Pushes the queue (when there is one) and pulls what other clients wrote. One sync at a
   * time; callers share the running one. Throws `SyncFailed` when the server cannot
   * be reached (the queue is kept).
   */
  sync() {
    this.syncing ??= this.runSync().finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  async runSync() {
    let changed;
    try {
      const due = Date.now() >= this.retryNotBefore;
      // Commands queued by someone else on this browser wait until they sign in again.
      const mine = this.pending.filter((entry) => (entry.identity ?? null) === this.identity);
      const outcomes = due ? await this.push(mine) : new Map();
      const { events, scannedThrough, restart } = await this.pull();
      changed = await this.apply(outcomes, events, { restart, pulled: true, scannedThrough });
      this.lastSync = { ok: true, at: new Date(), error: null, restarted: restart };
    } catch (error) {
      this.lastSync = { ok: false, at: new Date(), error };
      this.dispatchEvent(new Event('status'));
      throw error;
    }
    // A poll that brought nothing only refreshes the status line, not the whole page.
    this.dispatchEvent(new Event(changed ? 'change' : 'status'));
  }

  /**
   * The events after `position`. First a one-event read checks that the server still holds
   * our last event; if it does not, its log is not the one copied here (a new database,
   * say): the copy is dropped and the whole log pulled again. The queue is kept either way
   * and re-decided on top. Costs the new events only, however long the log.
   */
  async pull() {
    const last = this.confirmed.at(-1);
    const restart = this.restartNext || (last !== undefined && !(await holdsEvent(last)));
    this.restartNext = false;
    const { events, scannedThrough } = await eventsAfter(restart ? 0 : this.position);
    return { events, scannedThrough, restart };
  }

  /** Posts the queue in requests of up to MAX_BATCH; each command names its own actor. */
  async push(batch) {
    const outcomes = new Map();
    for (let start = 0; start < batch.length; start += MAX_BATCH) {
      const wire = batch.slice(start, start + MAX_BATCH).map((entry) => ({
        ...entry.command,
        commandId: entry.commandId,
        ...(entry.actor ? { actor: entry.actor } : {}),
        ...issuedAt(entry),
      }));
      const answers = await postCommands(wire);
      for (const answer of answers) outcomes.set(answer.commandId, answer);
    }
    return outcomes;
  }

  /** Events pushed by the live feed: applied like a pull's, one step at a time. */
  async receive(events) {
    if (await this.apply(new Map(), events)) this.changed();
  }

  /**
   * Applies a sync's results in memory and in IndexedDB, then rebases the local state.
   * Returns whether anything changed. Runs after any apply already under way.
   */
  apply(outcomes, events, options) {
    const run = this.applying.then(() => this.applyNow(outcomes, events, options));
    this.applying = run.catch(() => {});
    return run;
  }

  async applyNow(outcomes, events, { restart = false, pulled = false, scannedThrough } = {}) {
    const pulledAgain = pulled && this.logDropped;
    if (pulled) this.logDropped = false;
    if (restart) {
      this.confirmed = [];
      this.scannedThrough = 0;
      if (this.engine !== this.confirmedEngine) this.confirmedEngine.free?.(); // else rebuild frees it
      this.confirmedEngine = new this.OrderEngine();
    }
    const last = this.lastConfirmedPosition;
    const fresh = events.filter((event) => event.position > last);
    // Refused (a stream's version skipped: events were missed) -> nothing is applied and
    // the error ends this sync; the next pull starts over from the server's whole log.
    try {
      this.confirmedEngine.applyEvents(fresh);
    } catch (error) {
      this.restartNext = true;
      throw error;
    }
    const rejectedNow = [];
    const settled = new Set();
    let retrying = 0;
    for (const entry of this.pending) {
      const outcome = outcomes.get(entry.commandId);
      if (!outcome) continue; // queued while the request was in flight: next sync
      // The server could not process it (store busy, writer restarting): it stays queued
      // and is sent again, with the same commandId, after a growing pause.
      if (!outcome.accepted && outcome.retryable) {
        retrying += 1;
        continue;
      }
      settled.add(entry.commandId);
      if (!outcome.accepted) {
        rejectedNow.push(rejection(entry, outcome.error, 'server'));
      }
    }
    this.backOff(retrying > 0);
    this.confirmed.push(...fresh);
    this.pending = this.pending.filter((entry) => !settled.has(entry.commandId));
    this.rejected.push(...rejectedNow);
    const rejectedOnRebase = restart || pulledAgain || fresh.length > 0 || settled.size > 0 ? this.rebuild() : [];
    const scannedMoved = scannedThrough > this.scannedThrough;
    if (scannedMoved) this.scannedThrough = scannedThrough;
    await this.storage.applySync({
      resetConfirmed: restart,
      events: fresh,
      scannedThrough: scannedMoved ? scannedThrough : undefined,
      settled: [...settled, ...rejectedOnRebase.map((r) => r.commandId)],
      rejected: [...rejectedNow, ...rejectedOnRebase],
    });
    const changed = restart || fresh.length > 0 || settled.size > 0;
    if (changed) this.stored();
    return changed;
  }

  /** Doubles the pause before the next post while the server keeps failing; resets after. */
  backOff(failing) {
    this.retryDelayMs = failing ? nextRetryDelay(this.retryDelayMs) : 0;
    this.retryNotBefore = Date.now() + this.retryDelayMs;
  }

  /**
   * Rebases the local engine: the confirmed one + the queue re-decided in order, on a copy
   * (`clone`). With nothing of ours queued the confirmed engine itself is shown, so following
   * the feed costs only the new events; the copy is made when a command is queued. A queued
   * command the domain now refuses leaves the queue for the rejected list (it would fail on
   * the server too). Returns those rejections; the caller persists them.
   */
  rebuild() {
    if (this.logDropped) {
      if (this.engine !== this.confirmedEngine) this.engine.free?.();
      this.engine = this.confirmedEngine;
      return [];
    }
    const ours = (entry) => (entry.identity ?? null) === this.identity;
    const engine = this.pending.some(ours) ? this.confirmedEngine.clone() : this.confirmedEngine;
    const kept = [];
    const rejectedNow = [];
    for (const entry of this.pending) {
      // Another user's queued command waits, undecided, until that user signs in again.
      if (!ours(entry)) {
        kept.push(entry);
        continue;
      }
      try {
        engine.execute(executable(entry));
        kept.push(entry);
      } catch (error) {
        rejectedNow.push(rejection(entry, { code: error.code, message: error.message }, 'rebase'));
      }
    }
    if (this.engine !== this.confirmedEngine) this.engine.free?.();
    this.engine = engine;
    this.pending = kept;
    this.rejected.push(...rejectedNow);
    return rejectedNow;
  }

  async dismissRejected(commandId) {
    this.rejected = this.rejected.filter((r) => r.commandId !== commandId);
    await this.storage.dismissRejected(commandId);
    this.changed();
  }

  /**
   * Drops the copy of the server's log (not the queue): another identity may see other
   * orders, so what one user was allowed to see is not shown to the next.
   */
  resetConfirmed() {
    const run = this.applying.then(async () => {
      await this.storage.applySync({ resetConfirmed: true });
      this.confirmed = [];
      this.scannedThrough = 0;
      if (this.engine !== this.confirmedEngine) this.confirmedEngine.free?.(); // else rebuild frees it
      this.confirmedEngine = new this.OrderEngine();
      const droppedLocally = this.rebuild();
      await this.storage.applySync({
        settled: droppedLocally.map((r) => r.commandId),
        rejected: droppedLocally,
      });
      this.changed();
    });
    this.applying = run.catch(() => {});
    return run;
  }

  /**
   * What another tab stored (the tab that syncs, or one that queued a command): new confirmed
   * events are applied, the queue and the rejected list read again. A log that another tab
   * dropped is read again whole.
   */
  catchUp() {
    const run = this.applying.then(async () => {
      let { events, last, pending, rejected, scannedThrough } = await this.storage.loadSince(this.lastConfirmedPosition);
      if (last < this.lastConfirmedPosition) {
        ({ events, pending, rejected, scannedThrough } = await this.storage.loadSince(0));
        this.logDropped = events.length === 0;
        this.confirmed = [];
        if (this.engine !== this.confirmedEngine) this.confirmedEngine.free?.(); // else rebuild frees it
        this.confirmedEngine = new this.OrderEngine();
      }
      this.confirmedEngine.applyEvents(events);
      this.confirmed.push(...events);
      this.scannedThrough = scannedThrough;
      this.pending = pending;
      this.rejected = rejected;
      this.rebuild();
      this.changed();
    });
    this.applying = run.catch(() => {});
    return run;
  }

  /**
   * Forgets the copy of the server's log and the commands queued or rejected in this tab,
   * and starts again from the server's log. Other tabs' queued commands are kept.
   */
  async reset() {
    const mine = (entry) => entry.tab === this.tab;
    await this.storage.applySync({ resetConfirmed: true, settled: this.pending.filter(mine).map((e) => e.commandId) });
    for (const entry of this.rejected.filter(mine)) await this.storage.dismissRejected(entry.commandId);
    this.confirmed = [];
    this.scannedThrough = 0;
    if (this.engine !== this.confirmedEngine) this.confirmedEngine.free?.(); // else rebuild frees it
    this.confirmedEngine = new this.OrderEngine();
    this.logDropped = true;
    this.pending = this.pending.filter((entry) => !mine(entry));
    this.rejected = this.rejected.filter((entry) => !mine(entry));
    this.rebuild();
    this.changed();
    this.stored();
  }

  /** Queue order across tabs: the time of queueing, then a count within this tab. */
  nextSeq() {
    this.seqCount = (this.seqCount + 1) % 1000;
    return Date.now() * 1000 + this.seqCount;
  }

  /** Something was written to IndexedDB that other tabs should read ('stored'). */
  stored() {
    this.dispatchEvent(new Event('stored'));
  }

  /** Data changed ('change'); a sync that changed nothing fires only 'status'. */
  changed() {
    this.dispatchEvent(new Event('change'));
  }
}

export { SyncFailed };

/** The queue entry as `OrderEngine.execute` takes it: tagged command + options. */
function executable(entry) {
  return { ...entry.command, commandId: entry.commandId, actor: entry.actor, ...issuedAt(entry) };
}

/**
 * When the clerk acted: the business time (createdAt, placedAt, cancelledAt) of what the
 * command decides, here and on the server, however late the queue syncs. The server keeps
 * `recordedAt` as its commit time and refuses an `issuedAt` more than 7 days old.
 */
function issuedAt(entry) {
  return entry.queuedAt ? { issuedAt: entry.queuedAt } : {};
}

function rejection(entry, error, source) {
  return {
    commandId: entry.commandId,
    seq: entry.seq,
    command: entry.command,
    actor: entry.actor,
    error: { code: error?.code ?? 'unknown', message: error?.message ?? '' },
    source,
    rejectedAt: new Date().toISOString(),
  };
}

