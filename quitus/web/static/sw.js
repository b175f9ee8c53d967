/* The service worker (served as /sw.js, scope "/"): the technician's pages open without
 * a network.
 *
 * It keeps the *app shell* in Cache Storage: the URLs /technicien/hors-ligne lists (the
 * template chooser, the technician's week — ids, days, slots: never a visit's plan —, one
 * capture form per template, the CSS and scripts under their
 * content-hashed names, the manifest and icons). Those pages are fetched from the network first and the copy kept is refreshed
 * at each visit; without a network, the kept copy is served. A kept page has its CSRF
 * token taken out (outbox.js asks /technicien/session for the current one).
 *
 * Nothing else is ever kept: no API answer (/api/… is not even looked at), no status
 * page, nothing a technician typed — drafts live in IndexedDB (drafts.js), and are
 * removed once the server accepted them. This script writes nothing to the console.
 */
"use strict";

const CACHE = "quitus-shell";
const SHELL_URL = "/technicien/hors-ligne";
const VERSION_KEY = "/__quitus-shell-version";
const NETWORK_TIMEOUT_MS = 6000;
const KEPT = [/^\/technicien$/, /^\/technicien\/semaine$/, /^\/technicien\/formulaire\/[^/]+$/, /^\/static\/[^/]+$/, /^\/manifest\.webmanifest$/, /^\/icones\/[^/]+\.png$/];
const CSRF_META = /<meta name="csrf-token" content="[^"]*">/g;
const CSRF_FIELD = /<input type="hidden" name="csrf_token" value="[^"]*">/g;

self.addEventListener("install", (event) => {
  event.waitUntil(refreshShell(true).catch(() => null).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("message", (event) => {
  if (!event.data || event.data.type !== "refresh-shell") return;
  const source = event.source;
  event.waitUntil(
    refreshShell(false)
      .then((version) => source && source.postMessage({ type: "shell-ready", version: version }))
      .catch(() => source && source.postMessage({ type: "shell-unavailable" }))
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (!KEPT.some((pattern) => pattern.test(url.pathname))) return; // the network alone
  event.respondWith(networkFirst(request, url));
});

async function networkFirst(request, url) {
  const cache = await caches.open(CACHE);
  const fromNetwork = fetch(request).then(async (response) => {
    if (keepable(response)) await cache.put(url.pathname, await sanitized(response.clone()));
    return response;
  });
  try {
    return await withTimeout(fromNetwork, NETWORK_TIMEOUT_MS);
  } catch (error) {
    fromNetwork.catch(() => null); // a slow answer still refreshes the kept copy
    const kept = await cache.match(url.pathname);
    if (kept) return kept;
    if (request.mode === "navigate") return offlinePage();
    return Response.error();
  }
}

/* Fetch the shell's list and keep every URL of it (all of them, or when its version changed). */
async function refreshShell(always) {
  const response = await fetch(SHELL_URL, { credentials: "same-origin", cache: "no-store" });
  if (!response.ok || response.redirected) throw new Error("not signed in");
  const shell = await response.json();
  const cache = await caches.open(CACHE);
  const kept = await cache.match(VERSION_KEY);
  const keptVersion = kept ? await kept.text() : null;
  if (!always && keptVersion === shell.version && (await allKept(cache, shell.urls))) return shell.version;
  for (const path of shell.urls) {
    const page = await fetch(path, { credentials: "same-origin", cache: "no-store" });
    if (keepable(page)) await cache.put(path, await sanitized(page));
  }
  // A script or style of an earlier version (another content-hashed name) is not loaded any more.
  for (const request of await cache.keys()) {
    const path = new URL(request.url).pathname;
    if (path.startsWith("/static/") && !shell.urls.includes(path)) await cache.delete(request);
  }
  await cache.put(VERSION_KEY, new Response(shell.version));
  return shell.version;
}

async function allKept(cache, urls) {
  for (const path of urls) if (!(await cache.match(path))) return false;
  return true;
}

function keepable(response) {
  return response && response.ok && !response.redirected && response.type === "basic";
}

/* A page without the session's CSRF token (a secret of this session, not the tablet's). */
async function sanitized(response) {
  const type = response.headers.get("content-type") || "";
  if (!type.startsWith("text/html")) return response;
  const text = (await response.text()).replace(CSRF_META, "").replace(CSRF_FIELD, "");
  const headers = new Headers(response.headers); // the CSP and no-referrer go with the copy
  headers.delete("content-length");
  return new Response(text, { status: 200, headers: headers });
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); }, (error) => { clearTimeout(timer); reject(error); });
  });
}

function offlinePage() {
  const html = '<!doctype html><html lang="fr"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Hors ligne · quitus</title>' +
    '<link rel="stylesheet" href="/static/quitus.css"></head><body><main><h1>Hors ligne</h1>' +
    '<p class="notice warn">Cette page n\'est pas disponible sans réseau. Les formulaires de saisie le sont : ' +
    'les rapports saisis partiront dès le retour du réseau.</p>' +
    '<p><a class="button primary" href="/technicien">Nouveau rapport</a></p></main></body></html>';
  return new Response(html, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}
