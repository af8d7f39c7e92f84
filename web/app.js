// The web UI's entry: finds out who is signed in (GET /hearth/auth/me), then shows the view
// the address names (#/chat, #/knowledge, #/models, #/dashboard, #/admin), or the sign-in form when the
// server wants one.
import { request } from "./api.js";
import { showAdmin } from "./admin.js";
import { showChat } from "./chat.js";
import { showDashboard } from "./dashboard.js";
import { h, showAlert } from "./dom.js";
import { showKnowledge } from "./knowledge.js";
import { showModels } from "./models.js";
import { showSignIn } from "./signin.js";

const root = document.getElementById("app");
const who = document.getElementById("who");
const nav = document.getElementById("nav");
const views = {
  chat: { title: "Chat", show: showChat },
  knowledge: { title: "Knowledge", show: showKnowledge },
  models: { title: "Models", show: showModels },
  dashboard: { title: "Dashboard", show: showDashboard },
  admin: { title: "Admin", show: showAdmin, admin: true },
};
let me = null;
let leave = null; // stops what the shown view runs (a stream, a question)

async function start() {
  try {
    me = await request("GET", "/hearth/auth/me");
  } catch (error) {
    me = null;
    leave?.();
    leave = null;
    nav.replaceChildren();
    who.replaceChildren();
    if (error.status === 401) showSignIn(root, start);
    else root.replaceChildren(h("p", { class: "loading" }, `Hearth does not answer: ${error.message}`));
    return;
  }
  const signOut = h("button", { type: "button", class: "quiet", onclick: signOutNow }, "Sign out");
  who.replaceChildren(h("span", { class: "user", title: `role: ${me.role}` }, me.via === "open" ? "open server" : me.user));
  if (me.via === "session") who.append(signOut);
  nav.replaceChildren(...Object.entries(views)
    .filter(([, view]) => !view.admin || me.role === "admin")
    .map(([name, view]) => h("a", { href: `#/${name}`, "data-view": name }, view.title)));
  route();
}

function route() {
  if (!me) return;
  const name = location.hash.replace(/^#\//, "") || "chat";
  const view = views[name] && (!views[name].admin || me.role === "admin") ? views[name] : views.chat;
  for (const link of nav.children) {
    if (views[link.dataset.view] === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  leave?.();
  leave = view.show(root, me) ?? null;
}

async function signOutNow() {
  try {
    await request("POST", "/hearth/auth/logout");
  } catch (error) {
    showAlert(error.message);
  }
  location.hash = "";
  start();
}

window.addEventListener("hashchange", route);
start();
