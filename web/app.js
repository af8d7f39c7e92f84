// The web UI's entry: finds out who is signed in (GET /hearth/auth/me), then shows the chat,
// or the sign-in form when the server wants one.
import { request } from "./api.js";
import { showChat } from "./chat.js";
import { h, showAlert } from "./dom.js";
import { showSignIn } from "./signin.js";

const root = document.getElementById("app");
const who = document.getElementById("who");

async function start() {
  let me;
  try {
    me = await request("GET", "/hearth/auth/me");
  } catch (error) {
    if (error.status === 401) {
      who.replaceChildren();
      showSignIn(root, start);
      return;
    }
    root.replaceChildren(h("p", { class: "loading" }, `Hearth does not answer: ${error.message}`));
    return;
  }
  const signOut = h("button", { type: "button", class: "quiet", onclick: signOutNow }, "Sign out");
  who.replaceChildren(
    h("span", { class: "user", title: `role: ${me.role}` }, me.via === "open" ? "open server" : me.user),
    me.via === "session" ? signOut : null);
  showChat(root, me);
}

async function signOutNow() {
  try {
    await request("POST", "/hearth/auth/logout");
  } catch (error) {
    showAlert(error.message);
  }
  start();
}

start();
