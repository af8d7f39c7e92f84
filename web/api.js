// Talks to Hearth's API from the page: JSON requests with the session cookie (and the CSRF
// header every change needs), and chat streams read as server-sent events.

/** An error the server (or the network) gave, with its HTTP status. */
export class APIError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

async function failure(response) {
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    message = body?.error?.message ?? body?.error ?? message;
  } catch {
    // Not JSON: the status says enough.
  }
  return new APIError(String(message), response.status);
}

/**
 * Sends a request (JSON `body` when given; the CSRF header on every change) and returns the
 * response once it answered 2xx. Throws APIError, or the AbortError of `signal`.
 */
async function send(method, path, body, { signal, accept = "application/json" } = {}) {
  const headers = { Accept: accept };
  if (method !== "GET" && method !== "HEAD") headers["X-Hearth-CSRF"] = "1";
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method, headers, signal, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new APIError(`the server does not answer (${error.message})`, 0);
  }
  if (!response.ok) throw await failure(response);
  return response;
}

/** Sends a request and returns its JSON answer (null for 204). Throws APIError. */
export async function request(method, path, body) {
  const response = await send(method, path, body);
  return response.status === 204 ? null : response.json();
}

/** POSTs JSON and returns the response, for a stream of `accept` (NDJSON, events). */
export function post(path, body, signal, accept = "application/x-ndjson") {
  return send("POST", path, body, { signal, accept });
}

/** Calls onLine(text) for each line of a response body as it arrives, until it returns false. */
async function eachLine(response, onLine) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let pending = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    pending += value;
    let end;
    while ((end = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, end).replace(/\r$/, "");
      pending = pending.slice(end + 1);
      if (onLine(line) === false) return;
    }
  }
  if (pending) onLine(pending);
}

/** Calls onData(object) for each `data:` line of server-sent events, until `[DONE]`. */
function readEvents(response, onData) {
  return eachLine(response, (line) => {
    if (!line.startsWith("data:")) return true;
    const data = line.slice(5).trim();
    if (data === "[DONE]") return false;
    const object = JSON.parse(data);
    if (object.error) throw new APIError(object.error.message ?? String(object.error), 500);
    onData(object);
    return true;
  });
}

/** Calls onLine(object) for each line of an NDJSON response (pulls, ingestion). */
export function readLines(response, onLine) {
  return eachLine(response, (line) => {
    if (line.trim()) onLine(JSON.parse(line));
    return true;
  });
}

/**
 * Streams a chat completion: calls onText(piece) for each piece of the answer as it arrives.
 * onConversation(id) hears the conversation it is kept in as soon as the answer starts.
 * Returns { conversation, finishReason, usage }. Aborting `signal` stops the generation (the
 * server keeps the answer as far as it got).
 */
export async function streamChat(body, { signal, onText, onConversation, onSources, onToolCall }) {
  const response = await post("/v1/chat/completions", { ...body, stream: true, stream_options: { include_usage: true } }, signal,
    "text/event-stream");
  const result = { conversation: response.headers.get("Hearth-Conversation"), finishReason: null, usage: null };
  if (result.conversation) onConversation?.(result.conversation);
  await readEvents(response, (chunk) => {
    if (chunk.usage) result.usage = chunk.usage;
    if (chunk.hearth_sources) onSources?.(chunk.hearth_sources);
    for (const choice of chunk.choices ?? []) {
      if (choice.delta?.content) onText(choice.delta.content);
      for (const call of choice.delta?.tool_calls ?? []) onToolCall?.(call);
      if (choice.finish_reason) result.finishReason = choice.finish_reason;
    }
  });
  return result;
}

/**
 * Asks a collection (POST /hearth/ask, streamed): onSources(list) first, then onText(piece)
 * as the answer comes. Returns { finishReason, usage }.
 */
export async function streamAsk(body, { signal, onSources, onText }) {
  const response = await post("/hearth/ask", { ...body, stream: true }, signal, "text/event-stream");
  const result = { finishReason: null, usage: null };
  await readEvents(response, (event) => {
    if (event.sources) onSources(event.sources);
    if (event.delta) onText(event.delta);
    if (event.finish_reason) result.finishReason = event.finish_reason;
    if (event.usage) result.usage = event.usage;
  });
  return result;
}

/**
 * Uploads a file (multipart POST /v1/files) and calls onProgress(fraction) as it goes.
 * Returns the file object ({ id, filename, bytes, … }). Throws APIError.
 */
export function upload(file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/v1/files");
    xhr.setRequestHeader("X-Hearth-CSRF", "1");
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(xhr.response);
      else reject(new APIError(xhr.response?.error?.message ?? `${xhr.status} ${xhr.statusText}`, xhr.status));
    });
    xhr.addEventListener("error", () => reject(new APIError("the upload broke off", 0)));
    const form = new FormData();
    form.append("purpose", "assistants");
    form.append("file", file);
    xhr.send(form);
  });
}
