"""Knowledge, models and administration in a real browser."""
import json
import os
import subprocess
import sys
import time

from conftest import api, sign_in

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from hearth_server import free_port, models_folder  # noqa: E402

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


def test_an_admin_pulls_a_model_from_a_local_url_and_watches_it_come(page, server):
    blobs = os.path.join(models_folder(), "blobs")
    blob = min((b for b in os.listdir(blobs) if b.startswith("sha256-")), key=lambda b: os.path.getsize(os.path.join(blobs, b)))
    port = free_port()
    files = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], cwd=blobs,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        sign_in(page, server, "admin")
        page.get_by_role("link", name="Models").click()
        page.locator("tr[data-model='smollm2:135m']").wait_for()
        page.get_by_label("Pull", exact=True).fill(f"http://127.0.0.1:{port}/{blob}")
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
        files.terminate()
        files.wait()
        api(server.url, "DELETE", "/hearth/models/webtest-pull:1", server.admin_key)


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
