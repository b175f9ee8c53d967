/* Reports kept on the tablet (IndexedDB, database "quitus", store "drafts") until the
 * server has accepted them: the one place that reads or writes that storage.
 *
 * A record, keyed by its submissionId (drawn once per draft, so that a resend is never a
 * second report):
 *   { submissionId, templateId, handle, status: "editing" | "queued", updatedAt,
 *     values: {…}, parts: [...], photos: {inputId: [File…]}, signatures: {name: strokes},
 *     body: "<the report JSON, byte for byte as it will be sent>" (queued only),
 *     problem: {text, details} (why the server refused it, when it did) }
 *
 * It holds personal data (the client's name, address, signatures, photos): it is removed
 * once the server has accepted the report, and everything is removed at sign-out
 * (clearAll). Nothing here is ever written to the console.
 *
 *   await QuitusDrafts.put(record); await QuitusDrafts.get(id); await QuitusDrafts.remove(id);
 *   await QuitusDrafts.all(); await QuitusDrafts.clearAll();
 */
(function () {
  "use strict";

  const NAME = "quitus";
  const STORE = "drafts";
  let opening = null;

  function open() {
    if (!window.indexedDB) return Promise.reject(new Error("IndexedDB unavailable"));
    if (!opening) {
      opening = new Promise((resolve, reject) => {
        const request = indexedDB.open(NAME, 1);
        request.onupgradeneeded = () => {
          const store = request.result.createObjectStore(STORE, { keyPath: "submissionId" });
          store.createIndex("templateId", "templateId");
        };
        request.onsuccess = () => {
          const db = request.result;
          db.onversionchange = () => { db.close(); opening = null; }; // e.g. deleted at sign-out
          resolve(db);
        };
        request.onerror = () => { opening = null; reject(request.error); };
        request.onblocked = () => { opening = null; reject(new Error("IndexedDB blocked")); };
      });
    }
    return opening;
  }

  async function run(mode, action) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      let result;
      const request = action(transaction.objectStore(STORE));
      if (request) request.onsuccess = () => { result = request.result; };
      transaction.oncomplete = () => resolve(result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error || new Error("IndexedDB aborted"));
    });
  }

  function put(record) {
    record.updatedAt = new Date().toISOString();
    return run("readwrite", (store) => store.put(record));
  }

  function get(submissionId) {
    return run("readonly", (store) => store.get(submissionId));
  }

  function remove(submissionId) {
    return run("readwrite", (store) => store.delete(submissionId));
  }

  async function all() {
    return (await run("readonly", (store) => store.getAll())) || [];
  }

  async function queued(handle) {
    return (await all())
      .filter((r) => r.status === "queued" && (handle === undefined || r.handle === handle))
      .sort((a, b) => String(a.queuedAt).localeCompare(String(b.queuedAt)));
  }

  /* The draft being typed for this template by this technician (the latest one), for this
   * planned visit ("" or undefined: a report that continues none). */
  async function editing(templateId, handle, visit) {
    const mine = (await all()).filter(
      (r) => r.status === "editing" && r.templateId === templateId && r.handle === handle &&
        (r.visit || "") === (visit || "")
    );
    mine.sort((a, b) => String(b.updatedAt).localeCompare(String(a.updatedAt)));
    return mine[0] || null;
  }

  async function clearAll() {
    if (opening) {
      try { (await opening).close(); } catch (error) { /* not open */ }
      opening = null;
    }
    await new Promise((resolve) => {
      const request = indexedDB.deleteDatabase(NAME);
      request.onsuccess = request.onerror = request.onblocked = () => resolve();
    });
  }

  window.QuitusDrafts = {
    put: put, get: get, remove: remove, all: all, queued: queued, editing: editing, clearAll: clearAll,
  };
})();
