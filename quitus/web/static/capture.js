/* The technician's capture form: builds the report JSON (docs/report.schema.json) from
 * the form generated from the template and sends it to POST /api/v1/reports.
 *
 * Photos and signatures travel inline as base64. The submission id is drawn once per
 * form: sending again after a network error cannot create a second report.
 */
(function () {
  "use strict";

  const form = document.getElementById("capture-form");
  if (!form) return;
  const result = document.getElementById("submit-result");
  const submitButton = document.getElementById("submit-report");
  const unfinished = document.getElementById("unfinished");
  const submissionId = "web-" + randomHex(16);

  // -- form behaviour --------------------------------------------------------------------

  const pads = {};
  for (const block of form.querySelectorAll("[data-signature]")) {
    const state = block.querySelector("[data-pad-state]");
    const pad = new window.SignaturePad(block.querySelector("canvas"), {
      onChange: (p) => {
        block.classList.toggle("signed", !p.isEmpty());
        state.textContent = p.isEmpty() ? "Signez avec le doigt ou le stylet." : "Signature enregistrée.";
      },
    });
    block.querySelector("[data-clear]").addEventListener("click", () => pad.clear());
    pads[block.dataset.signature] = { pad: pad, block: block };
  }

  const technicianName = document.getElementById("technician-name");
  const technicianSigner = document.getElementById("technician-signer");
  technicianName.addEventListener("change", () => {
    if (!technicianSigner.value) technicianSigner.value = technicianName.value;
  });

  for (const radio of form.querySelectorAll('input[name="client-kind"]')) {
    radio.addEventListener("change", () => {
      const professional = form.querySelector('input[name="client-kind"]:checked').value === "professionnel";
      document.getElementById("client-company-block").hidden = !professional;
    });
  }

  unfinished.addEventListener("change", () => {
    const isUnfinished = unfinished.checked;
    document.getElementById("reschedule").hidden = !isUnfinished;
    document.getElementById("unfinished-reason").required = isUnfinished;
    for (const input of form.querySelectorAll("[data-required-when-completed]")) input.required = !isUnfinished;
  });

  const now = new Date();
  setIfEmpty("departure", localDateTime(now));
  setIfEmpty("arrival", localDateTime(new Date(now.getTime() - 60 * 60 * 1000)));

  const parts = document.getElementById("parts");
  document.getElementById("add-part").addEventListener("click", () => {
    const row = document.getElementById("part-row").content.firstElementChild.cloneNode(true);
    row.querySelector("[data-remove-part]").addEventListener("click", () => row.remove());
    parts.appendChild(row);
    row.querySelector("input").focus();
  });

  for (const input of form.querySelectorAll("input[type=file]")) {
    input.addEventListener("change", () => showPreviews(input));
  }

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
    try {
      const report = await buildReport();
      const answer = await QuitusApi.send("POST", "/api/v1/reports", report);
      if (answer.ok && answer.data && answer.data.state === "rejected") {
        // Refused at capture (schema, photos): the report is kept; correct and send again,
        // with the same submission id, which makes it a correction of that report.
        const details = (answer.data.issues || []).map((i) => (i.path ? i.path + " : " : "") + (i.message_fr || i.message));
        QuitusApi.showMessage(result, "bad", "Rapport " + answer.data.report_id + " refusé — corrigez puis renvoyez :", details);
        result.scrollIntoView({ behavior: "smooth", block: "center" });
        return;
      }
      if (answer.ok && answer.data && answer.data.report_id) {
        showSent(answer.data.report_id);
        return;
      }
      const message = answer.message || { text: "Envoi impossible.", details: [] };
      QuitusApi.showMessage(result, "bad", message.text, message.details);
    } catch (error) {
      QuitusApi.showMessage(result, "bad", "Lecture d'une photo impossible : choisissez-la à nouveau.");
    } finally {
      submitButton.disabled = false;
    }
  });

  // -- building the report ---------------------------------------------------------------

  function checkExtra() {
    const problems = [];
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
      submission_id: submissionId,
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
    for (const input of form.querySelectorAll("input[type=file][data-photo-kind]")) {
      for (const file of input.files) {
        report.photos.push({ kind: input.dataset.photoKind, image: { content_base64: await fileAsBase64(file) } });
      }
    }
    const signedAt = new Date().toISOString();
    for (const [name, entry] of Object.entries(pads)) {
      if (entry.pad.isEmpty()) continue;
      report[name] = {
        signer_name: entry.block.querySelector("[data-signer]").value.trim(),
        signed_at: signedAt,
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

  function showSent(reportId) {
    form.hidden = true;
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
})();
