// The dashboard: live from the WebSocket /hearth/ws — per loaded model its tokens/s (with the
// last hour as a chart, the server's history before the page opened), busy slots, queue,
// prompt-cache hits and memory; requests per minute by status, time to first token, the
// latest requests, and models loaded and files ingested (a user sees their own; no prompt
// text is ever sent).
import { request } from "./api.js";
import { h } from "./dom.js";
import { subscribe } from "./socket.js";

const HOUR = 3600;

/** Shows the dashboard in `root`; returns what stops it (closes the event stream). */
export function showDashboard(root) {
  const history = new Map(); // model → [{time, tps}] over the last hour
  const requests = []; // the latest 200 request events' data, newest first
  const cards = h("div", { class: "cards", "aria-label": "Models" });
  const perMinute = h("div", { class: "figures", id: "per-minute" });
  const firstToken = h("div", { class: "figures", id: "first-token" });
  const recent = h("tbody");
  const activity = h("ul", { class: "activity", id: "activity" }, h("li", { class: "muted" }, "nothing yet"));
  const state = h("span", { class: "count", id: "stream-state" }, "connecting…");
  root.replaceChildren(h("section", { class: "page dashboard" },
    h("div", { class: "heading" }, h("h2", {}, "Dashboard"), state),
    cards,
    h("div", { class: "inline" }, h("h3", {}, "Requests, last minute"), perMinute),
    h("div", { class: "inline" }, h("h3", {}, "Time to first token"), firstToken),
    h("h3", {}, "Recent requests"),
    h("table", { class: "recent" },
      h("thead", {}, h("tr", {}, ...["Time", "User", "Route", "Model", "Status", "Tokens", "Latency"].map((t) => h("th", {}, t)))),
      recent),
    h("h3", {}, "Models and ingestion"),
    activity));

  // The hour before the page opened, as the server kept it (10-second buckets); the live
  // stats add to it from now on.
  request("GET", "/hearth/stats/history").then((past) => {
    for (const model of past.models) {
      const live = history.get(model.name) ?? [];
      const earlier = model.samples.map((s) => ({ time: s.time, tps: s.tokens_per_second }))
        .filter((point) => !live.length || point.time < live[0].time);
      history.set(model.name, [...earlier, ...live]);
    }
  }, () => {});

  const close = subscribe(["stats", "request", "model", "ingestion"], {
    onState: (text) => { state.textContent = text; },
    onEvent: (event) => {
      if (event.type === "stats") showStats(event.time, event.data.models);
      if (event.type === "request") {
        requests.unshift({ ...event.data, time: event.time });
        requests.length = Math.min(requests.length, 200);
        showRequests();
      }
      if (event.type === "model" || event.type === "ingestion") showActivity(event);
    },
  });

  function showActivity(event) {
    const d = event.data;
    const text = event.type === "model"
      ? `${d.name}: ${d.action}${d.load_ms !== undefined ? ` in ${(d.load_ms / 1000).toFixed(1)} s` : ""}${d.error ? ` — ${d.error}` : ""}`
      : `${d.filename ?? `job ${d.job}`} → ${d.collection}: ${d.status.replace("_", " ")}` +
        (d.files_total > 1 ? ` (${d.files_done} of ${d.files_total} files)` : "") + (d.chunks ? `, ${d.chunks} chunks` : "") +
        (d.error ? ` — ${d.error}` : "");
    if (activity.firstChild?.classList.contains("muted")) activity.replaceChildren();
    activity.prepend(h("li", { class: event.type }, h("time", {}, new Date(event.time * 1000).toLocaleTimeString()), " ", text));
    while (activity.children.length > 50) activity.lastChild.remove();
  }

  function showStats(time, models) {
    for (const model of models) {
      const points = history.get(model.name) ?? [];
      points.push({ time, tps: model.generation_tokens_per_second });
      while (points.length && points[0].time < time - HOUR) points.shift();
      history.set(model.name, points);
    }
    cards.replaceChildren(...models.map((model) => {
      const canvas = h("canvas", { width: 320, height: 60, "aria-label": `Tokens per second of ${model.name}, last hour`, role: "img" });
      drawLine(canvas, history.get(model.name), time);
      const hits = model.prompt_tokens ? Math.round((100 * model.prompt_tokens_cached) / model.prompt_tokens) : 0;
      return h("article", { class: "card", "data-model": model.name },
        h("h3", {}, model.name),
        h("div", { class: "big" }, h("span", { class: "tps" }, model.generation_tokens_per_second.toFixed(1)), " tokens/s"),
        canvas,
        h("dl", {},
          h("dt", {}, "Busy slots"), h("dd", { class: "busy" }, `${model.active_sequences} of ${model.parallel}`),
          h("dt", {}, "Queue"), h("dd", {}, String(model.queued_requests)),
          h("dt", {}, "Prompt cache hits"), h("dd", {}, `${hits}%`),
          h("dt", {}, "Memory"), h("dd", {}, `${(model.memory_bytes / (1 << 20)).toFixed(0)} MB`)));
    }));
    if (!models.length) cards.replaceChildren(h("p", { class: "muted" }, "No model is loaded."));
    showRequests();
  }

  function showRequests() {
    const now = Date.now() / 1000;
    const lastMinute = requests.filter((r) => r.time > now - 60);
    const byClass = { "2xx": 0, "4xx": 0, "5xx": 0 };
    for (const r of lastMinute) {
      const group = `${Math.floor(r.status / 100)}xx`;
      byClass[group] = (byClass[group] ?? 0) + 1;
    }
    perMinute.replaceChildren(...Object.entries(byClass).map(([group, count]) => h("span", { class: `figure s${group[0]}` }, `${group} ${count}`)));
    const waits = requests.map((r) => r.first_token_ms).filter((ms) => ms !== undefined && ms !== null).sort((a, b) => a - b);
    firstToken.replaceChildren(...(waits.length
      ? [["p50", 0.5], ["p95", 0.95]].map(([name, q]) => h("span", { class: "figure" }, `${name} ${waits[Math.min(waits.length - 1, Math.floor(q * waits.length))].toFixed(0)} ms`))
      : [h("span", { class: "muted" }, "no generation yet")]));
    recent.replaceChildren(...requests.slice(0, 20).map((r) => h("tr", {},
      h("td", {}, new Date(r.time * 1000).toLocaleTimeString()), h("td", {}, r.user), h("td", {}, `${r.method} ${r.route}`),
      h("td", {}, r.model ?? ""), h("td", {}, String(r.status)),
      h("td", {}, r.prompt_tokens || r.completion_tokens ? `${r.prompt_tokens} + ${r.completion_tokens}` : ""),
      h("td", {}, `${r.latency_ms.toFixed(0)} ms`))));
  }

  return close;
}

/** Tokens/s over the last hour (or since the page opened) as a line, scaled to its maximum. */
function drawLine(canvas, points, now) {
  const context = canvas.getContext("2d");
  const { width, height } = canvas;
  context.clearRect(0, 0, width, height);
  if (!points?.length) return;
  const top = Math.max(1, ...points.map((p) => p.tps));
  // The span shown grows with what the page has seen, from a minute up to the hour.
  const span = Math.min(HOUR, Math.max(60, now - points[0].time));
  context.strokeStyle = getComputedStyle(document.documentElement).getPropertyValue("--accent").trim() || "#c2410c";
  context.lineWidth = 1.5;
  context.beginPath();
  points.forEach((point, index) => {
    const x = width - ((now - point.time) / span) * width;
    const y = height - 2 - (point.tps / top) * (height - 4);
    if (index === 0) context.moveTo(x, y);
    else context.lineTo(x, y);
  });
  context.stroke();
}
