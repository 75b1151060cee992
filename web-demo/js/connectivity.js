// Whether the app may use the network: the browser's own state (navigator.onLine, which
// also follows DevTools / Playwright offline emulation) and a manual "Go offline" switch
// that simulates a lost connection for demos and tests. While offline no request is made.

const MANUAL_KEY = 'order-web-demo.manualOffline';

export class Connectivity extends EventTarget {
  constructor() {
    super();
    this.manualOffline = localStorage.getItem(MANUAL_KEY) === '1';
    const changed = () => this.dispatchEvent(new Event('change'));
    window.addEventListener('online', changed);
    window.addEventListener('offline', changed);
  }

  get browserOnline() {
    return navigator.onLine;
  }

  get online() {
    return this.browserOnline && !this.manualOffline;
  }

  setManualOffline(offline) {
    this.manualOffline = offline;
    localStorage.setItem(MANUAL_KEY, offline ? '1' : '0');
    this.dispatchEvent(new Event('change'));
  }
}
