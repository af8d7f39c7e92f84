"""A conversation of a thousand messages opens at once and renders only what is near view."""
import os
import shutil
import sys

from conftest import api

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from hearth_server import start, stop  # noqa: E402

# A thousand short messages are ~10,300 tokens: more than smollm2:135m was trained for (8,192).
MODEL = "gemma3:270m"


def test_a_thousand_messages_open_and_only_those_near_view_are_rendered(browser):
    # An open server (no users) with room for the whole conversation in one sequence.
    process, url, home = start(extra_env={"HEARTH_CONTEXT": "12288", "HEARTH_PARALLEL": "1"})
    context = browser.new_context()
    try:
        history = []
        for index in range(499):
            history += [{"role": "user", "content": f"q{index}"}, {"role": "assistant", "content": f"**a{index}**"}]
        history.append({"role": "user", "content": "last"})
        status, answer = api(url, "POST", "/v1/chat/completions", None, {
            "model": MODEL, "conversation": "new", "max_tokens": 2, "messages": history})
        assert status == 200, answer
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(url + "/")
        page.locator(".conversations .open").first.click()
        page.locator(".message").nth(999).wait_for(state="attached")
        assert page.locator(".message").count() == 1000
        page.wait_for_timeout(300)
        rendered = page.locator(".message.assistant .content:not([data-pending])").count()
        assert 0 < rendered < 100, f"{rendered} of 500 answers rendered at once"
        last = page.locator(".message").last
        assert last.evaluate("""element => {
            const box = element.getBoundingClientRect(), view = element.parentElement.getBoundingClientRect();
            return box.bottom > view.top && box.top < view.bottom;
        }"""), page.evaluate("""() => { const m = document.querySelector('.messages');
            return `the conversation opens at its end: scrollTop ${m.scrollTop} of ${m.scrollHeight} - ${m.clientHeight}`; }""")
        # Scrolled to the top, the first answer is rendered (as Markdown) too.
        page.locator(".message").first.scroll_into_view_if_needed()
        first_answer = page.locator(".message.assistant .content").first
        first_answer.locator("strong", has_text="a0").wait_for()
    finally:
        context.close()
        stop(process)
        shutil.rmtree(home, ignore_errors=True)
