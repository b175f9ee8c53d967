/* Calling the JSON API from a page: the session cookie goes with the request, and the
 * page's CSRF token (from <meta name="csrf-token">) goes in the X-CSRF-Token header.
 *
 *   const answer = await QuitusApi.send("POST", "/api/v1/holds", { reason: "…" });
 *   answer.ok, answer.status, answer.data (parsed JSON or null), answer.blob (when asked)
 *   answer.message = { text, details } when not ok (answer.offline: the server was not reached)
 *
 * QuitusApi.describeError(status, data) is the one place an API refusal becomes French words
 * (the capture queue, outbox.js, uses it too).
 */
(function () {
  "use strict";

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  async function send(method, url, body, options) {
    const token = (options && options.csrfToken) || csrfToken();
    const headers = { "X-CSRF-Token": token, Accept: "application/json" };
    const init = { method: method, headers: headers, credentials: "same-origin", cache: "no-store" };
    if (options && options.rawJson !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = options.rawJson; // the exact bytes queued: a resend is recognised as the same
    } else if (body !== undefined && body !== null) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch (error) {
      // Same shape as a server's refusal ({text, details}): every caller shows message.text.
      return {
        ok: false,
        status: 0,
        offline: true,
        data: null,
        message: { text: "Le serveur ne répond pas : vérifiez la connexion réseau puis réessayez.", details: [] },
      };
    }
    const answer = { ok: response.ok, status: response.status, data: null, blob: null, filename: null };
    const type = response.headers.get("content-type") || "";
    if (options && options.download && response.ok) {
      answer.blob = await response.blob();
      answer.filename = filenameOf(response.headers.get("content-disposition"));
      return answer;
    }
    if (type.includes("json")) {
      try { answer.data = await response.json(); } catch (error) { answer.data = null; }
    }
    if (!response.ok) answer.message = describeError(response.status, answer.data);
    return answer;
  }

  function filenameOf(disposition) {
    const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition || "");
    return match ? decodeURIComponent(match[1]) : null;
  }

  function describeError(status, data) {
    const general = {
      400: "La demande est incorrecte.",
      401: "Votre session a expiré : reconnectez-vous.",
      403: "Action refusée pour votre profil (ou page trop ancienne : rechargez-la).",
      404: "Élément introuvable.",
      409: "Conflit : l'élément a changé entre-temps. Rechargez la page.",
      413: "Envoi trop volumineux : réduisez le nombre ou la taille des photos.",
      422: "Certaines valeurs sont refusées.",
    }[status] || "Erreur du serveur (" + status + "). Réessayez dans un instant.";
    // The API answers RFC 9457 problem details (application/problem+json): "code", "detail",
    // "where", "hint", "problems": [...]; the former {"error": {...}} object is read if alone.
    const details = [];
    const problem = data && typeof data.code === "string" ? data : data && data.error;
    if (problem && typeof problem === "object") {
      const message = typeof problem.detail === "string" ? problem.detail : problem.message;
      const problems = Array.isArray(problem.problems) ? problem.problems : [];
      if (!problems.length && message) details.push((problem.where ? problem.where + " : " : "") + message);
      for (const item of problems) {
        const where = item.where || item.path || "";
        details.push((where ? where + " : " : "") + (item.message_fr || item.message || item.code || ""));
      }
    } else if (data && typeof data.detail === "string") {
      details.push(data.detail);
    }
    return { text: general, details: details };
  }

  function showMessage(element, kind, text, details) {
    element.className = "notice " + kind;
    element.textContent = text;
    if (details && details.length) {
      const list = document.createElement("ul");
      for (const line of details) {
        const item = document.createElement("li");
        item.textContent = line;
        list.appendChild(item);
      }
      element.appendChild(list);
    }
  }

  function saveBlob(blob, filename) {
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = filename || "telechargement";
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  window.QuitusApi = {
    send: send,
    showMessage: showMessage,
    saveBlob: saveBlob,
    csrfToken: csrfToken,
    describeError: describeError,
  };
})();
