/* A planned visit's capture form (/technicien/visites/<id>/rapport): put the plan's values in
 * the form before capture.js reads it, and mark the checklist items the visit takes up again.
 *
 * The values come from the page itself (<script type="application/json" id="visit-prefill">,
 * data, never run): the client, the request and the equipment of the unfinished report, and
 * "continues", its number. A draft of this visit kept on the tablet is put back over them by
 * capture.js, as for any form. Everything is written with .value and .textContent: nothing
 * from the plan is ever read as HTML. This script writes nothing to the console.
 */
(function () {
  "use strict";

  const form = document.getElementById("capture-form");
  const data = document.getElementById("visit-prefill");
  if (!form || !data) return;
  let prefill;
  try {
    prefill = JSON.parse(data.textContent);
  } catch (error) {
    return;
  }

  for (const [path, value] of Object.entries(prefill.fields || {})) {
    const inputs = form.querySelectorAll('[data-field="' + CSS.escape(path) + '"]');
    for (const input of inputs) {
      if (input.type === "radio") input.checked = input.value === value;
      else if (!input.readOnly || input.type === "hidden") input.value = value;
    }
  }

  // The visit's other technicians: their ids in the team rows (their names are typed on site).
  (prefill.team || []).slice(0, 3).forEach((handle, index) => {
    const input = document.getElementById("team-" + index + "-id");
    if (input && !input.value) input.value = handle;
  });

  // A professional client's company name sits in a block shown for professionals only.
  const kind = (prefill.fields || {})["client.kind"];
  const companyBlock = document.getElementById("client-company-block");
  if (companyBlock && kind === "professionnel") companyBlock.hidden = false;

  for (const item of prefill.carried_over || []) {
    const block = form.querySelector('[data-item="' + CSS.escape(item.id) + '"]');
    if (!block) continue;
    block.classList.add("carried-over");
    const note = document.createElement("p");
    note.className = "hint carried-over-note";
    note.textContent = "À reprendre — lors de la dernière visite : " + item.status + (item.comment ? " (« " + item.comment + " »)" : "") + ".";
    block.insertBefore(note, block.querySelector(".segmented"));
  }
})();
