/* The queue of reports waiting for the network (the "queued" drafts of drafts.js).
 *
 * Sending: on every technician page load, when the browser says it is back online, and
 * then with a growing delay (3 s, 6 s, … at most 2 min) while reports wait — Background
 * Sync is not everywhere, so nothing depends on it. Each report is sent with the exact
 * bytes that were queued and its own submission_id: a resend after a lost answer is
 * recognised by the server as the same report (200, the same report id), never a second.
 *
 * Before sending, /technicien/session says whether the session still holds and gives its
 * CSRF token (a page opened from the offline cache carries none). A report is only sent
 * in the session of the technician who wrote it.
 *
 * Every outcome is said in words, in #outbox-status and as a "quitus:outbox" event
 * ({submissionId, kind, reportId, message}) for the form page:
 *   accepted — the server has it (the draft is deleted from the tablet);
 *   rejected — kept by the server as refused (schema, photos): the draft is back to editing;
 *   refused  — the request was refused (4xx): the draft is back to editing, with the reason;
 *   offline  — the server was not reached: it stays queued;
 *   session  — the session expired: it stays queued until the technician signs in again;
 *   retry    — the server failed (5xx, 429): it stays queued, tried again later.
 */
(function () {
  "use strict";

  const FIRST_DELAY_MS = 3000;
  const MAX_DELAY_MS = 120000;
  const MESSAGES = {
    offline: "Hors ligne : le rapport partira dès le retour du réseau.",
    session:
      "Votre session a expiré : reconnectez-vous. Le rapport reste enregistré sur la tablette " +
      "et partira après la connexion.",
  };
  let delay = FIRST_DELAY_MS;
  let timer = null;
  let running = null;
  let again = false;
  let lastEvent = null;

  function statusBox() {
    return document.getElementById("outbox-status");
  }

  function pageHandle() {
    const box = statusBox();
    return box ? box.dataset.handle : undefined;
  }

  function announce(detail) {
    lastEvent = detail;
    window.dispatchEvent(new CustomEvent("quitus:outbox", { detail: detail }));
  }

  async function probeSession() {
    let response;
    try {
      response = await fetch("/technicien/session", {
        credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" },
      });
    } catch (error) {
      return { kind: "offline" };
    }
    if (response.status === 401 || response.status === 403) return { kind: "session" };
    if (!response.ok) return { kind: "retry", status: response.status };
    try {
      const data = await response.json();
      return data.signed_in ? { kind: "ok", handle: data.handle, csrf: data.csrf_token } : { kind: "session" };
    } catch (error) {
      return { kind: "retry", status: response.status }; // e.g. a captive portal's page
    }
  }

  async function sendOne(record, session) {
    const answer = await QuitusApi.send("POST", "/api/v1/reports", null, {
      rawJson: record.body,
      csrfToken: session.csrf,
    });
    const base = { submissionId: record.submissionId, templateId: record.templateId };
    if (answer.offline) return { ...base, kind: "offline", message: { text: MESSAGES.offline, details: [] } };
    if (answer.ok && answer.data && answer.data.report_id) {
      if (answer.data.state === "rejected") {
        const details = (answer.data.issues || []).map(
          (i) => (i.path ? i.path + " : " : "") + (i.message_fr || i.message)
        );
        const message = {
          text: "Rapport " + answer.data.report_id + " refusé par le serveur — corrigez puis renvoyez :",
          details: details,
        };
        await backToEditing(record, message);
        return { ...base, kind: "rejected", reportId: answer.data.report_id, message: message };
      }
      await forget(record);
      return { ...base, kind: "accepted", reportId: answer.data.report_id };
    }
    if (answer.status === 401 || (answer.status === 403 && isCsrfRefusal(answer.data))) {
      return { ...base, kind: "session", message: { text: MESSAGES.session, details: [] } };
    }
    if (answer.status === 429 || answer.status >= 500 || answer.status === 0) {
      return { ...base, kind: "retry", message: answer.message };
    }
    // Refused as sent (400, 403, 413, 422…): sending it again would be refused again.
    const message = {
      text: "Le serveur a refusé le rapport : " + answer.message.text + " Corrigez-le puis renvoyez-le.",
      details: answer.message.details,
    };
    await backToEditing(record, message);
    return { ...base, kind: "refused", message: message };
  }

  function isCsrfRefusal(data) {
    // Problem details carry "code"; the former body had it in "error".
    const code = data && (data.code || (data.error && data.error.code) || (data.detail && data.detail.code));
    return code === "csrf_refused";
  }

  async function backToEditing(record, message) {
    record.status = "editing";
    record.problem = message;
    delete record.body;
    if (!record.notKept) await QuitusDrafts.put(record);
  }

  async function forget(record) {
    if (!record.notKept) await QuitusDrafts.remove(record.submissionId);
  }

  /* A browser that keeps nothing (IndexedDB disabled): send this record now, once, unqueued. */
  async function sendDirect(record) {
    record.notKept = true;
    const session = await probeSession();
    if (session.kind !== "ok") {
      const text = session.kind === "session" ? MESSAGES.session : MESSAGES.offline;
      announce({ submissionId: record.submissionId, kind: session.kind, notKept: true, message: { text: text, details: [] } });
      return;
    }
    announce({ ...(await sendOne(record, session)), notKept: true });
  }

  /* Send what waits; resolves when this round is over. One round at a time per tablet. */
  function flush() {
    if (running) {
      again = true; // a report queued during this round goes in the next one
      return running;
    }
    running = withLock(flushRound).finally(() => {
      running = null;
      if (again) {
        again = false;
        flush();
      }
    });
    return running;
  }

  function withLock(action) {
    if (navigator.locks && navigator.locks.request) return navigator.locks.request("quitus-outbox", action);
    return action();
  }

  async function flushRound() {
    clearTimeout(timer);
    timer = null;
    let waiting = await QuitusDrafts.queued(pageHandle());
    if (!waiting.length) {
      render();
      return;
    }
    const session = await probeSession();
    let stop = null;
    if (session.kind !== "ok") {
      stop = session.kind;
      const message = session.kind === "retry"
        ? { text: "Le serveur ne répond pas normalement (erreur " + session.status + ").", details: [] }
        : { text: MESSAGES[session.kind], details: [] };
      for (const record of waiting) announce({ submissionId: record.submissionId, kind: session.kind, message: message });
    } else {
      for (const record of waiting.filter((r) => r.handle === session.handle)) {
        const outcome = await sendOne(record, session);
        announce(outcome);
        if (outcome.kind === "accepted") delay = FIRST_DELAY_MS;
        if (outcome.kind === "offline" || outcome.kind === "session" || outcome.kind === "retry") {
          stop = outcome.kind;
          break;
        }
      }
    }
    waiting = await QuitusDrafts.queued(pageHandle());
    if (waiting.length && stop !== "session") schedule();
    render();
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(flush, delay);
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  }

  async function render() {
    const box = statusBox();
    if (!box) return;
    const handle = pageHandle();
    let records = [];
    try { records = await QuitusDrafts.all(); } catch (error) { return; }
    const queued = records.filter((r) => r.status === "queued" && r.handle === handle);
    const refused = records.filter((r) => r.status === "editing" && r.problem && r.handle === handle);
    const others = records.filter((r) => r.status === "queued" && r.handle !== handle);
    const details = [];
    for (const record of refused) {
      details.push("Un rapport a été refusé par le serveur : ouvrez-le pour le corriger.");
    }
    if (others.length) {
      details.push(others.length + " rapport(s) d'un autre technicien attendent qu'il se connecte sur cette tablette.");
    }
    box.replaceChildren();
    if (queued.length) {
      const why = lastEvent && lastEvent.message ? " " + lastEvent.message.text : "";
      QuitusApi.showMessage(box, "warn", queued.length + " rapport(s) en attente d'envoi." + why, details);
      if (lastEvent && lastEvent.kind === "session") appendLink(box, "/connexion", "Se reconnecter");
    } else if (lastEvent && lastEvent.kind === "accepted") {
      QuitusApi.showMessage(box, "ok", "Rapport " + lastEvent.reportId + " envoyé : le serveur l'a reçu.", details);
      appendLink(box, "/technicien/rapports/" + encodeURIComponent(lastEvent.reportId), "Suivre ce rapport");
    } else if (details.length) {
      QuitusApi.showMessage(box, "bad", "Des rapports restent sur la tablette :", details);
    } else {
      box.className = "notice";
    }
    for (const record of refused) {
      appendLink(box, "/technicien/formulaire/" + encodeURIComponent(record.templateId) +
        "#brouillon=" + encodeURIComponent(record.submissionId), "Corriger le rapport refusé");
    }
  }

  function appendLink(box, href, text) {
    const link = document.createElement("a");
    link.href = href;
    link.textContent = text;
    link.className = "button small";
    box.appendChild(document.createTextNode(" "));
    box.appendChild(link);
  }

  window.addEventListener("online", () => {
    delay = FIRST_DELAY_MS;
    flush();
  });
  window.addEventListener("offline", () => render());

  window.QuitusOutbox = { flush: flush, sendDirect: sendDirect, render: render, messages: MESSAGES };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => flush());
  else flush();
})();
