"""Knowledge, models and administration in a real browser."""
import http.server
import os
import sys
import threading
import time
import urllib.parse

from conftest import add_file, api, sign_in

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from hearth_server import models_folder  # noqa: E402

FACT = "The keeper of the Skerry lighthouse is named Morag Quill. She lights the lamp at dusk and logs every ship."


def test_a_file_uploaded_into_a_collection_answers_a_question_and_its_passage_opens(page, server, tmp_path):
    sign_in(page, server, "alice")
    page.get_by_role("link", name="Knowledge").click()
    page.get_by_label("New collection").fill("coast")
    page.get_by_role("button", name="Create").click()
    page.get_by_role("heading", name="coast").wait_for()
    notes = tmp_path / "lighthouse.md"
    notes.write_text(f"# Lighthouse\n\n{FACT}\n\n# Harbour\n\nThe harbour has twelve moorings and a fish market.\n")
    page.get_by_label("Add files").set_input_files(str(notes))
    row = page.locator(".uploads li", has_text="lighthouse.md")
    row.locator(".status", has_text="done").wait_for(timeout=120_000)
    assert row.locator("progress").evaluate("bar => bar.value") == 1
    page.locator(".documents li", has_text="lighthouse.md").wait_for()
    # Search shows the hit with the words marked.
    page.get_by_label("Search", exact=True).fill("lighthouse keeper")
    page.get_by_role("button", name="Search", exact=True).click()
    hit = page.locator(".hits li").first
    hit.wait_for()
    assert "lighthouse.md" in hit.inner_text()
    assert [m.lower() for m in hit.locator("mark").all_inner_texts()][:2] == ["keeper", "lighthouse"]
    # Asking cites the file; its source opens the passage.
    page.get_by_label("Ask", exact=True).fill("Who keeps the Skerry lighthouse?")
    page.get_by_role("button", name="Ask", exact=True).click()
    source = page.locator(".sources .source").first
    source.wait_for(timeout=120_000)
    assert "lighthouse.md" in source.inner_text()
    source.click()
    assert "Morag Quill" in page.locator("#passage").inner_text()
    page.locator(".answer p").first.wait_for()
    assert not page.errors
    # Not bob's: his Knowledge view does not list it.
    token = server.sign_in("bob")
    _, listing = api(server.url, "GET", "/hearth/collections", token)
    assert "coast" not in [c["name"] for c in listing["collections"]]


def test_an_admin_uploads_a_folder_opens_a_documents_chunks_and_shares_the_collection(page, server, tmp_path):
    folder = tmp_path / "handbook"
    (folder / "rules").mkdir(parents=True)
    (folder / "rules" / "leave.md").write_text("# Leave\n\nEveryone takes twenty-eight days of leave a year.\n")
    (folder / "welcome.md").write_text("# Welcome\n\nThe office opens at eight.\n")
    (folder / ".secret.md").write_text("# Hidden\n\nNot for the collection.\n")
    sign_in(page, server, "admin")
    page.get_by_role("link", name="Knowledge").click()
    page.get_by_label("New collection").fill("handbook")
    page.get_by_role("button", name="Create").click()
    page.get_by_role("heading", name="handbook").wait_for()
    page.get_by_label("or a folder").set_input_files(str(folder))
    for name in ("handbook/rules/leave.md", "handbook/welcome.md"):
        page.locator(".uploads li", has_text=name).locator(".status", has_text="done").wait_for(timeout=120_000)
    assert page.locator(".uploads li", has_text=".secret.md").count() == 0, "hidden files stay out"
    page.locator(".documents li", has_text="welcome.md").wait_for()  # the list after the last file
    document = page.locator(".documents li", has_text="leave.md")
    document.get_by_role("button", name="leave.md").click()
    document.locator(".chunks li").first.wait_for()
    assert "twenty-eight days" in document.locator(".chunks").inner_text()
    page.get_by_label("Shared with").fill("bob")
    page.get_by_role("button", name="Share").click()
    page.locator("#alert", has_text="Shared with bob").wait_for()
    path = document.get_attribute("data-path")
    bob, alice = server.sign_in("bob"), server.sign_in("alice")
    status, chunks = api(server.url, "GET", f"/hearth/collections/handbook/chunks?path={urllib.parse.quote(path)}", bob)
    assert status == 200 and "twenty-eight days" in chunks["chunks"][0], chunks
    status, _ = api(server.url, "GET", f"/hearth/collections/handbook/chunks?path={urllib.parse.quote(path)}", alice)
    assert status == 404, "not shared with alice"
    assert page.errors == []


class SlowFile(http.server.BaseHTTPRequestHandler):
    """Serves one file at any path, 256 KB every 10 ms (about 25 MB/s): a download that takes
    long enough for its progress to be watched."""
    path_to_serve = None

    def do_GET(self):
        size = os.path.getsize(self.path_to_serve)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        with open(self.path_to_serve, "rb") as file:
            while chunk := file.read(256 << 10):
                self.wfile.write(chunk)
                time.sleep(0.01)

    def log_message(self, *args):
        pass


