/* Forms of the compliance and audit pages that act through the JSON API.
 *
 *   <form data-api-method="POST" data-api-url="/api/v1/holds/{hold_id}/release"
 *         data-api-then="reload|download" data-confirm="Sûr ?">
 *     <input name="hold_id" type="hidden" value="hold-…">      ← fills {hold_id} in the URL
 *     <input name="reason" data-json>                           ← a JSON body field
 *     <textarea name="report_ids" data-json="list">             ← split on spaces and commas
 *
 * The request carries the session cookie and the page's CSRF token (api.js). After a
 * change the page reloads, so what it shows is what the server now holds.
 */
(function () {
  "use strict";

  function bodyOf(form) {
    const body = {};
    let any = false;
    for (const input of form.querySelectorAll("[data-json]")) {
      const raw = input.value.trim();
      if (raw === "") continue;
      any = true;
      const kind = input.dataset.json;
      if (kind === "list") body[input.name] = raw.split(/[\s,;]+/).filter(Boolean);
      else if (kind === "int") body[input.name] = Number(raw);
      else body[input.name] = raw;
    }
    return any || form.querySelector("[data-json]") ? body : null;
  }

  function urlOf(form) {
    return form.dataset.apiUrl.replace(/\{(\w+)\}/g, (_, name) => {
      const field = form.elements.namedItem(name);
      return encodeURIComponent(field ? field.value.trim() : "");
    });
  }

  function messageBox(form) {
    const selector = form.dataset.apiResult;
    const box = selector ? document.querySelector(selector) : form.querySelector(".notice");
    if (box) return box;
    const created = document.createElement("div");
    created.className = "notice";
    created.setAttribute("role", "status");
    form.appendChild(created);
    return created;
  }

  for (const form of document.querySelectorAll("form[data-api-url]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
      const box = messageBox(form);
      const buttons = form.querySelectorAll("button");
      buttons.forEach((b) => { b.disabled = true; });
      QuitusApi.showMessage(box, "", "En cours…");
      const download = form.dataset.apiThen === "download";
      const answer = await QuitusApi.send(form.dataset.apiMethod || "POST", urlOf(form), bodyOf(form), { download: download });
      buttons.forEach((b) => { b.disabled = false; });
      if (!answer.ok) {
        const message = answer.message || { text: "Action impossible.", details: [] };
        QuitusApi.showMessage(box, "bad", message.text, message.details);
        return;
      }
      if (download) {
        QuitusApi.saveBlob(answer.blob, answer.filename || form.dataset.filename);
        QuitusApi.showMessage(box, "ok", form.dataset.done || "Téléchargement prêt.");
        return;
      }
      QuitusApi.showMessage(box, "ok", form.dataset.done || "C'est fait.");
      window.location.reload();
    });
  }
})();
