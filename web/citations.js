// Answers from collections: each [n] in the text is a button that opens the passage of
// source n (the knowledge view's questions and grounded chats).
import { h } from "./dom.js";
import { renderMarkdown } from "./markdown.js";

/** `text` as Markdown in `element`, each [n] a button that shows source n in `passage`. */
export function renderCited(element, text, sources, passage) {
  renderMarkdown(element, text);
  if (!sources?.length) return;
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  const nodes = [];
  while (walker.nextNode()) {
    const node = walker.currentNode;
    // [n] in code or a formula is not a citation.
    if (/\[\d+\]/.test(node.nodeValue) && !node.parentElement.closest("pre, code, math")) nodes.push(node);
  }
  for (const node of nodes) {
    const parts = node.nodeValue.split(/(\[\d+\])/);
    node.replaceWith(...parts.map((part) => {
      const source = sources.find((s) => `[${s.rank}]` === part);
      return source
        ? h("button", { type: "button", class: "cite", "aria-label": `Source ${source.rank}`, onclick: () => showPassage(passage, source) }, part)
        : document.createTextNode(part);
    }));
  }
}

/** Shows `source`'s passage (its title and text) in `passage` and moves the focus there. */
export function showPassage(passage, source) {
  passage.replaceChildren(h("div", { class: "hit-title" }, sourceTitle(source)), h("blockquote", {}, source.text));
  passage.hidden = false;
  passage.focus();
}

/** "[n] NAME — HEADING, LOCATION". */
export function sourceTitle(source) {
  return `[${source.rank}] ${displayName(source.path)}${source.heading ? ` — ${source.heading}` : ""}, ${source.location?.summary ?? ""}`;
}

/** An uploaded file's path is `file-ID/NAME`: people know it by NAME. */
export function displayName(path) {
  return /^file-[^/]+\//.test(path) ? path.slice(path.indexOf("/") + 1) : path;
}
