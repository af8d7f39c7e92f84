"""The chat in a real browser: sign in, a streamed answer from smollm2:135m, stop, what
another user may see."""
import re
import time

from conftest import PASSWORDS, api
from conftest import sign_in as sign_in_only

MODEL = "smollm2:135m"


def sign_in(page, server, name):
    sign_in_only(page, server, name)
    page.get_by_label("Message").wait_for()
    page.get_by_label("Model").select_option(MODEL)


def test_a_wrong_password_is_refused_then_the_right_one_signs_in(page, server):
    page.goto(server.url + "/")
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password").fill("not-her-password")
    page.get_by_role("button", name="Sign in").click()
    assert "wrong user name or password" in page.get_by_role("alert").filter(has_text="wrong").inner_text()
    page.get_by_label("Password").fill(PASSWORDS["alice"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Message").wait_for()
    assert page.locator("#who").inner_text().startswith("alice")
    # The session is a cookie scripts cannot read.
    cookie = next(c for c in page.context.cookies() if c["name"] == "hearth_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert "hearth_session" not in page.evaluate("document.cookie")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in").wait_for()
    status, _ = api(server.url, "GET", "/hearth/auth/me", cookie["value"])
    assert status == 401, "signing out ends the session"


def test_an_answer_streams_in_and_the_conversation_is_kept(page, server):
    sign_in(page, server, "alice")
    page.get_by_label("Message").fill("Name three colours of the rainbow.")
    page.get_by_label("Message").press("Enter")
    answer = page.locator(".message.assistant .content").last
    # While it streams, the answer grows piece by piece.
    page.locator(".message.assistant.streaming").wait_for()
    lengths = []
    while page.locator(".message.assistant.streaming").count() and len(lengths) < 400:
        lengths.append(len(answer.inner_text()))
        time.sleep(0.02)
    assert len({n for n in lengths if n > 0}) >= 2, f"the answer arrived in one piece: {lengths}"
    page.get_by_role("button", name="Regenerate").wait_for()
    shown = answer.inner_text().strip()
    assert shown
    # Kept by the server, named after the question, listed in the sidebar.
    item = page.locator(".conversations li.current .open")
    assert "rainbow" in item.inner_text().lower()
    token = server.sign_in("alice")
    _, listing = api(server.url, "GET", "/hearth/conversations", token)
    kept = next(c for c in listing["conversations"] if "rainbow" in c["title"].lower())
    _, detail = api(server.url, "GET", f"/hearth/conversations/{kept['id']}", token)
    assert [m["role"] for m in detail["messages"]] == ["user", "assistant"]
    words = re.findall(r"[A-Za-z]{3,}", detail["messages"][1]["content"])  # list numbers are not text
    assert words and all(word in shown for word in words[:5])
    assert not page.errors


def test_stop_ends_the_generation_and_keeps_what_came(page, server):
    sign_in(page, server, "alice")
    page.get_by_label("Message").fill("Write a very long story about a lighthouse keeper, in many chapters.")
    page.get_by_role("button", name="Send").click()
    answer = page.locator(".message.assistant .content").last
    page.locator(".message.assistant.streaming").wait_for()
    deadline = time.monotonic() + 60
    while len(answer.inner_text()) <= 20 and time.monotonic() < deadline:
        time.sleep(0.02)
    page.get_by_role("button", name="Stop").click()
    page.locator(".message.assistant.stopped").wait_for()
    assert page.get_by_role("button", name="Send").is_enabled()
    assert not page.get_by_role("button", name="Stop").is_visible()
    stopped = answer.inner_text()
    time.sleep(1.5)
    assert answer.inner_text() == stopped, "the text went on growing after Stop"
    assert len(stopped) > 20


def test_another_users_conversation_is_neither_listed_nor_opened(page, server):
    alice = server.sign_in("alice")
    status, _ = api(server.url, "POST", "/v1/chat/completions", alice, {
        "model": MODEL, "conversation": "new", "max_tokens": 4,
        "messages": [{"role": "user", "content": "Alice's secret plans for the garden"}]})
    assert status == 200
    _, listing = api(server.url, "GET", "/hearth/conversations", alice)
    secret = next(c for c in listing["conversations"] if "secret" in c["title"])
    sign_in(page, server, "bob")
    page.locator(".conversations").wait_for(state="attached")
    page.wait_for_timeout(500)
    assert "secret" not in page.locator(".sidebar").inner_text()
    page.get_by_label("Search chats").fill("secret")
    page.wait_for_timeout(800)
    assert page.locator(".conversations li").count() == 0
    answer = page.request.get(server.url + f"/hearth/conversations/{secret['id']}")
    assert answer.status == 404


def test_an_api_key_signs_in_with_its_limits_and_revoking_it_signs_out(page, server):
    status, made = api(server.url, "POST", "/hearth/keys", server.admin_key,
                       {"user": "alice", "label": "browser key", "models": ["gemma3:270m"]})
    assert status == 201, made
    page.goto(server.url + "/")
    page.get_by_role("button", name="Use an API key instead").click()
    page.get_by_label("API key").fill("hth_wrong")
    page.get_by_role("button", name="Sign in").click()
    page.locator(".form-error").filter(has_text="invalid API key").wait_for()  # the answer comes, then the text
    page.get_by_label("API key").fill(made["key"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Message").wait_for()
    assert page.locator("#who").inner_text().startswith("alice")
    # The key may use gemma3:270m only: the picker offers nothing else.
    page.locator("#model option").first.wait_for(state="attached")
    assert page.locator("#model option").all_inner_texts() == ["gemma3:270m"]
    cookie = next(c for c in page.context.cookies() if c["name"] == "hearth_session")
    assert cookie["value"] != made["key"], "the browser holds a session, not the key"
    status, _ = api(server.url, "DELETE", f"/hearth/keys/{made['id']}", server.admin_key)
    assert status == 200
    page.reload()
    page.get_by_role("button", name="Sign in").wait_for()


def test_a_conversations_sampling_parameters_are_sent_and_kept_with_it(page, server):
    sign_in(page, server, "alice")
    page.get_by_label("Model").select_option(MODEL)
    page.get_by_text("Settings").click()
    page.get_by_label("Temperature").fill("0")
    page.get_by_label("Most tokens in an answer").fill("4")
    page.get_by_label("Message").fill("Tell me a long story about a lighthouse.")
    page.get_by_label("Message").press("Enter")
    page.locator("#alert", has_text="token limit").wait_for(timeout=60_000)  # max_tokens reached the server
    page.get_by_role("button", name="Regenerate").wait_for()
    page.get_by_role("button", name="New chat").click()
    assert page.get_by_label("Most tokens in an answer").input_value() == ""
    page.locator(".conversations li .open").first.click()
    page.locator(".message.assistant").first.wait_for()
    assert page.get_by_label("Temperature").input_value() == "0"
    assert page.get_by_label("Most tokens in an answer").input_value() == "4"
