// Hearth service worker: caches only the app shell of one build. Everything under /api/,
// video and WebSocket traffic goes to the network untouched (never cached).
const VERSION = __HEARTH_VERSION__;
const SHELL = __HEARTH_SHELL__;
const CACHE = 'hearth-shell-' + VERSION;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((k) => k.startsWith('hearth-shell-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  // Network only: the API, media, WebSockets (never seen here anyway), and anything not in the shell.
  if (url.pathname.startsWith('/api/') || req.headers.has('range')) return;
  const path = url.pathname === '/index.html' ? '/' : url.pathname;
  if (!SHELL.includes(path)) return;
  if (path === '/') {
    // The page itself: network first so a new build is picked up, the cache when offline.
    event.respondWith(fetch(req).catch(() => caches.match('/', { cacheName: CACHE })));
    return;
  }
  event.respondWith(caches.match(path, { cacheName: CACHE }).then((hit) => hit || fetch(req)));
});
