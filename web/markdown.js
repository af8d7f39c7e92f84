// Markdown to safe HTML: marked parses, DOMPurify removes anything that could run (scripts,
// event handlers, javascript: links, forms, frames), highlight.js colours code (loaded with
// the first code block), every code block gets a copy button, and maths — $…$, $$…$$, \(…\),
// \[…\] outside code — is typeset by KaTeX as MathML (loaded with the first formula; MathML
// needs no style or font, so the page's strict policy holds).

const forbidden = ["style", "form", "input", "button", "textarea", "select", "iframe", "object", "embed", "svg", "math"];

// highlight.js and KaTeX are most of the page's weight: each is loaded when the first code
// block or formula comes, once.
const loading = new Map();
function vendor(file, global) {
  if (!loading.has(file)) {
    loading.set(file, new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = `/ui/vendor/${file}`;
      script.addEventListener("load", () => resolve(window[global]));
      script.addEventListener("error", reject);
      document.head.append(script);
    }));
  }
  return loading.get(file);
}

// Formulas become placeholders (private-use characters Markdown leaves alone) before parsing,
// so that their _ and * are not taken for emphasis. Code, fenced or inline, keeps its $.
const code = /(```[\s\S]*?(?:```|$)|`[^`\n]*`)/;
const formulas = /\$\$([\s\S]+?)\$\$|\\\[([\s\S]+?)\\\]|\\\(([\s\S]+?)\\\)|\$(?=[^\s$])([^$\n]*?[^\s$\\])\$(?!\d)/g;
const placeholder = /\uE000(\d+)\uE001/;

/** `text` with each formula outside code replaced by a placeholder; the formulas. */
function extractMaths(text) {
  const maths = [];
  const parts = text.split(code).map((part, index) => index % 2 ? part : part.replace(formulas, (_, display, bracket, paren, inline) => {
    maths.push({ tex: display ?? bracket ?? paren ?? inline, display: display !== undefined || bracket !== undefined });
    return `\uE000${maths.length - 1}\uE001`;
  }));
  return { text: parts.join(""), maths };
}

/** A formula as MathML (sanitised), or its TeX as text until KaTeX is there. */
function formula({ tex, display }) {
  const element = document.createElement(display ? "div" : "span");
  element.className = display ? "math display" : "math";
  element.textContent = display ? `$$${tex}$$` : `$${tex}$`;
  const typeset = (katex) => {
    // Sizes are capped, so that a formula cannot stretch the page (\rule{1000em}…).
    const mathml = katex.renderToString(tex, { output: "mathml", displayMode: display, throwOnError: false, maxSize: 20, maxExpand: 200 });
    element.replaceChildren(window.DOMPurify.sanitize(mathml, {
      USE_PROFILES: { mathMl: true }, FORBID_ATTR: ["style", "href"], RETURN_DOM_FRAGMENT: true,
    }));
  };
  if (window.katex) typeset(window.katex);
  else vendor("katex.min.js", "katex").then((katex) => { if (element.isConnected) typeset(katex); }, () => {});
  return element;
}

/** Puts the formulas back in place of their placeholders in `fragment`'s text. */
function insertMaths(fragment, maths) {
  const walker = document.createTreeWalker(fragment, NodeFilter.SHOW_TEXT);
  const nodes = [];
  while (walker.nextNode()) if (placeholder.test(walker.currentNode.nodeValue)) nodes.push(walker.currentNode);
  for (const node of nodes) {
    const parts = node.nodeValue.split(/\uE000(\d+)\uE001/);
    node.replaceWith(...parts.map((part, index) => (index % 2 ? (maths[Number(part)] ? formula(maths[Number(part)]) : "") : part)));
  }
}

/** Fills `element` with `text` rendered as Markdown, sanitised. */
export function renderMarkdown(element, text) {
  if (!window.marked || !window.DOMPurify) {
    element.textContent = text; // without the sanitiser, nothing is rendered as HTML
    return;
  }
  const { text: source, maths } = extractMaths(text.replace(/[\uE000\uE001]/g, ""));
  const html = window.marked.parse(source, { gfm: true, breaks: false, headerIds: false, mangle: false });
  const clean = window.DOMPurify.sanitize(html, {
    FORBID_TAGS: forbidden, FORBID_ATTR: ["style"], ALLOW_DATA_ATTR: false, RETURN_DOM_FRAGMENT: true,
  });
  for (const link of clean.querySelectorAll("a[href]")) {
    link.target = "_blank";
    link.rel = "noopener noreferrer";
  }
  for (const code of clean.querySelectorAll("pre > code")) {
    if (window.hljs) window.hljs.highlightBlock(code);
    else vendor("highlight.min.js", "hljs").then((hljs) => { if (code.isConnected) hljs.highlightBlock(code); }, () => {});
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
  if (maths.length) insertMaths(clean, maths);
  element.replaceChildren(clean);
}
