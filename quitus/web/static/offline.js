/* The technician's pages as an installable app that works without a network.
 *
 * * registers the service worker (/sw.js, scope "/") and, when online, asks it to keep
 *   the app shell up to date; <html data-offline-ready="true"> once the forms are kept;
 * * says when the tablet is offline (a banner at the top of the page);
 * * at sign-out, empties the tablet: drafts and queued reports (IndexedDB), the kept
 *   pages (Cache Storage) and the service worker — after asking, when reports have not
 *   been sent yet. The server also answers the sign-out with Clear-Site-Data.
 */
(function () {
  "use strict";

  const root = document.documentElement;

  // -- the service worker ----------------------------------------------------------------

  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.addEventListener("message", (event) => {
      if (event.data && event.data.type === "shell-ready") root.dataset.offlineReady = "true";
    });
    navigator.serviceWorker
      .register("/sw.js", { scope: "/" })
      .then(() => navigator.serviceWorker.ready)
      .then((registration) => {
        if (navigator.onLine && registration.active) registration.active.postMessage({ type: "refresh-shell" });
      })
      .catch(() => { root.dataset.offlineReady = "false"; });
  } else {
    root.dataset.offlineReady = "false"; // plain http on a network address: see docs/web.md
  }

  // -- online / offline ------------------------------------------------------------------

  const banner = document.createElement("p");
  banner.id = "network-status";
  banner.className = "notice warn network-status";
  banner.setAttribute("role", "status");
  banner.textContent =
    "Hors ligne : vous pouvez continuer la saisie, elle est gardée sur la tablette ; " +
    "les rapports partiront dès le retour du réseau.";
  const main = document.querySelector("main");
  if (main) main.prepend(banner);

  function showNetwork() {
    banner.hidden = navigator.onLine;
    root.dataset.network = navigator.onLine ? "online" : "offline";
  }
  window.addEventListener("online", showNetwork);
  window.addEventListener("offline", showNetwork);
  showNetwork();

  // -- sign-out empties the tablet -------------------------------------------------------

  for (const form of document.querySelectorAll('form[action="/deconnexion"]')) {
    form.addEventListener("submit", async (event) => {
      if (form.dataset.cleared === "true") return;
      event.preventDefault();
      let unsent = [];
      try { unsent = await QuitusDrafts.all(); } catch (error) { unsent = []; }
      const queued = unsent.filter((r) => r.status === "queued").length;
      if (unsent.length) {
        const what = queued
          ? queued + " rapport(s) pas encore envoyé(s) au serveur"
          : unsent.length + " brouillon(s) non envoyé(s)";
        if (!window.confirm("La tablette garde " + what + ". Se déconnecter les efface de la tablette. " +
            "Se déconnecter quand même ?")) return;
      }
      await forgetTablet();
      const field = form.querySelector('input[name="csrf_token"]') || hiddenField(form);
      if (!field.value) field.value = await currentCsrfToken();
      form.dataset.cleared = "true";
      form.submit();
    });
  }

  async function forgetTablet() {
    try { await QuitusDrafts.clearAll(); } catch (error) { /* nothing kept */ }
    if (window.caches) {
      for (const name of await caches.keys()) await caches.delete(name);
    }
    if (navigator.serviceWorker) {
      for (const registration of await navigator.serviceWorker.getRegistrations()) await registration.unregister();
    }
  }

  function hiddenField(form) {
    const field = document.createElement("input");
    field.type = "hidden";
    field.name = "csrf_token";
    form.appendChild(field);
    return field;
  }

  async function currentCsrfToken() {
    try {
      const response = await fetch("/technicien/session", { credentials: "same-origin", cache: "no-store" });
      return response.ok ? (await response.json()).csrf_token || "" : "";
    } catch (error) {
      return "";
    }
  }
})();
