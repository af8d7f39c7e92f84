// The page's WebSocket to /hearth/ws (messages as in docs/api.md): events of some topics,
// reopened with a growing pause when it drops (the server restarting, a network change).

/**
 * Subscribes to `topics`; calls onEvent(event) for each ({type, time, data}) and
 * onState("live" | "reconnecting…" | "signed out") as the socket opens and drops.
 * Returns what closes it for good.
 */
export function subscribe(topics, { onEvent, onState }) {
  let socket = null;
  let pause = 500;
  let closed = false;
  let timer = null;

  function open() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(`${scheme}//${location.host}/hearth/ws`);
    socket.addEventListener("open", () => socket.send(JSON.stringify({ type: "subscribe", topics })));
    socket.addEventListener("message", (message) => {
      const data = JSON.parse(message.data);
      if (data.type === "subscribed") {
        pause = 500;
        onState("live");
      } else if (data.type === "event") {
        onEvent(data.event);
      }
    });
    socket.addEventListener("close", (event) => {
      if (closed) return;
      // 1008: the server refused the sign-in; trying again would not help.
      if (event.code === 1008) return onState("signed out");
      onState("reconnecting…");
      timer = setTimeout(open, pause);
      pause = Math.min(pause * 2, 10000);
    });
  }

  open();
  return () => {
    closed = true;
    clearTimeout(timer);
    socket?.close();
  };
}
