// Builds elements from plain data. Text always goes in as text (never parsed as HTML): the
// only HTML the UI inserts is sanitised Markdown (markdown.js).

/** h("button", { class: "x", onclick: f }, "Send") → <button class="x">Send</button> */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  element.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

/** Shows a message in the alert bar (an error, unless kind is "info"); hides it after 8 s. */
let alertTimer;
export function showAlert(message, kind = "error") {
  const bar = document.getElementById("alert");
  bar.textContent = message;
  bar.dataset.kind = kind;
  bar.hidden = false;
  clearTimeout(alertTimer);
  alertTimer = setTimeout(() => { bar.hidden = true; }, 8000);
}
