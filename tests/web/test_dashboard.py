"""The dashboard, live from /hearth/events, in a real browser."""
import threading
import time

from conftest import api, sign_in

MODEL = "smollm2:135m"


def tokens_per_second(card):
    return float(card.locator(".tps").inner_text())


def test_tokens_per_second_rise_while_a_chat_streams_and_users_see_only_their_requests(page, browser, server):
    sign_in(page, server, "admin")
    page.get_by_role("link", name="Dashboard").click()
    card = page.locator(f".card[data-model='{MODEL}']")
    card.wait_for()
    assert page.locator("#stream-state").inner_text() == "live"
    bob_context = browser.new_context()
    bob = bob_context.new_page()
    try:
        sign_in(bob, server, "bob")
        bob.get_by_role("link", name="Dashboard").click()
        bob.locator(f".card[data-model='{MODEL}']").wait_for()
        deadline = time.monotonic() + 30
        while tokens_per_second(card) >= 1 and time.monotonic() < deadline:  # what earlier tests generated dies down
            time.sleep(0.2)
        before = tokens_per_second(card)
        alice = server.sign_in("alice")
        chat = threading.Thread(target=api, args=(server.url, "POST", "/v1/chat/completions", alice, {
            "model": MODEL, "max_tokens": 160, "temperature": 0,
            "messages": [{"role": "user", "content": "Tell a long story about a fox and a crow."}]}))
        chat.start()
        seen, busy = [], []
        while chat.is_alive():
            seen.append(tokens_per_second(card))
            busy.append(card.locator(".busy").inner_text())
            time.sleep(0.1)
        chat.join()
        assert max(seen) >= before + 5, f"tokens/s did not rise while the chat streamed: {before} then {seen}"
        assert any(b.startswith("1 of") for b in busy), busy
        # The admin sees alice's request; bob, on his own dashboard, does not.
        page.locator(".recent tr", has_text="alice").first.wait_for()
        assert "/v1/chat/completions" in page.locator(".recent tr", has_text="alice").first.inner_text()
        bob.wait_for_timeout(1500)
        assert "alice" not in bob.locator(".recent").inner_text()
        assert bob.locator(f".card[data-model='{MODEL}']").count() == 1, "bob may use the model: he sees its activity"
    finally:
        bob_context.close()


def test_the_event_stream_needs_a_sign_in_and_names_its_topics(page, server):
    assert page.request.get(server.url + "/hearth/events", timeout=5000).status == 401
    token = server.sign_in("bob")
    status, answer = api(server.url, "GET", "/hearth/events?topics=nonsense", token)
    assert status == 400 and "request, stats" in answer["error"]["message"]


def test_a_dashboard_opened_after_a_chat_draws_the_hour_before_it(page, server):
    alice = server.sign_in("alice")
    status, _ = api(server.url, "POST", "/v1/chat/completions", alice, {
        "model": MODEL, "max_tokens": 48, "temperature": 0, "messages": [{"role": "user", "content": "Count to twenty."}]})
    assert status == 200
    time.sleep(1.5)  # the server samples every second
    status, past = api(server.url, "GET", "/hearth/stats/history", alice)
    assert status == 200 and past["interval"] == 10
    samples = next(m["samples"] for m in past["models"] if m["name"] == MODEL)
    assert max(s["tokens_per_second"] for s in samples) > 0, samples
    sign_in(page, server, "alice")
    page.get_by_role("link", name="Dashboard").click()
    canvas = page.locator(f".card[data-model='{MODEL}'] canvas")
    canvas.wait_for()
    # Drawn at once from the server's history: the chat's peak stands above the baseline, where
    # the live points of an idle model (0 tokens/s) would lie.
    inked = canvas.evaluate("""c => c.getContext('2d').getImageData(0, 0, c.width, c.height - 8).data
                                     .filter((v, i) => i % 4 == 3 && v > 0).length""")
    assert inked > 0, "the chart of a dashboard opened now is flat: the hour before it was not drawn"
