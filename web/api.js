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

/** Sends a request and returns its JSON answer (null for 204). Throws APIError. */
export async function request(method, path, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET" && method !== "HEAD") headers["X-Hearth-CSRF"] = "1";
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new APIError(`the server does not answer (${error.message})`, 0);
  }
  if (!response.ok) throw await failure(response);
  return response.status === 204 ? null : response.json();
}

/**
 * Streams a chat completion: calls onText(piece) for each piece of the answer as it arrives.
 * onConversation(id) hears the conversation it is kept in as soon as the answer starts.
 * Returns { conversation, finishReason, usage }. Aborting `signal` stops the generation (the
 * server keeps the answer as far as it got).
 */
export async function streamChat(body, { signal, onText, onConversation }) {
  let response;
  try {
    response = await fetch("/v1/chat/completions", {
      method: "POST", signal, credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream", "X-Hearth-CSRF": "1" },
      body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new APIError(`the server does not answer (${error.message})`, 0);
  }
  if (!response.ok) throw await failure(response);
  const result = { conversation: response.headers.get("Hearth-Conversation"), finishReason: null, usage: null };
  if (result.conversation) onConversation?.(result.conversation);
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
      if (!line.startsWith("data:")) continue;
      const data = line.slice(5).trim();
      if (data === "[DONE]") return result;
      const chunk = JSON.parse(data);
      if (chunk.error) throw new APIError(chunk.error.message ?? String(chunk.error), 500);
      if (chunk.usage) result.usage = chunk.usage;
      for (const choice of chunk.choices ?? []) {
        if (choice.delta?.content) onText(choice.delta.content);
        if (choice.finish_reason) result.finishReason = choice.finish_reason;
      }
    }
  }
  return result;
}
