"""What the page must never do: run script from model output, messages, titles or links, or
any inline script at all."""

from conftest import PASSWORDS, add_file, api, sign_in
from playwright.sync_api import expect

MODEL = "smollm2:135m"
PAYLOADS = [
    "<script>window.__xss = 1</script>",
    "<img src=x onerror=\"window.__xss = 2\">",
    "[click me](javascript:window.__xss=3)",
    "<a href=\"javascript:window.__xss=4\">link</a>",
    "<svg onload=\"window.__xss = 5\"></svg>",
    "<iframe src=\"javascript:window.__xss=6\"></iframe>",
    "<details open ontoggle=\"window.__xss = 7\">x</details>",
    "<form action=\"javascript:window.__xss=8\"><button>go</button></form>",
    "```html\n<script>window.__xss = 9</script>\n```",
    "<style>body { display: none }</style>",
]
# Maths is typeset from model output: neither raw MathML nor KaTeX's commands may link or run.
MATH_PAYLOADS = [
    "<math><maction actiontype=\"statusline\" href=\"javascript:window.__xss=11\"><mi>x</mi></maction></math>",
    "$\\href{javascript:window.__xss=12}{click}$ and $$\\htmlData{onclick=window.__xss=13}{x}$$",
]


def test_html_in_messages_and_titles_renders_as_text(page, server):
    alice = server.sign_in("alice")
    history = []
    for payload in PAYLOADS:
        history += [{"role": "user", "content": payload}, {"role": "assistant", "content": payload}]
    status, _ = api(server.url, "POST", "/v1/chat/completions", alice, {
        "model": MODEL, "conversation": "new", "max_tokens": 2, "messages": history + [{"role": "user", "content": "ok"}]})
    assert status == 200
    _, listing = api(server.url, "GET", "/hearth/conversations", alice)
    conversation = listing["conversations"][0]
    status, _ = api(server.url, "PATCH", f"/hearth/conversations/{conversation['id']}", alice,
                    {"title": "<img src=x onerror=\"window.__xss = 10\">"})
    assert status == 200
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(server.url + "/")
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password").fill(PASSWORDS["alice"])
    page.get_by_role("button", name="Sign in").click()
    title = page.locator(".conversations .open", has_text="onerror")
    assert title.inner_text() == "<img src=x onerror=\"window.__xss = 10\">", "the title is shown as text"
    title.click()
    page.locator(".message.user").nth(len(PAYLOADS) - 1).wait_for(state="attached")
    # Answers are rendered as they come near view: bring each into view.
    for answer in page.locator(".message.assistant").all():
        answer.scroll_into_view_if_needed()
    expect(page.locator(".content[data-pending]")).to_have_count(0)
    # User messages are text, exactly as typed.
    users = page.locator(".message.user .content").all_text_contents()
    assert users[: len(PAYLOADS)] == PAYLOADS
    for link in page.locator(".messages a").all():
        assert link.get_attribute("href") is None or not link.get_attribute("href").lower().startswith("javascript")
        link.click(modifiers=["Control"], no_wait_after=True)
    page.wait_for_timeout(500)
    assert page.evaluate("window.__xss") is None
    assert dialogs == []
    messages = page.locator(".messages")
    assert messages.locator("script, iframe, svg, form, style, [onerror], [onload], [ontoggle], [onclick], [href^='javascript']").count() == 0
    # The code block shows the script as code.
    assert "<script>window.__xss = 9</script>" in messages.locator("pre code").first.text_content()
    # highlight.js, loaded with the first code block, coloured it.
    expect(messages.locator("pre code.hljs").first).to_be_attached()
    assert page.locator("body").is_visible()