def test_an_admin_pulls_a_model_from_a_local_url_and_watches_it_come(page, server):
    blobs = os.path.join(models_folder(), "blobs")
    # The smallest model big enough to watch arrive (wake-word models are a few hundred kB).
    sizes = {b: os.path.getsize(os.path.join(blobs, b)) for b in os.listdir(blobs) if b.startswith("sha256-")}
    blob = min((b for b in sizes if sizes[b] > 20 << 20), key=sizes.get)
    handler = type("Handler", (SlowFile,), {"path_to_serve": os.path.join(blobs, blob)})
    files = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=files.serve_forever, daemon=True).start()
    try:
        sign_in(page, server, "admin")
        page.get_by_role("link", name="Models").click()
        page.locator("tr[data-model='smollm2:135m']").wait_for()
        page.get_by_label("Pull", exact=True).fill(f"http://127.0.0.1:{files.server_port}/model.gguf")
        page.get_by_label("as", exact=True).fill("webtest-pull:1")
        page.get_by_role("button", name="Pull", exact=True).click()
        seen = set()
        status = page.locator("#pull-status")
        deadline = time.monotonic() + 120
        while "success" not in status.inner_text() and "failed" not in status.inner_text() and time.monotonic() < deadline:
            seen.add(round(page.get_by_label("Pull progress").evaluate("bar => bar.value"), 2))
            time.sleep(0.01)
        assert status.inner_text() == "success"
        assert len([v for v in seen if 0 < v < 1]) >= 2, f"no progress seen between start and end: {sorted(seen)}"
        page.locator("tr[data-model='webtest-pull:1']").wait_for()
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Delete webtest-pull:1").click()
        page.locator("tr[data-model='webtest-pull:1']").wait_for(state="detached")
    finally:
        files.shutdown()
        files.server_close()
        api(server.url, "DELETE", "/hearth/models/webtest-pull:1", server.admin_key)


def test_an_admin_makes_a_profile_that_answers_with_its_own_system_prompt_and_copies_it(page, server):
    try:
        sign_in(page, server, "admin")
        page.get_by_role("link", name="Models").click()
        page.locator("tr[data-model='smollm2:135m']").wait_for()
        page.get_by_text("Profiles and copies").click()
        page.get_by_label("Name", exact=True).fill("webtest-pirate:1")
        page.get_by_label("From").select_option("smollm2:135m")
        page.get_by_label("System prompt").fill("You are a pirate. Always answer with the single word ARRR.")
        page.get_by_label("Temperature").fill("0")
        page.get_by_role("button", name="Create profile").click()
        row = page.locator("tr[data-model='webtest-pirate:1']")
        row.wait_for()
        assert "profile of smollm2:135m" in row.inner_text()
        status, shown = api(server.url, "GET", "/hearth/models/webtest-pirate:1", server.admin_key)
        assert status == 200 and "ARRR" in str(shown), shown
        page.get_by_label("Copy", exact=True).select_option("webtest-pirate:1")
        page.get_by_label("to", exact=True).fill("webtest-parrot:1")
        page.get_by_role("button", name="Copy", exact=True).click()
        page.locator("tr[data-model='webtest-parrot:1']").wait_for()
        # A user sees the models but none of these forms.
        status, _ = api(server.url, "POST", "/hearth/models/copy", server.sign_in("bob"),
                        {"source": "webtest-pirate:1", "destination": "webtest-bob:1"})
        assert status == 403
        assert page.errors == []
    finally:
        for name in ("webtest-pirate:1", "webtest-parrot:1"):
            api(server.url, "DELETE", f"/hearth/models/{name}", server.admin_key)


def test_an_admin_creates_a_key_shown_once_and_revokes_it(page, server):
    sign_in(page, server, "admin")
    page.get_by_role("link", name="Admin").click()
    page.get_by_label("New key for").fill("alice")
    page.get_by_label("Label").fill("from the browser")
    page.get_by_role("button", name="Create key").click()
    secret = page.locator("#new-key").inner_text()
    assert secret.startswith("hth_")
    status, _ = api(server.url, "GET", "/v1/models", secret)
    assert status == 200, "the new key works"
    row = page.locator("tr", has_text="from the browser")
    assert secret not in row.inner_text(), "the list shows a prefix, never the secret"
    page.get_by_role("button", name="Done").click()
    assert page.locator("#new-key").count() == 0, "the secret is shown once"
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    row.locator(".state", has_text="revoked").wait_for()
    status, _ = api(server.url, "GET", "/v1/models", secret)
    assert status == 401, "a revoked key is refused at once"


def test_a_user_sees_no_admin_view_and_the_api_refuses_her(page, server):
    sign_in(page, server, "alice")
    assert page.get_by_role("link", name="Admin").count() == 0
    page.goto(server.url + "/#/admin")
    page.get_by_label("Message").wait_for()  # the chat instead
    assert page.request.get(server.url + "/hearth/users").status == 403
    page.get_by_role("link", name="Models").click()
    page.locator("tr[data-model='smollm2:135m']").wait_for()
    assert page.get_by_role("button", name="Pull").count() == 0
    assert page.get_by_role("button", name="Delete smollm2:135m").count() == 0
    assert page.get_by_text("Profiles and copies").count() == 0


