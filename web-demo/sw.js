// Service worker: keeps the app shell (page, styles, modules, wasm core) in a cache so the
// page also loads, with its IndexedDB data, when the network is down. Network first, so a
// new build is picked up on the next online load; API requests are never intercepted.

const CACHE = 'order-web-demo-shell-v5';
const SHELL = [
  './',
  'index.html',
  'styles.css',
  'js/main.js',
  'js/api.js',
  'js/connectivity.js',
  'js/dom.js',
  'js/live-feed.js',
  'js/messages.js',
  'js/offline-orders.js',
  'js/session.js',
  'js/storage.js',
  'js/tabs.js',
  'js/views/history.js',
  'js/views/order-detail.js',
  'js/views/order-list.js',
  'js/views/sync-panel.js',
  'pkg/order_wasm.js',
  'pkg/errors.js',
  'pkg/results.js',
  'pkg/order_wasm_bg.wasm',
];
const API_PREFIXES = ['/orders', '/events', '/commands', '/health', '/metrics', '/dev'];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  const isApi = API_PREFIXES.some((prefix) => url.pathname === prefix || url.pathname.startsWith(`${prefix}/`));
  if (event.request.method !== 'GET' || url.origin !== self.location.origin || isApi) return;
  event.respondWith(networkFirst(event.request));
});

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(request, { ignoreSearch: true });
    if (cached) return cached;
    throw error;
  }
}
