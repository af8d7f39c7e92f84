// The sign-in form: a user's name and password, or an API key, give a session (an HttpOnly
// cookie; a key's session keeps the key's limits and ends with it).
import { request } from "./api.js";
import { h } from "./dom.js";

/** Shows the form in `root`; calls onSignedIn() once the server accepted it. */
export function showSignIn(root, onSignedIn) {
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const name = h("input", { id: "signin-name", name: "username", autocomplete: "username" });
  const password = h("input", { id: "signin-password", name: "password", type: "password", autocomplete: "current-password" });
  const key = h("input", { id: "signin-key", name: "key", type: "password", autocomplete: "off", placeholder: "hth_…" });
  const byPassword = h("div", { class: "fields" },
    h("label", { for: "signin-name" }, "User name"), name, h("label", { for: "signin-password" }, "Password"), password);
  const byKey = h("div", { class: "fields", hidden: true }, h("label", { for: "signin-key" }, "API key"), key);
  const toggle = h("button", { type: "button", class: "quiet" }, "Use an API key instead");
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h("form", { class: "signin", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "Sign in to Hearth"), byPassword, byKey, error, submit, toggle);
  toggle.addEventListener("click", () => {
    const useKey = byKey.hidden;
    byKey.hidden = !useKey;
    byPassword.hidden = useKey;
    toggle.textContent = useKey ? "Use a name and password instead" : "Use an API key instead";
    (useKey ? key : name).focus();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    error.hidden = true;
    try {
      const body = byKey.hidden ? { name: name.value, password: password.value } : { key: key.value.trim() };
      await request("POST", "/hearth/auth/login", body);
      password.value = "";
      key.value = "";
      onSignedIn();
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
      (byKey.hidden ? password : key).select();
    } finally {
      submit.disabled = false;
    }
  });
  root.replaceChildren(form);
  name.focus();
}
