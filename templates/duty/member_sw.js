/* Huxue duty: the service worker of the member's check-in pages.
 *
 * It keeps the app shell (the today page, its script, css and htmx) so the page opens at a gate
 * without a network. Navigations to the today page and to QR posters go to the network first and
 * fall back to the kept copy; the shell's static files come from the kept copy first (they are
 * served under fixed names, so the worker's version is a hash of them: a new file means a new
 * worker and a new cache). Nothing else is touched: no API answer, no other static file and no
 * staff page is ever stored. Check-ins themselves wait in the page's own storage (duty.js).
 */
"use strict";
const CONFIG = {{ config|safe }};
const CACHE = "huxue-duty-" + CONFIG.version;

function cacheable(response) {
  return response && response.ok && response.type === "basic" && !response.redirected;
}

function isQr(path) {
  return path.startsWith(CONFIG.qr_prefix) && path.length > CONFIG.qr_prefix.length;
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await Promise.all(
        CONFIG.shell.map(async (url) => {
          try {
            const response = await fetch(url, { credentials: "same-origin", cache: "no-cache" });
            if (cacheable(response)) await cache.put(url, response);
          } catch (e) {
            /* kept on the next visit instead */
          }
        })
      );
      await self.skipWaiting();
    })()
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("huxue-duty-") && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })()
  );
});

async function networkFirst(request, path) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (cacheable(response)) await cache.put(path, response.clone());
    return response;
  } catch (error) {
    // Offline: the kept copy of this page; for a poster never opened before, the today page,
    // which offers to queue a check-in at the scanned post.
    const kept = (await cache.match(path, { ignoreVary: true })) ||
      (isQr(path) && (await cache.match(CONFIG.today_url, { ignoreVary: true })));
    if (kept) return kept;
    throw error;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(request, { ignoreVary: true });
  if (kept) return kept;
  const response = await fetch(request);
  if (cacheable(response)) await cache.put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method !== "GET") {
    // Signing out forgets the kept pages: they show this member's shifts.
    if (request.method === "POST" && url.pathname === CONFIG.logout_url) {
      event.waitUntil(caches.delete(CACHE));
    }
    return;
  }
  if (url.pathname.startsWith(CONFIG.static_url) && CONFIG.shell.includes(url.pathname)) {
    event.respondWith(cacheFirst(request));
  } else if (request.mode === "navigate" && (url.pathname === CONFIG.today_url || isQr(url.pathname))) {
    event.respondWith(networkFirst(request, url.pathname));
  }
});
