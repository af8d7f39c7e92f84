// The chat: conversations kept by the server (list, search, open, rename, delete, new), a
// model picker, a system prompt, collections to answer from (each [n] opens its passage),
// files attached to the chat (they go into a collection of its own, which answers cite),
// answers streamed as Markdown, tool calls and their results folded, stop, regenerate, edit.
import { APIError, request, streamChat } from "./api.js";
import { displayName, renderCited } from "./citations.js";
import { h, showAlert } from "./dom.js";
import { addFile } from "./files.js";
import { canRecord, record, speak, transcribe } from "./voice.js";

const remembered = {
  model: "hearth.model",
  files: (conversation) => `hearth.files.${conversation}`,
  parameters: (conversation) => `hearth.parameters.${conversation}`,
};

/** Shows the chat in `root` for the signed-in principal `me`; returns what stops it. */
export function showChat(root, me) {
  // `files`: the collection this chat's attached files went into; `reading`: by collection,
  // its files not yet searchable (a chat left while its files upload does not hold up the next).
  const state = { conversation: null, messages: [], streaming: null, models: [], files: null, reading: new Map() };
  const reading = () => (state.files ? state.reading.get(state.files) ?? 0 : 0);

  const list = h("ul", { class: "conversations", "aria-label": "Conversations" });
  const search = h("input", { type: "search", placeholder: "Search chats", "aria-label": "Search chats" });
  const newChat = h("button", { type: "button", class: "primary", onclick: () => open(null) }, "New chat");
  const model = h("select", { id: "model", "aria-label": "Model" });
  const system = h("textarea", { id: "system", rows: 3, placeholder: "You are a helpful assistant." });
  const temperature = h("input", { id: "temperature", type: "number", min: 0, max: 2, step: 0.1, placeholder: "default" });
  const topP = h("input", { id: "top-p", type: "number", min: 0, max: 1, step: 0.05, placeholder: "default" });
  const maxTokens = h("input", { id: "max-tokens", type: "number", min: 1, step: 1, placeholder: "no limit" });
  // The sampling parameters a conversation was last sent with (the browser keeps them).
  const parameters = { temperature, top_p: topP, max_tokens: maxTokens };
  const grounding = h("select", { id: "grounding", multiple: true, size: 3 });
  const settings = h("details", { class: "settings" },
    h("summary", {}, "Settings"),
    h("label", { for: "system" }, "System prompt"), system,
    h("label", { for: "temperature" }, "Temperature"), temperature,
    h("label", { for: "top-p" }, "Top p"), topP,
    h("label", { for: "max-tokens" }, "Most tokens in an answer"), maxTokens,
    h("label", { for: "grounding" }, "Answer from collections (cited)"), grounding);
  const messages = h("div", { class: "messages", id: "messages", "aria-live": "polite" });
  const prompt = h("textarea", { id: "prompt", rows: 2, placeholder: "Send a message (Enter; Shift+Enter for a new line)", "aria-label": "Message" });
  const send = h("button", { type: "submit", class: "primary", id: "send" }, "Send");
  const stop = h("button", { type: "button", id: "stop", hidden: true, onclick: () => state.streaming?.abort() }, "Stop");
  const attach = h("input", { type: "file", id: "attach", multiple: true, hidden: true });
  const attachButton = h("button", { type: "button", class: "quiet", "aria-label": "Attach files", title: "Attach files: answers cite them",
    onclick: () => attach.click() }, "Attach");
  const attached = h("ul", { class: "uploads attached", "aria-label": "Attached files" });
  // The microphone: a first press records, a second transcribes into the message box.
  const mic = h("button", { type: "button", class: "quiet", id: "mic", "aria-pressed": "false", "aria-label": "Dictate",
    title: "Speak: press, talk, press again", hidden: !canRecord(), onclick: () => toggleRecording() }, "🎤");
  const composer = h("form", { class: "composer" }, attachButton, attach, mic, prompt, send, stop);

  // Answers are rendered as Markdown when they come near the visible part: a conversation of
  // a thousand messages opens at once and stays smooth.
  // A conversation opens at its end and stays there while the answers near it take their
  // height, until the reader scrolls.
  let pinned = false;
  const nearView = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      const content = entry.target;
      nearView.unobserve(content);
      renderCited(content, content.markdownSource, content.sources, content.passage);
      delete content.dataset.pending;
    }
    if (pinned) messages.scrollTop = messages.scrollHeight;
  }, { root: messages, rootMargin: "800px 0px" });
  for (const name of ["wheel", "touchstart", "keydown", "mousedown"]) {
    messages.addEventListener(name, () => { pinned = false; }, { passive: true });
  }

  root.replaceChildren(h("div", { class: "chat" },
    h("aside", { class: "sidebar" }, newChat, search, list),
    h("section", { class: "conversation", "aria-label": "Conversation" },
      h("div", { class: "toolbar" }, h("label", { for: "model" }, "Model"), model, settings),
      messages, attached, composer)));

  composer.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = prompt.value.trim();
    if (!text || state.streaming) return;
    if (reading()) return showAlert("The attached files are still being read.", "info");
    prompt.value = "";
    state.messages.push({ role: "user", content: text });
    generate();
  });
  prompt.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });
  let searchTimer;
  search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(refreshList, 200);
  });
  model.addEventListener("change", () => localStorage.setItem(remembered.model, model.value));
  attach.addEventListener("change", async () => {
    const chosen = [...attach.files];
    attach.value = "";
    try {
      if (!state.files) {
        const made = await request("POST", "/hearth/collections", { name: `chat-${crypto.randomUUID().slice(0, 13)}` });
        state.files = made.name;
        if (state.conversation) localStorage.setItem(remembered.files(state.conversation), state.files);
      }
    } catch (error) {
      return showAlert(`Attaching: ${error.message}`);
    }
    const collection = state.files;
    state.reading.set(collection, (state.reading.get(collection) ?? 0) + chosen.length);
    send.disabled = true;
    await Promise.all(chosen.map((file) => addFile(collection, file, attached)));
    state.reading.set(collection, state.reading.get(collection) - chosen.length);
    send.disabled = reading() > 0 || !!state.streaming;
  });

  loadModels();
  loadCollections();
  refreshList();
  open(null);
  return () => {
    state.streaming?.abort();
    nearView.disconnect();
  };

  async function loadModels() {
    try {
      const answer = await request("GET", "/v1/models");
      state.models = answer.data.map((entry) => entry.id);
      const wanted = localStorage.getItem(remembered.model);
      model.replaceChildren(...state.models.map((id) => h("option", { value: id }, id)));
      if (state.models.includes(wanted)) model.value = wanted;
    } catch (error) {
      showAlert(`Models: ${error.message}`);
    }
  }

  async function loadCollections() {
    try {
      const answer = await request("GET", "/hearth/collections");
      // A chat's own attachments are not offered to the others.
      grounding.replaceChildren(...answer.collections.filter((c) => !c.name.startsWith("chat-"))
        .map((c) => h("option", { value: c.name }, c.name)));
    } catch (error) {
      showAlert(`Collections: ${error.message}`);
    }
  }

  async function refreshList() {
    try {
      const query = search.value.trim();
      const answer = await request("GET", `/hearth/conversations?limit=100${query ? `&q=${encodeURIComponent(query)}` : ""}`);
      list.replaceChildren(...answer.conversations.map(listItem));
    } catch (error) {
      showAlert(`Conversations: ${error.message}`);
    }
  }

  function listItem(conversation) {
    const current = conversation.id === state.conversation;
    return h("li", { class: current ? "current" : null, "data-id": conversation.id },
      h("button", { type: "button", class: "open", "aria-current": current ? "true" : null, onclick: () => open(conversation.id) },
        conversation.title || "Untitled"),
      h("button", { type: "button", class: "quiet", "aria-label": `Rename ${conversation.title}`, onclick: () => rename(conversation) }, "✎"),
      h("button", { type: "button", class: "quiet", "aria-label": `Delete ${conversation.title}`, onclick: () => remove(conversation) }, "✕"));
  }

  async function open(id) {
    if (state.streaming) state.streaming.abort();
    state.conversation = id;
    state.messages = [];
    system.value = "";
    state.files = id ? localStorage.getItem(remembered.files(id)) : null;
    let kept = {};
    try { kept = (id && JSON.parse(localStorage.getItem(remembered.parameters(id)) ?? "{}")) || {}; } catch { /* forgotten */ }
    for (const [name, input] of Object.entries(parameters)) input.value = kept[name] ?? "";
    attached.replaceChildren();
    if (state.files) showAttached(state.files);
    send.disabled = reading() > 0;
    if (id) {
      try {
        const detail = await request("GET", `/hearth/conversations/${encodeURIComponent(id)}`);
        state.messages = detail.messages.map(({ role, content, tool_calls, tool_call_id, name }) =>
          ({ role, content, tool_calls, tool_call_id, name }));
        if (state.messages[0]?.role === "system") system.value = state.messages.shift().content;
        if (state.models.includes(detail.conversation.model)) model.value = detail.conversation.model;
      } catch (error) {
        showAlert(error.message);
        state.conversation = null;
      }
    }
    for (const item of list.children) {
      const current = item.dataset.id === state.conversation;
      item.classList.toggle("current", current);
      item.querySelector(".open")?.toggleAttribute("aria-current", current);
    }
    renderAll();
    prompt.focus();
  }

  /** The files attached to this chat earlier (its collection's documents). */
  async function showAttached(collection) {
    try {
      const info = await request("GET", `/hearth/collections/${encodeURIComponent(collection)}`);
      if (state.files !== collection) return;
      attached.replaceChildren(...info.documents.map((document) =>
        h("li", {}, h("span", { class: "name" }, displayName(document.path)), h("span", { class: "status" }, "attached"))));
    } catch {
      state.files = null; // the collection is gone: answers no longer use it
    }
  }

  async function rename(conversation) {
    const title = window.prompt("New title", conversation.title)?.trim();
    if (!title) return;
    try {
      await request("PATCH", `/hearth/conversations/${encodeURIComponent(conversation.id)}`, { title });
      refreshList();
    } catch (error) {
      showAlert(error.message);
    }
  }

  async function remove(conversation) {
    if (!window.confirm(`Delete “${conversation.title}”?`)) return;
    try {
      await request("DELETE", `/hearth/conversations/${encodeURIComponent(conversation.id)}`);
      // Its attached files go with it.
      const files = localStorage.getItem(remembered.files(conversation.id));
      if (files) await request("DELETE", `/hearth/collections/${encodeURIComponent(files)}`).catch(() => {});
      localStorage.removeItem(remembered.files(conversation.id));
      localStorage.removeItem(remembered.parameters(conversation.id));
      if (state.conversation === conversation.id) open(null);
      refreshList();
    } catch (error) {
      showAlert(error.message);
    }
  }

  function renderAll() {
    nearView.disconnect();
    messages.replaceChildren(...state.messages.map((message, index) => messageView(message, index)));
    if (!state.messages.length) {
      messages.append(h("p", { class: "empty" }, `Ask ${model.value || "a model"} anything.`));
    }
    pinned = true;
    messages.scrollTop = messages.scrollHeight;
  }

  function messageView(message, index) {
    const content = h("div", { class: "content" });
    const passage = h("div", { class: "passage", hidden: true, tabindex: -1 });
    const folded = [];
    if (message.role === "assistant") {
      content.markdownSource = message.content;
      content.sources = message.sources;
      content.passage = passage;
      content.dataset.pending = "";
      nearView.observe(content);
      folded.push(...(message.tool_calls ?? []).map(toolCallView));
    } else if (message.role === "tool") {
      folded.push(h("details", { class: "tool" }, h("summary", {}, `Result of ${message.name ?? "a tool"}`),
        h("pre", {}, message.content)));
    } else {
      content.textContent = message.content;
    }
    const actions = h("div", { class: "actions" });
    const last = index === state.messages.length - 1;
    if (message.role === "assistant" && last && !state.streaming) {
      actions.append(h("button", { type: "button", class: "quiet", onclick: regenerate }, "Regenerate"));
    }
    if (message.role === "assistant" && message.content && !(last && state.streaming)) {
      const read = h("button", { type: "button", class: "quiet read-aloud", "aria-pressed": "false" }, "Read aloud");
      read.onclick = () => readAloud(read, message.content);
      actions.append(read);
    }
    if (message.role === "user" && !state.streaming) {
      actions.append(h("button", { type: "button", class: "quiet", onclick: () => edit(index) }, "Edit"));
    }
    const who = message.role === "user" ? (me.user === "local" ? "You" : me.user)
      : message.role === "tool" ? "Tool" : message.model ?? model.value;
    return h("article", { class: `message ${message.role}`, "data-role": message.role },
      h("div", { class: "role" }, who), ...folded, message.role === "tool" ? null : content, passage, actions);
  }

  /** A tool call, folded: its name, and its arguments when opened. */
  function toolCallView(call) {
    let args = call.function?.arguments ?? "";
    try { args = JSON.stringify(JSON.parse(args), null, 2); } catch { /* shown as it came */ }
    return h("details", { class: "tool" }, h("summary", {}, `Tool call: ${call.function?.name ?? "?"}`), h("pre", {}, args));
  }

  async function toggleRecording() {
    if (state.recording) {
      const stopRecording = state.recording;
      state.recording = null;
      mic.setAttribute("aria-pressed", "false");
      mic.disabled = true;
      mic.textContent = "…";
      try {
        const text = await transcribe(await stopRecording());
        prompt.value = (prompt.value ? prompt.value.trimEnd() + " " : "") + text.trim();
        prompt.focus();
      } catch (error) {
        showAlert(`Speech: ${error.message}`);
      } finally {
        mic.disabled = false;
        mic.textContent = "🎤";
      }
      return;
    }
    try {
      state.recording = await record();
      mic.setAttribute("aria-pressed", "true");
      mic.textContent = "■";
    } catch (error) {
      showAlert(`The microphone cannot be used: ${error.message}`);
    }
  }

  /** Reads an answer aloud; a second press stops it. */
  async function readAloud(button, text) {
    if (state.speaking) {
      const { audio, abort, button: playing } = state.speaking;
      state.speaking = null;
      abort.abort();
      audio?.pause();
      playing.setAttribute("aria-pressed", "false");
      if (playing === button) return;
    }
    const abort = new AbortController();
    const speaking = { abort, button, audio: null };
    state.speaking = speaking;
    button.setAttribute("aria-pressed", "true");
    try {
      speaking.audio = await speak(plainText(text), abort.signal);
      if (state.speaking !== speaking) speaking.audio.pause();
      speaking.audio.addEventListener("ended", () => {
        button.setAttribute("aria-pressed", "false");
        if (state.speaking === speaking) state.speaking = null;
      }, { once: true });
    } catch (error) {
      button.setAttribute("aria-pressed", "false");
      if (state.speaking === speaking) state.speaking = null;
      if (error.name !== "AbortError") showAlert(`Reading aloud: ${error.message}`);
    }
  }

  function regenerate() {
    if (state.streaming || state.messages.at(-1)?.role !== "assistant") return;
    state.messages.pop();
    generate();
  }

  function edit(index) {
    if (state.streaming) return;
    prompt.value = state.messages[index].content;
    state.messages = state.messages.slice(0, index);
    renderAll();
    prompt.focus();
  }

  async function generate() {
    const controller = new AbortController();
    state.streaming = controller;
    const answer = { role: "assistant", content: "", model: model.value };
    state.messages.push(answer);
    renderAll();
    const view = messages.lastElementChild;
    const content = view.querySelector(".content");
    nearView.unobserve(content); // rendered as the answer comes
    delete content.dataset.pending;
    view.classList.add("streaming");
    send.disabled = true;
    stop.hidden = false;
    let frame = 0;
    let shown = false;
    const body = {
      model: model.value,
      messages: [...(system.value.trim() ? [{ role: "system", content: system.value.trim() }] : []),
        ...state.messages.slice(0, -1).map(({ role, content, tool_calls, tool_call_id, name }) =>
          ({ role, content, ...(tool_calls ? { tool_calls } : {}), ...(tool_call_id ? { tool_call_id, name } : {}) }))],
      conversation: state.conversation ?? "new",
    };
    for (const [name, input] of Object.entries(parameters)) if (input.value !== "") body[name] = Number(input.value);
    const collections = [...grounding.selectedOptions].map((option) => option.value);
    if (state.files) collections.push(state.files);
    if (collections.length) body.collections = collections;
    let stopped = false;
    try {
      const result = await streamChat(body, {
        signal: controller.signal,
        onConversation: (id) => {
          state.conversation = id;
          if (state.files) localStorage.setItem(remembered.files(id), state.files);
          const chosen = Object.fromEntries(Object.entries(parameters).map(([name, input]) => [name, input.value]));
          localStorage.setItem(remembered.parameters(id), JSON.stringify(chosen));
        },
        onSources: (list) => { answer.sources = list; },
        onToolCall: (delta) => {
          // Calls come in pieces: the first names the call, the others add to its arguments.
          answer.tool_calls ??= [];
          const call = (answer.tool_calls[delta.index ?? 0] ??= { id: delta.id, type: "function", function: { name: "", arguments: "" } });
          if (delta.function?.name) call.function.name += delta.function.name;
          if (delta.function?.arguments) call.function.arguments += delta.function.arguments;
        },
        onText: (piece) => {
          // User timing marks: bench/ui.py measures from the first piece read to its paint.
          if (!answer.content) performance.mark("hearth:first-piece");
          answer.content += piece;
          if (!frame) frame = requestAnimationFrame(() => {
            frame = 0;
            const follow = messages.scrollHeight - messages.scrollTop - messages.clientHeight < 80;
            renderCited(content, answer.content, answer.sources, view.querySelector(".passage"));
            if (follow) messages.scrollTop = messages.scrollHeight;
            // The next frame starts once this one is painted.
            if (!shown) requestAnimationFrame(() => performance.mark("hearth:first-piece-shown"));
            shown = true;
          });
        },
      });
      if (result.finishReason === "length") showAlert("The answer reached its token limit.", "info");
    } catch (error) {
      if (error.name === "AbortError") {
        stopped = true;
      } else {
        // The server kept nothing of a failed request: give the question back.
        state.messages.pop();
        const question = state.messages.pop();
        if (question?.role === "user") prompt.value = question.content;
        showAlert(error instanceof APIError ? error.message : `The answer broke off: ${error.message}`);
      }
    } finally {
      cancelAnimationFrame(frame);
      state.streaming = null;
      send.disabled = reading() > 0;
      stop.hidden = true;
      renderAll();
      if (stopped) messages.lastElementChild?.classList.add("stopped");
      refreshList();
      prompt.focus();
    }
  }
}

/** Markdown as the words to say: no code fences, link targets, emphasis marks or citations. */
function plainText(markdown) {
  return markdown
    .replace(/```[\s\S]*?```/g, " (code) ")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\[\d+\]/g, "")
    .replace(/[*_`#>|]/g, "")
    .replace(/\s+/g, " ")
    .trim();
}