def test_an_admin_sees_usage_by_user_and_the_audit_log(page, server):
    alice = server.sign_in("alice")
    status, _ = api(server.url, "POST", "/v1/chat/completions", alice, {
        "model": "smollm2:135m", "max_tokens": 3, "messages": [{"role": "user", "content": "Hi"}]})
    assert status == 200
    sign_in(page, server, "admin")
    page.get_by_role("link", name="Admin").click()
    row = page.locator("#usage tr[data-group='alice']")
    row.wait_for()
    cells = row.locator("td").all_inner_texts()
    assert int(cells[1]) >= 1 and int(cells[3]) >= 1, cells
    page.get_by_label("By", exact=True).select_option("model")
    page.locator("#usage tr[data-group='smollm2:135m']").wait_for()
    log = page.locator("#audit").inner_text()
    assert "auth.login" in log and "alice" in log
    # The settings the server runs with, read only; no key in them; not for users.
    port = server.url.rsplit(":", 1)[1]
    assert port in page.locator("#settings tr[data-setting='HEARTH_HOST']").inner_text()
    assert "smollm2:135m" in page.locator("#settings tr[data-setting='HEARTH_MODELS']").inner_text()
    assert page.locator("#settings input, #settings button").count() == 0
    assert server.admin_key not in page.content()
    status, _ = api(server.url, "GET", "/hearth/settings", alice)
    assert status == 403


def test_a_chat_answers_from_a_chosen_collection_and_lists_its_sources(page, server):
    alice = server.sign_in("alice")
    status, _ = api(server.url, "POST", "/hearth/collections", alice, {"name": "harbour"})
    assert status == 201
    add_file(server.url, alice, "harbour", "ferries.md", "# Ferries\n\nThe Skerry ferry leaves the harbour at nine every morning.\n")
    sign_in(page, server, "alice")
    page.get_by_label("Model").select_option("smollm2:135m")
    page.get_by_text("Settings").click()
    page.get_by_label("Answer from collections (cited)").select_option(["harbour"])
    page.get_by_label("Message").fill("When does the Skerry ferry leave?")
    page.get_by_label("Message").press("Enter")
    page.get_by_role("button", name="Regenerate").wait_for(timeout=120_000)
    answer = page.locator(".message.assistant .content").last.inner_text()
    assert "Sources" in answer and "ferries.md" in answer, answer
    # Each [n] opens the passage it cites (at least the list of sources has one).
    page.locator(".message.assistant .cite").first.click()
    passage = page.locator(".message.assistant .passage").last
    assert passage.is_visible() and "Skerry ferry leaves the harbour" in passage.inner_text()
    assert "ferries.md" in passage.locator(".hit-title").inner_text()


def test_a_file_attached_to_a_chat_is_read_and_the_answer_cites_it(page, server, tmp_path):
    notes = tmp_path / "orchard.md"
    notes.write_text("# Orchard\n\nThe quince tree in the orchard was planted by Ines Varga in 1987.\n")
    sign_in(page, server, "bob")
    page.get_by_label("Model").select_option("smollm2:135m")
    page.locator("#attach").set_input_files(str(notes))
    row = page.locator(".attached li", has_text="orchard.md")
    row.locator(".status", has_text="done").wait_for(timeout=120_000)
    page.get_by_label("Message").fill("Who planted the quince tree?")
    page.get_by_label("Message").press("Enter")
    page.get_by_role("button", name="Regenerate").wait_for(timeout=120_000)
    answer = page.locator(".message.assistant .content").last
    assert "Sources" in answer.inner_text() and "orchard.md" in answer.inner_text(), answer.inner_text()
    answer.locator(".cite").first.click()
    assert "Ines Varga" in page.locator(".message.assistant .passage").last.inner_text()
    # The chat keeps its files: opened again, they are listed and still answer.
    page.locator(".conversations li .open").first.click()
    page.locator(".attached li", has_text="orchard.md").wait_for()
    assert page.errors == []


def test_tool_calls_and_their_results_are_folded_in_a_kept_chat(page, server):
    alice = server.sign_in("alice")
    status, answer = api(server.url, "POST", "/v1/chat/completions", alice, {
        "model": "smollm2:135m", "max_tokens": 8, "conversation": "new", "messages": [
            {"role": "user", "content": "What is the weather in Oslo?"},
            {"role": "assistant", "content": "", "tool_calls": [{"id": "call_1", "type": "function", "function": {
                "name": "get_weather", "arguments": "{\"city\": \"Oslo\"}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "12 °C and rain"}]})
    assert status == 200, answer
    sign_in(page, server, "alice")
    page.locator(".conversations li .open").first.click()
    call = page.locator("details.tool", has_text="Tool call: get_weather")
    result = page.locator("details.tool", has_text="Result of get_weather")
    call.wait_for()
    assert not call.locator("pre").is_visible(), "a tool call starts folded"
    call.locator("summary").click()
    assert '"city": "Oslo"' in call.locator("pre").inner_text()
    result.locator("summary").click()
    assert "12 °C and rain" in result.locator("pre").inner_text()
    assert page.errors == []
