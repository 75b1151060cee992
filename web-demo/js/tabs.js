// Several tabs of the demo share one IndexedDB. One of them, the leader, follows the live
// feed and syncs the queue (all tabs' commands); a Web Lock held for the tab's lifetime
// elects it, and when it closes the next tab takes over. Tabs tell each other through a
// BroadcastChannel that they stored something, and the others read it from IndexedDB.

const LOCK = 'order-web-demo.leader';
const CHANNEL = 'order-web-demo';

export class Tabs extends EventTarget {
  constructor() {
    super();
    this.leader = false;
    this.channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(CHANNEL) : null;
    if (this.channel) {
      this.channel.onmessage = (event) => this.dispatchEvent(new CustomEvent('message', { detail: event.data }));
    }
  }

  /** Calls `onLeader` once this tab is the leader (at once without Web Locks). */
  elect(onLeader) {
    const lead = () => {
      this.leader = true;
      onLeader();
    };
    if (!navigator.locks) {
      lead();
      return;
    }
    // The lock is never released by us: it goes when the tab closes.
    navigator.locks.request(LOCK, () => {
      lead();
      return new Promise(() => {});
    });
  }

  /** Tells the other tabs; `type`: 'stored' (read IndexedDB again) or 'sync' (please sync). */
  post(type) {
    this.channel?.postMessage({ type });
  }
}
