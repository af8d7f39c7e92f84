// Knowledge: collections (create, share for administrators, delete), files or folders
// uploaded into one with a progress bar each, its documents and their chunks, search with the
// query's words highlighted, and questions answered from it with citations that open the
// passage they cite.
import { request, streamAsk } from "./api.js";
import { h, showAlert } from "./dom.js";
import { addFile } from "./files.js";
import { displayName, renderCited, showPassage, sourceTitle } from "./citations.js";

/** Shows the knowledge view in `root` for `me`; returns what stops it. */
export function showKnowledge(root, me) {
  const state = { collection: null, asking: null };
  const list = h("ul", { class: "collections", "aria-label": "Collections" });
  const newName = h("input", { id: "new-collection", placeholder: "notes", required: true, pattern: "[A-Za-z0-9._-]+" });
  const create = h("form", { class: "inline" }, h("label", { for: "new-collection" }, "New collection"), newName,
    h("button", { type: "submit", class: "primary" }, "Create"));
  const detail = h("section", { class: "collection", "aria-label": "Collection" });
  root.replaceChildren(h("div", { class: "split" }, h("aside", { class: "sidebar" }, create, list), detail));

  create.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const made = await request("POST", "/hearth/collections", { name: newName.value.trim() });
      newName.value = "";
      await refresh();
      open(made.name);
    } catch (error) {
      showAlert(error.message);
    }
  });

  refresh().then(() => open(list.querySelector("[data-name]")?.dataset.name ?? null));
  return () => state.asking?.abort();

  async function refresh() {
    try {
      const answer = await request("GET", "/hearth/collections");
      list.replaceChildren(...answer.collections.map((collection) =>
        h("li", { "data-name": collection.name, class: collection.name === state.collection ? "current" : null },
          h("button", { type: "button", class: "open", onclick: () => open(collection.name) },
            collection.name, h("span", { class: "count" }, `${collection.documents} docs`)))));
    } catch (error) {
      showAlert(`Collections: ${error.message}`);
    }
  }

  async function open(name) {
    state.asking?.abort();
    state.collection = name;
    for (const item of list.children) item.classList.toggle("current", item.dataset.name === name);
    if (!name) {
      detail.replaceChildren(h("p", { class: "empty" }, "Create a collection, then add files to it."));
      return;
    }
    let info;
    try {
      info = await request("GET", `/hearth/collections/${encodeURIComponent(name)}`);
    } catch (error) {
      showAlert(error.message);
      return;
    }
    const files = h("input", { id: "files", type: "file", multiple: true });
    const folder = h("input", { id: "folder", type: "file", webkitdirectory: "" });
    const uploads = h("ul", { class: "uploads", "aria-label": "Uploads" });
    const documents = h("ul", { class: "documents", "aria-label": "Documents" });
    const counts = h("span", { class: "count" });
    const shares = h("input", { id: "shares", placeholder: "alice, bob (or *)" });
    const share = h("form", { class: "inline", hidden: me.role !== "admin" },
      h("label", { for: "shares" }, "Shared with"), shares, h("button", { type: "submit" }, "Share"));
    const show = (info) => {
      counts.textContent = `${info.collection.documents} documents · ${info.collection.chunks} chunks · ${info.collection.embedding_model}`;
      shares.value = (info.shared_with ?? []).join(", ");
      documents.replaceChildren(...info.documents.map((document) => {
        const chunks = h("ol", { class: "chunks", hidden: true });
        const toggle = h("button", { type: "button", class: "open", "aria-expanded": "false" }, displayName(document.path));
        toggle.addEventListener("click", () => showChunks(name, document.path, toggle, chunks));
        return h("li", { "data-path": document.path }, toggle,
          h("span", { class: "count" }, `${document.chunks} chunks · ${formatBytes(document.bytes)}`), chunks);
      }));
    };
    show(info);
    // After an upload: the documents and counts again, the uploads' rows stay.
    const reload = async () => {
      if (state.collection !== name) return;
      try {
        show(await request("GET", `/hearth/collections/${encodeURIComponent(name)}`));
        refresh();
      } catch (error) {
        showAlert(error.message);
      }
    };
    const question = h("input", { id: "question", placeholder: "Ask something the files answer", required: true });
    const answer = h("div", { class: "answer content", "aria-live": "polite" });
    const sources = h("ol", { class: "sources", "aria-label": "Sources" });
    const passage = h("div", { class: "passage", id: "passage", hidden: true, tabindex: -1 });
    const query = h("input", { id: "search", type: "search", placeholder: "Words or a question", required: true });
    const hits = h("ol", { class: "hits", "aria-label": "Search results" });
    const ask = h("form", { class: "inline" }, h("label", { for: "question" }, "Ask"), question, h("button", { type: "submit", class: "primary" }, "Ask"));
    const search = h("form", { class: "inline" }, h("label", { for: "search" }, "Search"), query, h("button", { type: "submit" }, "Search"));
    const remove = h("button", { type: "button", class: "danger" }, "Delete collection");
    detail.replaceChildren(
      h("div", { class: "heading" }, h("h2", {}, name), counts, remove),
      share,
      h("div", { class: "inline" }, h("label", { for: "files" }, "Add files"), files,
        h("label", { for: "folder" }, "or a folder"), folder), uploads,
      ask, answer, sources, passage, search, hits,
      h("h3", {}, "Documents"), documents);

    files.addEventListener("change", () => {
      for (const file of files.files) addFile(name, file, uploads).then(reload);
      files.value = "";
    });
    folder.addEventListener("change", async () => {
      // One at a time, hidden files and folders left out (as `hearth ingest` does).
      const chosen = [...folder.files].filter((file) => !file.webkitRelativePath.split("/").some((part) => part.startsWith(".")));
      folder.value = "";
      for (const file of chosen) await addFile(name, file, uploads);
      reload();
    });
    share.addEventListener("submit", async (event) => {
      event.preventDefault();
      const users = shares.value.split(",").map((user) => user.trim()).filter(Boolean);
      try {
        show(await request("PUT", `/hearth/collections/${encodeURIComponent(name)}/shares`, { users }));
        showAlert(users.length ? `Shared with ${users.join(", ")}.` : "Shared with nobody.", "info");
      } catch (error) {
        showAlert(error.message);
      }
    });
    remove.addEventListener("click", async () => {
      if (!window.confirm(`Delete the collection “${name}” and its documents?`)) return;
      try {
        await request("DELETE", `/hearth/collections/${encodeURIComponent(name)}`);
        await refresh();
        open(list.querySelector("[data-name]")?.dataset.name ?? null);
      } catch (error) {
        showAlert(error.message);
      }
    });
    ask.addEventListener("submit", async (event) => {
      event.preventDefault();
      state.asking?.abort();
      const controller = new AbortController();
      state.asking = controller;
      let text = "";
      let found = [];
      answer.replaceChildren(h("p", { class: "muted" }, "Searching…"));
      sources.replaceChildren();
      passage.hidden = true;
      try {
        await streamAsk({ question: question.value, collection: name }, {
          signal: controller.signal,
          onSources: (list) => {
            found = list;
            sources.replaceChildren(...list.map((source) => h("li", {},
              h("button", { type: "button", class: "source", onclick: () => showPassage(passage, source) }, sourceTitle(source)))));
          },
          onText: (piece) => {
            text += piece;
            renderCited(answer, text, found, passage);
          },
        });
        renderCited(answer, text, found, passage);
      } catch (error) {
        if (error.name !== "AbortError") {
          answer.replaceChildren();
          showAlert(error.message);
        }
      } finally {
        if (state.asking === controller) state.asking = null;
      }
    });
    search.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const result = await request("POST", "/hearth/search", { query: query.value, collection: name, k: 10 });
        const words = query.value.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) ?? [];
        hits.replaceChildren(...result.hits.map((hit) => h("li", {},
          h("div", { class: "hit-title" }, `${displayName(hit.path)}${hit.heading ? ` — ${hit.heading}` : ""} · ${hit.location?.summary ?? ""}`),
          h("p", { class: "hit-text" }, ...highlighted(hit.text, words)))));
        if (!result.hits.length) hits.replaceChildren(h("li", { class: "muted" }, "Nothing found."));
      } catch (error) {
        showAlert(error.message);
      }
    });
  }

  /** Shows (or hides again) the chunks of the document at `path`, as they were indexed. */
  async function showChunks(collection, path, toggle, list) {
    const opening = list.hidden;
    toggle.setAttribute("aria-expanded", String(opening));
    list.hidden = !opening;
    if (!opening || list.childElementCount) return;
    try {
      const answer = await request("GET", `/hearth/collections/${encodeURIComponent(collection)}/chunks?path=${encodeURIComponent(path)}`);
      list.replaceChildren(...answer.chunks.map((text) => h("li", {}, h("p", { class: "hit-text" }, text))));
    } catch (error) {
      showAlert(error.message);
    }
  }
}

/** `text` as text nodes, with each of `words` wrapped in <mark>. */
function highlighted(text, words) {
  if (!words.length) return [text];
  const pattern = new RegExp(`(${words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})`, "giu");
  return text.split(pattern).map((part, index) => (index % 2 ? h("mark", {}, part) : part));
}

function formatBytes(bytes) {
  return bytes < 1024 ? `${bytes} B` : bytes < 1 << 20 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / (1 << 20)).toFixed(1)} MB`;
}
