// Models: what is installed (size, parameters, quantisation, profiles); administrators pull
// one by name or URL with live progress, make a profile (a model with its own system prompt
// and parameters), copy one under another name, and delete one.
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
  const profileName = h("input", { id: "profile-name", placeholder: "helper:latest", required: true });
  const profileFrom = h("select", { id: "profile-from", required: true });
  const profileSystem = h("textarea", { id: "profile-system", rows: 2, placeholder: "You are a concise assistant." });
  const profileTemperature = h("input", { id: "profile-temperature", type: "number", min: 0, max: 2, step: 0.1, placeholder: "default" });
  const profile = h("form", { class: "stacked", "aria-label": "New profile" },
    h("h3", {}, "New profile"),
    h("label", { for: "profile-name" }, "Name"), profileName,
    h("label", { for: "profile-from" }, "From"), profileFrom,
    h("label", { for: "profile-system" }, "System prompt"), profileSystem,
    h("label", { for: "profile-temperature" }, "Temperature"), profileTemperature,
    h("button", { type: "submit", class: "primary" }, "Create profile"));
  const copySource = h("select", { id: "copy-source", required: true });
  const copyName = h("input", { id: "copy-name", placeholder: "name:tag", required: true });
  const copy = h("form", { class: "inline", "aria-label": "Copy a model" },
    h("label", { for: "copy-source" }, "Copy"), copySource, h("label", { for: "copy-name" }, "to"), copyName,
    h("button", { type: "submit" }, "Copy"));
  const admin = me.role === "admin";
  root.replaceChildren(h("section", { class: "page" },
    admin ? pull : null,
    admin ? h("details", { class: "more" }, h("summary", {}, "Profiles and copies"), profile, copy) : null,
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

  profile.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { name: profileName.value.trim(), from: profileFrom.value };
    if (profileSystem.value.trim()) body.system = profileSystem.value.trim();
    if (profileTemperature.value !== "") body.parameters = { temperature: profileTemperature.value };
    try {
      await request("POST", "/hearth/models", body);
      showAlert(`Created ${body.name}.`, "info");
      profile.reset();
      refresh();
    } catch (error) {
      showAlert(error.message);
    }
  });
  copy.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const answer = await request("POST", "/hearth/models/copy", { source: copySource.value, destination: copyName.value.trim() });
      showAlert(`Copied to ${answer.name}.`, "info");
      copy.reset();
      refresh();
    } catch (error) {
      showAlert(error.message);
    }
  });

  refresh();

  async function refresh() {
    try {
      const answer = await request("GET", "/hearth/models");
      const names = answer.models.map((model) => model.name);
      for (const select of [profileFrom, copySource]) {
        const chosen = select.value;
        select.replaceChildren(...names.map((n) => h("option", { value: n }, n)));
        if (names.includes(chosen)) select.value = chosen;
      }
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
