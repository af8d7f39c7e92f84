// Administration: users (add, disable, enable), API keys (create — the secret is shown once —
// and revoke), usage by user and by model, the audit log, and the server's settings (read
// only). Only administrators see it; the server refuses everyone else anyway.
import { request } from "./api.js";
import { h, showAlert } from "./dom.js";

/** Shows the administration view in `root`. */
export function showAdmin(root) {
  const users = h("tbody");
  const keys = h("tbody");
  const userName = h("input", { id: "new-user", placeholder: "alice", required: true });
  const role = h("select", { id: "new-user-role" }, h("option", { value: "user" }, "user"), h("option", { value: "admin" }, "admin"));
  const addUser = h("form", { class: "inline" }, h("label", { for: "new-user" }, "New user"), userName,
    h("label", { for: "new-user-role" }, "Role"), role, h("button", { type: "submit" }, "Add"));
  const keyUser = h("input", { id: "key-user", placeholder: "user (default: you)" });
  const keyLabel = h("input", { id: "key-label", placeholder: "label" });
  const secret = h("div", { class: "secret", hidden: true, role: "status" });
  const usageBy = h("select", { id: "usage-by" }, h("option", { value: "user" }, "user"), h("option", { value: "model" }, "model"),
    h("option", { value: "day" }, "day"), h("option", { value: "key" }, "key"));
  const usageDays = h("select", { id: "usage-days" }, ...[1, 7, 30, 365].map((days) => h("option", { value: days, selected: days === 30 }, `${days} days`)));
  const usage = h("tbody", { id: "usage" });
  const audit = h("tbody", { id: "audit" });
  const settings = h("tbody", { id: "settings" });
  const createKey = h("form", { class: "inline" }, h("label", { for: "key-user" }, "New key for"), keyUser,
    h("label", { for: "key-label" }, "Label"), keyLabel, h("button", { type: "submit", class: "primary" }, "Create key"));
  root.replaceChildren(h("section", { class: "page" },
    h("h2", {}, "Users"), addUser,
    h("table", {}, h("thead", {}, h("tr", {}, ...["Name", "Role", "State", ""].map((t) => h("th", {}, t)))), users),
    h("h2", {}, "API keys"), createKey, secret,
    h("table", {}, h("thead", {}, h("tr", {}, ...["Key", "User", "Label", "Created", "State", ""].map((t) => h("th", {}, t)))), keys),
    h("h2", {}, "Usage"),
    h("div", { class: "inline" }, h("label", { for: "usage-by" }, "By"), usageBy, h("label", { for: "usage-days" }, "Over"), usageDays),
    h("table", {}, h("thead", {}, h("tr", {}, ...["", "Requests", "Prompt tokens", "Completion tokens"].map((t) => h("th", {}, t)))), usage),
    h("h2", {}, "Audit log"),
    h("table", {}, h("thead", {}, h("tr", {}, ...["Time", "Who", "Action", "Target", "Address"].map((t) => h("th", {}, t)))), audit),
    h("h2", {}, "Server settings"),
    h("p", { class: "muted" }, "As the server runs now; they change by the HEARTH_* variables and a restart."),
    h("table", {}, h("thead", {}, h("tr", {}, ...["Setting", "Value", "What it does"].map((t) => h("th", {}, t)))), settings)));
  usageBy.addEventListener("change", showUsage);
  usageDays.addEventListener("change", showUsage);

  addUser.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await request("POST", "/hearth/users", { name: userName.value.trim(), role: role.value });
      userName.value = "";
      refresh();
    } catch (error) {
      showAlert(error.message);
    }
  });
  createKey.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const body = {};
      if (keyUser.value.trim()) body.user = keyUser.value.trim();
      if (keyLabel.value.trim()) body.label = keyLabel.value.trim();
      const made = await request("POST", "/hearth/keys", body);
      const value = h("code", { id: "new-key" }, made.key);
      secret.replaceChildren("New key (shown once; copy it now): ", value,
        h("button", { type: "button", class: "quiet", onclick: () => navigator.clipboard?.writeText(made.key) }, "Copy"),
        h("button", { type: "button", class: "quiet", onclick: () => { secret.hidden = true; secret.replaceChildren(); } }, "Done"));
      secret.hidden = false;
      keyLabel.value = "";
      refresh();
      showUsage();
    } catch (error) {
      showAlert(error.message);
    }
  });

  refresh();
  showUsage();
  showSettings();

  async function showSettings() {
    try {
      const answer = await request("GET", "/hearth/settings");
      settings.replaceChildren(...answer.settings.map((setting) => h("tr", { "data-setting": setting.name },
        h("td", {}, h("code", {}, setting.name)), h("td", {}, setting.value), h("td", { class: "muted" }, setting.help))));
    } catch (error) {
      showAlert(error.message);
    }
  }

  async function showUsage() {
    try {
      const [totals, log] = await Promise.all([
        request("GET", `/hearth/usage?by=${usageBy.value}&days=${usageDays.value}`),
        request("GET", "/hearth/audit?days=30&limit=100"),
      ]);
      usage.replaceChildren(...totals.totals.map((total) => h("tr", { "data-group": total.group },
        h("td", {}, total.group), h("td", {}, String(total.requests)),
        h("td", {}, String(total.prompt_tokens)), h("td", {}, String(total.completion_tokens)))));
      audit.replaceChildren(...log.events.map((event) => h("tr", {},
        h("td", {}, new Date(event.time * 1000).toLocaleString()), h("td", {}, event.actor), h("td", {}, event.action),
        h("td", {}, event.target), h("td", {}, event.address ?? ""))));
    } catch (error) {
      showAlert(error.message);
    }
  }

  async function refresh() {
    try {
      const [userList, keyList] = await Promise.all([request("GET", "/hearth/users"), request("GET", "/hearth/keys")]);
      users.replaceChildren(...userList.users.map((user) => h("tr", { "data-user": user.name },
        h("td", {}, user.name), h("td", {}, user.role), h("td", {}, user.disabled ? "disabled" : "active"),
        h("td", {}, h("button", { type: "button", class: "quiet", onclick: () => act(`/hearth/users/${encodeURIComponent(user.name)}/${user.disabled ? "enable" : "disable"}`) },
          user.disabled ? "Enable" : "Disable")))));
      keys.replaceChildren(...keyList.keys.map((key) => h("tr", { "data-key": key.id },
        h("td", {}, h("code", {}, `${key.prefix}…`)), h("td", {}, key.user), h("td", {}, key.label ?? ""),
        h("td", {}, new Date(key.created_at * 1000).toLocaleString()),
        h("td", { class: "state" }, key.revoked_at ? "revoked" : "active"),
        h("td", {}, key.revoked_at ? null : h("button", { type: "button", class: "quiet", "aria-label": `Revoke ${key.prefix}`, onclick: () => revoke(key) }, "Revoke")))));
    } catch (error) {
      showAlert(error.message);
    }
  }

  async function act(path) {
    try {
      await request("POST", path);
      refresh();
    } catch (error) {
      showAlert(error.message);
    }
  }

  async function revoke(key) {
    if (!window.confirm(`Revoke ${key.prefix}…? Clients using it are refused at once.`)) return;
    try {
      await request("DELETE", `/hearth/keys/${encodeURIComponent(key.id)}`);
      refresh();
      showUsage();
    } catch (error) {
      showAlert(error.message);
    }
  }
}
