// Markdown to safe HTML: marked parses, DOMPurify removes anything that could run (scripts,
// event handlers, javascript: links, forms, frames), highlight.js colours code (loaded with
// the first code block), and every code block gets a copy button.

const forbidden = ["style", "form", "input", "button", "textarea", "select", "iframe", "object", "embed", "svg", "math"];

// highlight.js is most of the page's weight: it is loaded when the first code block comes.
let loading = null;
function highlighter() {
  loading ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = "/ui/vendor/highlight.min.js";
    script.addEventListener("load", () => resolve(window.hljs));
    script.addEventListener("error", reject);
    document.head.append(script);
  });
  return loading;
}

/** Fills `element` with `text` rendered as Markdown, sanitised. */
export function renderMarkdown(element, text) {
  if (!window.marked || !window.DOMPurify) {
    element.textContent = text; // without the sanitiser, nothing is rendered as HTML
    return;
  }
  const html = window.marked.parse(text, { gfm: true, breaks: false, headerIds: false, mangle: false });
  const clean = window.DOMPurify.sanitize(html, {
    FORBID_TAGS: forbidden, FORBID_ATTR: ["style"], ALLOW_DATA_ATTR: false, RETURN_DOM_FRAGMENT: true,
  });
  for (const link of clean.querySelectorAll("a[href]")) {
    link.target = "_blank";
    link.rel = "noopener noreferrer";
  }
  for (const code of clean.querySelectorAll("pre > code")) {
    if (window.hljs) window.hljs.highlightBlock(code);
    else highlighter().then((hljs) => { if (code.isConnected) hljs.highlightBlock(code); }, () => {});
    const copy = document.createElement("button");
    copy.className = "copy";
    copy.type = "button";
    copy.textContent = "Copy";
    copy.setAttribute("aria-label", "Copy the code");
    copy.addEventListener("click", async () => {
      await navigator.clipboard?.writeText(code.textContent);
      copy.textContent = "Copied";
      setTimeout(() => { copy.textContent = "Copy"; }, 1500);
    });
    code.parentElement.prepend(copy);
  }
  element.replaceChildren(clean);
}
