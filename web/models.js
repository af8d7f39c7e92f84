// Models: what is installed (size, parameters, quantisation, profiles), pulling one by name or
// URL with live progress, and deleting one (administrators).
import { post, readLines, request } from "./api.js";
import { h, showAlert } from "./dom.js";

/** Shows the models view in `root` for `me`. */
export function showModels(root, me) {
  const table = h("tbody");
  const name = h("input", { id: "pull-model", placeholder: "gemma3:270m or https://…/model.gguf", required: true });
  const as = h("input", { id: "pull-name", placeholder: "optional, for a URL: name:tag" });
  const pullButton = h("button", { type: "submit", class: "primary" }, "Pull");
  const bar = h("progress", { max: 1, value: 0, hidden: true, "aria-label": "Pull progress" });
  const status = h("span", { class: "status", id: "pull-status", "aria-live": "polite" });
  const pull = h("form", { class: "inline" },
    h("label", { for: "pull-model" }, "Pull"), name, h("label", { for: "pull-name" }, "as"), as, pullButton, bar, status);
  root.replaceChildren(h("section", { class: "page" },
    me.role === "admin" ? pull : null,
    h("table", { class: "models" },
      h("thead", {}, h("tr", {}, ...["Name", "Size", "Parameters", "Quantisation", "Architecture", ""].map((title) => h("th", {}, title)))),
      table)));

  pull.addEventListener("submit", async (event) => {
    event.preventDefault();
    pullButton.disabled = true;
    bar.hidden = false;
    bar.value = 0;
    status.textContent = "starting";
    try {
      const response = await post("/hearth/models/pull", { model: name.value.trim(), ...(as.value.trim() ? { name: as.value.trim() } : {}) });
      let failure = null;
      await readLines(response, (line) => {
        if (line.status === "error") failure = line.error?.message ?? "the pull failed";
        else if (line.total && line.completed !== undefined) {
          bar.value = line.completed / line.total;
          status.textContent = `${line.status} ${Math.floor((100 * line.completed) / line.total)}%`;
        } else status.textContent = line.status;
      });
      if (failure) throw new Error(failure);
      bar.value = 1;
      status.textContent = "success";
      refresh();
    } catch (error) {
      status.textContent = `failed: ${error.message}`;
      showAlert(error.message);
    } finally {
      pullButton.disabled = false;
    }
  });

  refresh();

  async function refresh() {
    try {
      const answer = await request("GET", "/hearth/models");
      table.replaceChildren(...answer.models.map((model) => h("tr", { "data-model": model.name },
        h("td", {}, model.name, model.profile_of ? h("span", { class: "count" }, ` profile of ${model.profile_of}`) : null),
        h("td", {}, formatSize(model.size)),
        h("td", {}, model.parameters ? `${(model.parameters / 1e6).toFixed(0)} M` : ""),
        h("td", {}, model.quantization ?? ""),
        h("td", {}, model.architecture ?? ""),
        h("td", {}, me.role === "admin"
          ? h("button", { type: "button", class: "quiet", "aria-label": `Delete ${model.name}`, onclick: () => remove(model.name) }, "Delete")
          : null))));
    } catch (error) {
      showAlert(`Models: ${error.message}`);
    }
  }

  async function remove(model) {
    if (!window.confirm(`Delete ${model}?`)) return;
    try {
      await request("DELETE", `/hearth/models/${encodeURIComponent(model)}`);
      refresh();
    } catch (error) {
      showAlert(error.message);
    }
  }
}

function formatSize(bytes) {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(0)} MB`;
}
