/* The technician's capture form: builds the report JSON (docs/report.schema.json) from
 * the form generated from the template and sends it to POST /api/v1/reports.
 *
 * Offline first: everything typed — fields, checklist, parts, photos, signatures — is kept
 * on the tablet as it is typed (drafts.js, IndexedDB) and put back when the page is opened
 * again; "Envoyer le rapport" queues the report (outbox.js), which leaves at once when the
 * network is there, else when it returns. The submission id is drawn once per draft and
 * the queued bytes never change: sending again cannot create a second report. The draft
 * is deleted from the tablet once the server has accepted the report.
 *
 * Photos and signatures travel inline as base64. A measurement outside its range is
 * accepted and flagged beside the input (the server flags it too).
 */
(function () {
  "use strict";

  const form = document.getElementById("capture-form");
  if (!form) return;
  const result = document.getElementById("submit-result");
  const submitButton = document.getElementById("submit-report");
  const unfinished = document.getElementById("unfinished");
  const draftStatus = document.getElementById("draft-status");
  const templateId = form.dataset.templateId;
  const handle = document.getElementById("technician-id").value;
  const visitId = form.dataset.visit || ""; // a planned visit's form keeps drafts of its own
  let draft = newDraft();
  let restoring = false;
  let saveTimer = null;

  // -- form behaviour --------------------------------------------------------------------

  const pads = {};
  for (const block of form.querySelectorAll("[data-signature]")) {
    const state = block.querySelector("[data-pad-state]");
    const pad = new window.SignaturePad(block.querySelector("canvas"), {
      onChange: (p) => {
        // When it was signed, not when it was sent (offline, hours may pass); and the same
        // report built again is then the same bytes.
        if (!restoring) pads[block.dataset.signature].signedAt = p.isEmpty() ? null : new Date().toISOString();
        block.classList.toggle("signed", !p.isEmpty());
        state.textContent = p.isEmpty() ? "Signez avec le doigt ou le stylet." : "Signature enregistrée.";
        scheduleSave();
      },
    });
    block.querySelector("[data-clear]").addEventListener("click", () => pad.clear());
    pads[block.dataset.signature] = { pad: pad, block: block, signedAt: null };
  }

  const technicianName = document.getElementById("technician-name");
  const technicianSigner = document.getElementById("technician-signer");
  technicianName.addEventListener("change", () => {
    if (!technicianSigner.value) technicianSigner.value = technicianName.value;
  });

  function showClientKind() {
    const professional = form.querySelector('input[name="client-kind"]:checked').value === "professionnel";
    document.getElementById("client-company-block").hidden = !professional;
  }
  for (const radio of form.querySelectorAll('input[name="client-kind"]')) radio.addEventListener("change", showClientKind);

  function showOutcome() {
    const isUnfinished = unfinished.checked;
    document.getElementById("reschedule").hidden = !isUnfinished;
    document.getElementById("unfinished-reason").required = isUnfinished;
    for (const input of form.querySelectorAll("[data-required-when-completed]")) input.required = !isUnfinished;
  }
  unfinished.addEventListener("change", showOutcome);

  for (const input of form.querySelectorAll("[data-measurement]")) {
    input.addEventListener("input", () => checkRange(input));
  }

  const now = new Date();
  setIfEmpty("departure", localDateTime(now));
  setIfEmpty("arrival", localDateTime(new Date(now.getTime() - 60 * 60 * 1000)));

  const parts = document.getElementById("parts");
  function addPart() {
    const row = document.getElementById("part-row").content.firstElementChild.cloneNode(true);
    row.querySelector("[data-remove-part]").addEventListener("click", () => {
      row.remove();
      scheduleSave();
    });
    parts.appendChild(row);
    return row;
  }
  document.getElementById("add-part").addEventListener("click", () => {
    addPart().querySelector("input").focus();
    scheduleSave();
  });

  for (const input of form.querySelectorAll("input[type=file]")) {
    input.addEventListener("change", () => showPreviews(input));
  }

  form.addEventListener("input", scheduleSave);
  form.addEventListener("change", scheduleSave);

  document.getElementById("discard-draft").addEventListener("click", async () => {
    if (!window.confirm("Abandonner ce brouillon ? Tout ce qui a été saisi sera effacé de la tablette.")) return;
    try { await QuitusDrafts.remove(draft.submissionId); } catch (error) { /* not kept */ }
    window.location.replace(window.location.pathname);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const problems = checkExtra();
    if (problems.length) {
      QuitusApi.showMessage(result, "bad", "Le rapport est incomplet :", problems);
      result.scrollIntoView({ behavior: "smooth", block: "center" });
      return;
    }
    submitButton.disabled = true;
    QuitusApi.showMessage(result, "", "Envoi du rapport…");
    let body;
    try {
      body = JSON.stringify(await buildReport());
    } catch (error) {
      QuitusApi.showMessage(result, "bad", "Lecture d'une photo impossible : choisissez-la à nouveau.");
      submitButton.disabled = false;
      return;
    }
    clearTimeout(saveTimer);
    collectDraft();
    draft.status = "queued";
    draft.body = body; // these bytes, and only these, are sent: a resend is the same report
    draft.queuedAt = new Date().toISOString();
    delete draft.problem;
    try {
      await QuitusDrafts.put(draft);
    } catch (error) {
      // This browser keeps nothing (storage full or disabled): send now, without a queue.
      showQueued("Envoi du rapport…");
      QuitusOutbox.sendDirect(draft);
      return;
    }
    showQueued("Envoi du rapport…");
    QuitusOutbox.flush();
  });

  window.addEventListener("quitus:outbox", async (event) => {
    const outcome = event.detail;
    if (!outcome || outcome.submissionId !== draft.submissionId || draft.status !== "queued") return;
    if (outcome.kind === "accepted") {
      showSent(outcome.reportId);
    } else if (outcome.kind === "rejected" || outcome.kind === "refused") {
      // Back to the form with the server's reasons; sending again with the same submission
      // id makes it a correction of the refused report.
      if (!outcome.notKept) draft = (await QuitusDrafts.get(draft.submissionId)) || draft;
      draft.status = "editing";
      document.getElementById("queued").hidden = true;
      form.hidden = false;
      submitButton.disabled = false;
      QuitusApi.showMessage(result, "bad", outcome.message.text, outcome.message.details);
      result.scrollIntoView({ behavior: "smooth", block: "center" });
    } else if (outcome.notKept) {
      // Nothing kept on the tablet: the technician sends again by hand, from the form as it is.
      draft.status = "editing";
      delete draft.body;
      document.getElementById("queued").hidden = true;
      form.hidden = false;
      submitButton.disabled = false;
      const why = {
        offline: "Hors ligne : le rapport n'est pas parti.",
        session: "Votre session a expiré : reconnectez-vous dans un autre onglet, sans fermer celui-ci.",
      }[outcome.kind] || outcome.message.text;
      QuitusApi.showMessage(result, "bad", why + " Ce navigateur ne peut pas garder le rapport (stockage " +
        "désactivé) : laissez cette page ouverte et appuyez de nouveau sur « Envoyer le rapport » ensuite.");
    } else {
      showQueued(outcome.message.text + (outcome.kind === "retry" ? " Nouvel essai automatique dans un instant." : ""),
        outcome.kind === "session");
    }
  });

  // -- the draft on the tablet -----------------------------------------------------------

  function newDraft() {
    return { submissionId: "web-" + randomHex(16), templateId: templateId, handle: handle, visit: visitId, status: "editing" };
  }

  function scheduleSave() {
    if (restoring || draft.status !== "editing") return;
    clearTimeout(saveTimer);
    saveTimer = setTimeout(saveDraft, 250);
  }

  async function saveDraft() {
    if (draft.status !== "editing") return;
    collectDraft();
    try {
      await QuitusDrafts.put(draft);
      sayDraft("ok", "Brouillon enregistré sur la tablette à " + clock(new Date()) + ".");
    } catch (error) {
      sayDraft("bad", "Le brouillon n'a pas pu être enregistré sur la tablette (stockage plein ou désactivé) : " +
        "ne fermez pas cette page avant d'avoir envoyé le rapport.");
    }
  }

  function sayDraft(kind, text) {
    draftStatus.className = "draft-status " + kind;
    draftStatus.textContent = text;
    draftStatus.hidden = false;
  }

  function keyOf(input) {
    if (input.id) return "#" + input.id;
    if (input.type === "radio") return "radio:" + input.name;
    if (input.hasAttribute("data-comment")) return "comment:" + input.closest("[data-item]").dataset.item;
    return null;
  }

  function collectDraft() {
    const values = {};
    for (const input of form.querySelectorAll("input, select, textarea")) {
      if (input.type === "file" || input.closest(".part-row")) continue;
      const key = keyOf(input);
      if (!key) continue;
      if (input.type === "radio") {
        if (input.checked) values[key] = input.value;
      } else if (input.type === "checkbox") {
        values[key] = input.checked;
      } else {
        values[key] = input.value;
      }
    }
    draft.values = values;
    draft.parts = Array.from(parts.querySelectorAll(".part-row"), (row) => {
      const part = {};
      for (const input of row.querySelectorAll("[data-part]")) part[input.dataset.part] = input.value;
      return part;
    });
    draft.photos = {};
    for (const input of form.querySelectorAll("input[type=file]")) draft.photos[input.id] = Array.from(input.files);
    draft.signatures = {};
    for (const [name, entry] of Object.entries(pads)) {
      draft.signatures[name] = { strokes: entry.pad.getStrokes(), signedAt: entry.signedAt };
    }
  }

  function restoreDraft(saved) {
    restoring = true;
    try {
      for (const [key, value] of Object.entries(saved.values || {})) {
        if (key.startsWith("#")) {
          const input = document.getElementById(key.slice(1));
          if (!input || input.readOnly) continue;
          if (input.type === "checkbox") input.checked = Boolean(value);
          else input.value = value;
        } else if (key.startsWith("radio:")) {
          const radio = form.querySelector('input[type=radio][name="' + CSS.escape(key.slice(6)) + '"][value="' +
            CSS.escape(value) + '"]');
          if (radio) radio.checked = true;
        } else if (key.startsWith("comment:")) {
          const comment = form.querySelector('[data-item="' + CSS.escape(key.slice(8)) + '"] [data-comment]');
          if (comment) comment.value = value;
        }
      }
      for (const part of saved.parts || []) {
        const row = addPart();
        for (const input of row.querySelectorAll("[data-part]")) {
          if (part[input.dataset.part] !== undefined) input.value = part[input.dataset.part];
        }
      }
      for (const [id, files] of Object.entries(saved.photos || {})) {
        const input = document.getElementById(id);
        if (!input || !files.length || typeof DataTransfer === "undefined") continue;
        const transfer = new DataTransfer();
        for (const file of files) transfer.items.add(file);
        input.files = transfer.files;
        showPreviews(input);
      }
      for (const [name, signature] of Object.entries(saved.signatures || {})) {
        if (!pads[name] || !signature) continue;
        pads[name].pad.setStrokes(signature.strokes || []);
        pads[name].signedAt = signature.signedAt || null;
      }
      showClientKind();
      showOutcome();
      for (const input of form.querySelectorAll("[data-measurement]")) checkRange(input);
    } finally {
      restoring = false;
    }
  }

  async function openDraft() {
    const wanted = /brouillon=([A-Za-z0-9-]+)/.exec(window.location.hash);
    let saved = null;
    try {
      if (wanted) {
        const candidate = await QuitusDrafts.get(wanted[1]);
        if (candidate && candidate.status === "editing" && candidate.templateId === templateId &&
            candidate.handle === handle && (candidate.visit || "") === visitId) saved = candidate;
      }
      if (!saved) saved = await QuitusDrafts.editing(templateId, handle, visitId);
    } catch (error) {
      sayDraft("bad", "Cette tablette ne garde pas les brouillons (stockage désactivé) : envoyez le rapport " +
        "avant de fermer la page.");
      return;
    }
    if (!saved) return;
    draft = saved;
    restoreDraft(saved);
    sayDraft("ok", "Brouillon du " + new Date(saved.updatedAt).toLocaleString("fr-FR") +
      " rétabli : il est enregistré sur la tablette.");
    if (saved.problem) QuitusApi.showMessage(result, "bad", saved.problem.text, saved.problem.details);
  }

  // -- measurements out of range: a warning, never a refusal --------------------------------

  function checkRange(input) {
    const warning = document.getElementById("range-" + input.dataset.measurement);
    if (!warning) return;
    const text = input.value.trim();
    const value = Number(text);
    const min = input.dataset.min;
    const max = input.dataset.max;
    const below = min !== undefined && value < Number(min);
    const above = max !== undefined && value > Number(max);
    const out = text !== "" && Number.isFinite(value) && (below || above);
    input.classList.toggle("out-of-range", out);
    warning.hidden = !out;
    warning.textContent = out
      ? "Hors plage (" + (min !== undefined ? min : "−∞") + " à " + (max !== undefined ? max : "+∞") + " " +
        input.dataset.unit + ") : la valeur sera envoyée et signalée dans le rapport. Vérifiez-la."
      : "";
  }

  // -- building the report ---------------------------------------------------------------

  function teamMembers() {
    const members = [];
    for (const row of form.querySelectorAll("[data-team-row]")) {
      const id = row.querySelector('[data-team="id"]').value.trim();
      const name = row.querySelector('[data-team="name"]').value.trim();
      if (id || name) members.push({ id: id, name: name });
    }
    return members;
  }

  function checkExtra() {
    const problems = [];
    for (const member of teamMembers()) {
      if (!member.id || !member.name) problems.push("Pour chaque technicien de l'équipe, indiquez son identifiant et son nom.");
    }
    const completed = !unfinished.checked;
    for (const [name, entry] of Object.entries(pads)) {
      const who = name === "client_signature" ? "du client" : "du technicien";
      const required = entry.block.dataset.required === "true" && completed;
      const signer = entry.block.querySelector("[data-signer]").value.trim();
      if (required && entry.pad.isEmpty()) problems.push("La signature " + who + " est obligatoire.");
      if (!entry.pad.isEmpty() && !signer) problems.push("Indiquez le nom du signataire (signature " + who + ").");
    }
    for (const input of form.querySelectorAll("input[type=file][data-photo-kind]")) {
      const needed = Number(input.dataset.minCount || 0);
      if (input.required && input.files.length < needed) {
        problems.push("Il faut au moins " + needed + " photo(s) : " + input.dataset.label + ".");
      }
    }
    return problems;
  }

  async function buildReport() {
    const report = {
      schema_version: 1,
      submission_id: draft.submissionId,
      equipment: { category: form.dataset.category },
      intervention_type: form.dataset.interventionType,
      checklist: [],
      measurements: [],
      selections: {},
      parts: [],
      photos: [],
      outcome: { status: unfinished.checked ? "unfinished" : "completed" },
    };
    for (const input of form.querySelectorAll("[data-field]")) {
      if (input.type === "radio" && !input.checked) continue;
      if (input.closest("[hidden]")) continue; // e.g. the reschedule block of a completed visit
      const value = input.value.trim();
      if (value === "") continue;
      setPath(report, input.dataset.field, input.dataset.type === "int" ? Number(value) : value);
    }
    if (unfinished.checked) {
      report.outcome.reschedule = report.outcome.reschedule || {};
    } else {
      delete report.outcome.reason;
      delete report.outcome.reschedule;
    }
    for (const item of form.querySelectorAll("[data-item]")) {
      const chosen = item.querySelector("input[type=radio]:checked");
      if (!chosen) continue;
      const entry = { id: item.dataset.item, status: chosen.value };
      const comment = item.querySelector("[data-comment]").value.trim();
      if (comment) entry.comment = comment;
      report.checklist.push(entry);
    }
    for (const input of form.querySelectorAll("[data-measurement]")) {
      if (input.value.trim() === "") continue;
      report.measurements.push({ id: input.dataset.measurement, value: input.value.trim(), unit: input.dataset.unit });
    }
    for (const select of form.querySelectorAll("[data-selection]")) {
      if (select.value) report.selections[select.dataset.selection] = select.value;
    }
    for (const row of parts.querySelectorAll(".part-row")) {
      const part = {};
      for (const input of row.querySelectorAll("[data-part]")) part[input.dataset.part] = input.value.trim();
      report.parts.push(part);
    }
    const team = teamMembers();
    if (team.length) report.team = team;
    for (const input of form.querySelectorAll("input[type=file][data-photo-kind]")) {
      for (const file of input.files) {
        report.photos.push({ kind: input.dataset.photoKind, image: { content_base64: await fileAsBase64(file) } });
      }
    }
    for (const [name, entry] of Object.entries(pads)) {
      if (entry.pad.isEmpty()) continue;
      report[name] = {
        signer_name: entry.block.querySelector("[data-signer]").value.trim(),
        signed_at: entry.signedAt || new Date().toISOString(),
        image: { content_base64: entry.pad.toPngBase64() },
      };
    }
    return report;
  }

  function setPath(target, path, value) {
    const keys = path.split(".");
    let node = target;
    for (const key of keys.slice(0, -1)) {
      if (typeof node[key] !== "object" || node[key] === null) node[key] = {};
      node = node[key];
    }
    node[keys[keys.length - 1]] = value;
  }

  function fileAsBase64(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(file);
    });
  }

  function showPreviews(input) {
    const box = input.parentElement.querySelector(".previews");
    for (const old of box.querySelectorAll("img")) URL.revokeObjectURL(old.src);
    box.replaceChildren();
    for (const file of input.files) {
      const image = document.createElement("img");
      image.alt = "Aperçu de la photo";
      image.src = URL.createObjectURL(file);
      box.appendChild(image);
    }
  }

  function showQueued(text, signInAgain) {
    form.hidden = true;
    draftStatus.hidden = true; // the queued card says where the report is
    const message = document.getElementById("queued-message");
    message.textContent = text;
    if (signInAgain) {
      const link = document.createElement("a");
      link.href = "/connexion";
      link.textContent = "Se reconnecter";
      link.className = "button small";
      message.append(" ", link);
    }
    document.getElementById("queued").hidden = false;
    window.scrollTo(0, 0);
  }

  function showSent(reportId) {
    draft.status = "sent";
    form.hidden = true;
    document.getElementById("queued").hidden = true;
    draftStatus.hidden = true;
    document.getElementById("sent-report-id").textContent = reportId;
    document.getElementById("sent-status-link").href = "/technicien/rapports/" + encodeURIComponent(reportId);
    const sent = document.getElementById("sent");
    sent.hidden = false;
    window.scrollTo(0, 0);
  }

  // -- small helpers ---------------------------------------------------------------------

  function randomHex(bytes) {
    const values = new Uint8Array(bytes);
    window.crypto.getRandomValues(values); // also on plain http, unlike crypto.randomUUID
    return Array.from(values, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function localDateTime(date) {
    const pad = (n) => String(n).padStart(2, "0");
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) +
      "T" + pad(date.getHours()) + ":" + pad(date.getMinutes());
  }

  function setIfEmpty(id, value) {
    const input = document.getElementById(id);
    if (input && !input.value) input.value = value;
  }

  function clock(date) {
    return date.toLocaleTimeString("fr-FR", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  openDraft();

  // -- the unit's history (GET /api/v1/equipment/history: technical data only) ------------

  const historyBox = document.getElementById("equipment-history-live");
  async function showEquipmentHistory() {
    const values = ["equipment-brand", "equipment-model", "equipment-serial"].map(
      (id) => document.getElementById(id).value.trim()
    );
    if (!historyBox || values.some((v) => !v) || !navigator.onLine) {
      if (historyBox) historyBox.hidden = true;
      return;
    }
    const query = new URLSearchParams({ category: form.dataset.category, brand: values[0], model: values[1], serial: values[2] });
    try {
      const answer = await fetch("/api/v1/equipment/history?" + query, { credentials: "same-origin", cache: "no-store" });
      if (!answer.ok) { historyBox.hidden = true; return; }
      const history = await answer.json();
      historyBox.textContent = history.lines.length ? history.lines.join(" ; ") + "." : "Aucune intervention enregistrée sur cet équipement.";
      historyBox.hidden = false;
    } catch (error) {
      historyBox.hidden = true; // offline or unreachable: the history is only a help
    }
  }
  for (const id of ["equipment-brand", "equipment-model", "equipment-serial"]) {
    document.getElementById(id).addEventListener("change", showEquipmentHistory);
  }
  showEquipmentHistory(); // a visit's form comes pre-filled
})();
