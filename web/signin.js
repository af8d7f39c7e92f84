// The sign-in form: a user's name and password give a session (an HttpOnly cookie).
import { request } from "./api.js";
import { h } from "./dom.js";

/** Shows the form in `root`; calls onSignedIn() once the server accepted the password. */
export function showSignIn(root, onSignedIn) {
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const name = h("input", { id: "signin-name", name: "username", autocomplete: "username", required: true });
  const password = h("input", { id: "signin-password", name: "password", type: "password", autocomplete: "current-password", required: true });
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h("form", { class: "signin", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "Sign in to Hearth"),
    h("label", { for: "signin-name" }, "User name"), name,
    h("label", { for: "signin-password" }, "Password"), password,
    error, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    error.hidden = true;
    try {
      await request("POST", "/hearth/auth/login", { name: name.value, password: password.value });
      password.value = "";
      onSignedIn();
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
      password.select();
    } finally {
      submit.disabled = false;
    }
  });
  root.replaceChildren(form);
  name.focus();
}
