// Persistence of the offline state in IndexedDB: the server's confirmed event log, the
// queue of commands waiting to sync and the commands the domain rejected. A few promise
// helpers over the raw API keep the page free of any dependency.

const DB_NAME = 'order-web-demo';
const DB_VERSION = 2; // 2: the `meta` store

/** Object stores and their keys. */
const STORES = {
  confirmed: { keyPath: 'position' }, // server envelopes the token may see, by position
  pending: { keyPath: 'commandId' }, // {commandId, seq, command, actor, identity, tab, queuedAt}
  rejected: { keyPath: 'commandId' }, // {commandId, seq, command, actor, error, source, rejectedAt}
  // 'scannedThrough': the last global position the server has shown this copy, its own
  // events or not (a customer sees only theirs: the log beyond is known to hold none).
  meta: {},
};

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function transactionDone(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

export class OfflineStorage {
  /** @param {IDBDatabase} db */
  constructor(db) {
    this.db = db;
  }

  static async open() {
    const opening = indexedDB.open(DB_NAME, DB_VERSION);
    opening.onupgradeneeded = () => {
      const db = opening.result;
      for (const [name, options] of Object.entries(STORES)) {
        if (!db.objectStoreNames.contains(name)) db.createObjectStore(name, options);
      }
    };
    return new OfflineStorage(await request(opening));
  }

  /** Everything persisted, in log / queue order. */
  async loadAll() {
    const tx = this.db.transaction(Object.keys(STORES), 'readonly');
    const [confirmed, pending, rejected, scannedThrough] = await Promise.all([
      request(tx.objectStore('confirmed').getAll()), // keys are positions: already in order
      request(tx.objectStore('pending').getAll()),
      request(tx.objectStore('rejected').getAll()),
      request(tx.objectStore('meta').get('scannedThrough')),
    ]);
    const bySeq = (a, b) => a.seq - b.seq;
    return { confirmed, pending: pending.sort(bySeq), rejected: rejected.sort(bySeq), scannedThrough: scannedThrough ?? 0 };
  }

  /**
   * What a tab that holds the log up to `position` has not seen: the confirmed events after
   * it, the last position stored (lower than `position` when another tab dropped the log),
   * and the whole queue and rejected list.
   */
  async loadSince(position) {
    const tx = this.db.transaction(Object.keys(STORES), 'readonly');
    const confirmed = tx.objectStore('confirmed');
    const [events, last, pending, rejected, scannedThrough] = await Promise.all([
      request(confirmed.getAll(IDBKeyRange.lowerBound(position, true))),
      request(confirmed.openCursor(null, 'prev')).then((cursor) => cursor?.key ?? 0),
      request(tx.objectStore('pending').getAll()),
      request(tx.objectStore('rejected').getAll()),
      request(tx.objectStore('meta').get('scannedThrough')),
    ]);
    const bySeq = (a, b) => a.seq - b.seq;
    return { events, last, pending: pending.sort(bySeq), rejected: rejected.sort(bySeq), scannedThrough: scannedThrough ?? 0 };
  }

  async addPending(entry) {
    await this.write(['pending'], (tx) => tx.objectStore('pending').put(entry));
  }

  /**
   * One atomic step of a sync: new confirmed events appended (after dropping the old copy
   * when the server's log turned out to be another one) with the position the server has
   * shown up to (`scannedThrough`, when it moved), settled commands removed from
   * the queue, rejected ones recorded. Atomic so a reload never sees a command both gone
   * from the queue and missing from the log.
   */
  async applySync({ resetConfirmed = false, events = [], scannedThrough, settled = [], rejected = [] }) {
    await this.write(['confirmed', 'pending', 'rejected', 'meta'], (tx) => {
      const confirmed = tx.objectStore('confirmed');
      const meta = tx.objectStore('meta');
      if (resetConfirmed) {
        confirmed.clear(); // the server's log is another one: start over
        meta.delete('scannedThrough');
      }
      for (const event of events) confirmed.put(event);
      if (scannedThrough !== undefined) meta.put(scannedThrough, 'scannedThrough');
      const pending = tx.objectStore('pending');
      for (const commandId of settled) pending.delete(commandId);
      const rejectedStore = tx.objectStore('rejected');
      for (const entry of rejected) rejectedStore.put(entry);
    });
  }

  async dismissRejected(commandId) {
    await this.write(['rejected'], (tx) => tx.objectStore('rejected').delete(commandId));
  }

  /** Drops everything (the "reset local data" button). */
  async clear() {
    await this.write(Object.keys(STORES), (tx) => {
      for (const name of Object.keys(STORES)) tx.objectStore(name).clear();
    });
  }

  async write(storeNames, fill) {
    const tx = this.db.transaction(storeNames, 'readwrite');
    const done = transactionDone(tx);
    fill(tx);
    await done;
  }
}