def test_the_policy_forbids_inline_script(page, server):
    response = page.goto(server.url + "/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    violations = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None)
    page.evaluate("""() => {
        const script = document.createElement('script');
        script.textContent = 'window.__inline = 1';
        document.body.append(script);
        const image = document.createElement('img');
        image.setAttribute('onerror', 'window.__inline = 2');
        image.src = 'data:,broken';
        document.body.append(image);
    }""")
    page.wait_for_timeout(500)
    assert page.evaluate("window.__inline") is None
    assert violations, "the browser reported no blocked script"


def test_the_page_and_its_files_need_no_key_but_the_api_does(page, server):
    for path in ("/", "/ui/app.js", "/ui/vendor/purify.min.js"):
        assert page.request.get(server.url + path).status == 200
    assert page.request.get(server.url + "/ui/nothing-here.js").status == 404
    assert page.request.get(server.url + "/hearth/conversations").status == 401


def test_file_names_render_as_text_and_collection_names_refuse_html(page, server):
    alice = server.sign_in("alice")
    status, answer = api(server.url, "POST", "/hearth/collections", alice, {"name": "<b>bold</b>"})
    assert status == 400, answer
    status, _ = api(server.url, "POST", "/hearth/collections", alice, {"name": "names"})
    assert status == 201
    add_file(server.url, alice, "names", '<img src=x onerror="window.__xss=11">.md', "# Note\n\nThe ferry leaves at nine.\n")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, server, "alice")
    page.get_by_role("link", name="Knowledge").click()
    page.locator(".collections button", has_text="names").click()
    document = page.locator(".documents li").first
    document.wait_for()
    assert "onerror" in document.inner_text(), "the name is shown as text"
    assert page.locator(".documents img, .documents [onerror]").count() == 0
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None and dialogs == []


def test_maths_is_typeset_as_mathml_and_prices_and_code_keep_their_dollars(page, server):
    alice = server.sign_in("alice")
    answer = ("The area is $\\pi r^2$, and a half is\n\n$$\\frac{a_1}{b_2}$$\n\nor \\(x_i^2\\). "
              "Prices: $5 and $10. In code: `$HOME` and\n\n```sh\necho $a$b\n```\n")
    status, _ = api(server.url, "POST", "/v1/chat/completions", alice, {
        "model": MODEL, "conversation": "new", "max_tokens": 2, "messages": [
            {"role": "user", "content": "Maths?"}, {"role": "assistant", "content": answer},
            *[{"role": "assistant", "content": payload} for payload in MATH_PAYLOADS], {"role": "user", "content": "ok"}]})
    assert status == 200
    sign_in(page, server, "alice")
    assert page.evaluate("window.katex") is None, "KaTeX comes with the first formula, not before"
    page.locator(".conversations .open").first.click()
    content = page.locator(".message.assistant .content").first
    expect(content.locator("math")).to_have_count(3)
    area, half, square = content.locator("math").all()
    assert "π" in area.text_content() and area.locator("msup").count() == 1
    assert half.get_attribute("display") == "block" and half.locator("mfrac msub").count() == 2
    assert square.locator("msubsup").count() == 1
    text = content.inner_text()
    assert "Prices: $5 and $10." in text and "$HOME" in text and "echo $a$b" in text
    messages = page.locator(".messages")
    messages.locator(".message.assistant").last.scroll_into_view_if_needed()
    expect(page.locator(".content[data-pending]")).to_have_count(0)
    assert messages.locator("maction").count() == 0, "raw MathML in an answer is removed"
    for element in messages.locator("math *").all():
        assert element.get_attribute("href") is None and element.get_attribute("onclick") is None
    for link in messages.locator("a, math [href]").all():
        link.click(modifiers=["Control"], no_wait_after=True)
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None
    # The formula's own sanitiser: whatever KaTeX returns, no link or handler survives it.
    leaked = page.evaluate("""async () => {
      window.katex.renderToString = () => '<math><mi href="javascript:window.__xss=20" onclick="window.__xss=21">x</mi>'
        + '<mtext><a href="javascript:window.__xss=22">a</a><img src=x onerror="window.__xss=23"></mtext></math>';
      const { renderMarkdown } = await import("/ui/markdown.js");
      const box = document.createElement("div");
      document.body.append(box);
      renderMarkdown(box, "$y$");
      const found = box.querySelectorAll("[href], [onclick], [onerror], a, img").length;
      box.querySelector("mi")?.dispatchEvent(new MouseEvent("click"));
      box.remove();
      return found;
    }""")
    page.wait_for_timeout(300)
    assert leaked == 0 and page.evaluate("window.__xss") is None
    assert page.errors == []
