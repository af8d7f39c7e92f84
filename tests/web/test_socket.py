"""The WebSocket /hearth/ws from a real browser: a chat streams over it with the same text as
over HTTP and stops when cancelled; a page of another site cannot open it with the browser's
cookie; the dashboard shows an upload being ingested."""
import http.server
import threading

from conftest import add_file, api, sign_in

MODEL = "smollm2:135m"

# Runs in the page: opens the socket, sends `messages`, and resolves with everything received
# once a message of type `until` (with id `id`, when given) arrives or the socket closes.
CONVERSE = """async ({url, messages, until, id, cancelAfter}) => {
  const socket = new WebSocket(url);
  const got = [];
  return await new Promise((resolve) => {
    socket.onopen = () => messages.forEach((m) => socket.send(JSON.stringify(m)));
    socket.onmessage = (message) => {
      const data = JSON.parse(message.data);
      got.push(data);
      if (cancelAfter && got.filter((m) => m.type === "chat.chunk").length === cancelAfter && !got.cancelSent) {
        got.cancelSent = true;
        socket.send(JSON.stringify({type: "cancel", id}));
      }
      if (data.type === until && (!id || data.id === id)) { socket.close(); resolve({got, close: null}); }
    };
    socket.onclose = (event) => resolve({got, close: {code: event.code, reason: event.reason}});
  });
}"""


def socket_url(server):
    return server.url.replace("http://", "ws://") + "/hearth/ws"


def text_of(messages):
    return "".join(choice["delta"].get("content") or ""
                   for m in messages if m["type"] == "chat.chunk" for choice in m["data"].get("choices", []))


def test_a_chat_streams_over_the_socket_as_over_http_and_a_cancel_stops_it(page, server):
    sign_in(page, server, "alice")
    question = {"model": MODEL, "max_tokens": 24, "temperature": 0,
                "messages": [{"role": "user", "content": "Name three colours."}]}
    result = page.evaluate(CONVERSE, {"url": socket_url(server), "until": "chat.end", "id": "short",
                                      "messages": [{"type": "chat", "id": "short", "body": question}]})
    got = result["got"]
    assert [m["type"] for m in got][0] == "chat.start", got
    status, answer = api(server.url, "POST", "/v1/chat/completions", server.sign_in("alice"), question)
    assert status == 200, answer
    assert text_of(got) == answer["choices"][0]["message"]["content"] != ""

    long = {"model": MODEL, "max_tokens": 1500, "temperature": 0, "conversation": "new",
            "messages": [{"role": "user", "content": "Write a very long story about a lighthouse keeper."}]}
    result = page.evaluate(CONVERSE, {"url": socket_url(server), "until": "chat.end", "id": "long", "cancelAfter": 5,
                                      "messages": [{"type": "chat", "id": "long", "body": long}]})
    got = result["got"]
    end = got[-1]
    assert end["type"] == "chat.end" and end["cancelled"] is True, got[-3:]
    chunks = sum(1 for m in got if m["type"] == "chat.chunk")
    assert 5 <= chunks < 100, f"{chunks} chunks came: the cancel did not stop the generation"
    # The conversation keeps what came before the cancel, as after a stopped HTTP stream.
    conversation = next(m["conversation"] for m in got if m["type"] == "chat.start")
    status, kept = api(server.url, "GET", f"/hearth/conversations/{conversation}", server.sign_in("alice"))
    assert status == 200, kept
    assert kept["messages"][-1]["role"] == "assistant" and kept["messages"][-1]["content"].strip(), kept
    assert text_of(got).startswith(kept["messages"][-1]["content"].strip()[:20])


def test_a_page_of_another_site_cannot_open_the_socket_with_the_cookie(page, server, tmp_path):
    (tmp_path / "index.html").write_text("<!doctype html><title>elsewhere</title>")
    handler = lambda *args: http.server.SimpleHTTPRequestHandler(*args, directory=str(tmp_path))  # noqa: E731
    elsewhere = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=elsewhere.serve_forever, daemon=True).start()
    try:
        sign_in(page, server, "bob")
        subscribe = [{"type": "subscribe", "topics": ["request"]}]
        own = page.evaluate(CONVERSE, {"url": socket_url(server), "until": "subscribed", "messages": subscribe})
        assert own["got"][0]["type"] == "subscribed", own
        # Same host, another port: the same site, so the browser sends bob's cookie.
        page.goto(f"http://127.0.0.1:{elsewhere.server_address[1]}/")
        foreign = page.evaluate(CONVERSE, {"url": socket_url(server), "until": "subscribed", "messages": subscribe})
        assert foreign["close"] and foreign["close"]["code"] == 1008, foreign
        assert foreign["got"][0]["type"] == "error" and foreign["got"][0]["status"] == 403, foreign
        assert not any(m["type"] == "subscribed" for m in foreign["got"])
    finally:
        elsewhere.shutdown()


def test_the_dashboard_shows_an_upload_being_ingested(page, server):
    sign_in(page, server, "admin")
    status, answer = api(server.url, "POST", "/v1/vector_stores", server.admin_key, {"name": "socket-notes"})
    assert status == 200, answer
    page.get_by_role("link", name="Dashboard").click()
    page.locator("#stream-state", has_text="live").wait_for()
    add_file(server.url, server.admin_key, answer["id"], "harbour.md", "# Harbour\n\nThe ferry leaves at nine.")
    page.locator("#activity li", has_text="harbour.md").filter(has_text="completed").wait_for(timeout=30_000)
    assert page.errors == []
