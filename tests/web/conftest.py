"""Browser tests of the web UI: the real `hearth serve` (tests/hearth_server.py) with users
made through its API, driven by Debian's chromium through Playwright (no browser download).
A failing test leaves a screenshot in $HEARTH_SCREENSHOTS (default: a temporary folder) and
says where."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import sync_playwright

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from hearth_server import hearth_binary, start, stop  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
PASSWORDS = {"admin": "admin-password-0", "alice": "alice-password-1", "bob": "bob-password-22"}


def sign_in(page, server, name):
    """Signs `name` in through the page's form and waits for the app."""
    page.goto(server.url + "/")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORDS[name])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Views").get_by_role("link", name="Chat").wait_for()


def api(url, method, path, key=None, body=None):
    """A JSON request to the server with `key`; returns (status, decoded answer)."""
    request = urllib.request.Request(url + path, method=method, data=None if body is None else json.dumps(body).encode())
    request.add_header("Content-Type", "application/json")
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            data = response.read()
            return response.status, json.loads(data) if data else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def add_file(url, key, collection, filename, text):
    """Uploads `text` as `filename` (`/v1/files`, multipart) into `collection` and waits until
    it is searchable; returns the file's id."""
    boundary = "hearthboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nassistants\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename.replace(chr(34), '%22')}\"\r\n"
            f"Content-Type: text/markdown\r\n\r\n{text}\r\n--{boundary}--\r\n").encode()
    request = urllib.request.Request(url + "/v1/files", data=body, method="POST", headers={
        "Authorization": f"Bearer {key}", "Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        file_id = json.loads(response.read())["id"]
    status, entry = api(url, "POST", f"/v1/vector_stores/{collection}/files", key, {"file_id": file_id})
    assert status == 200, entry
    for _ in range(300):
        if entry["status"] != "in_progress":
            break
        time.sleep(0.2)
        _, entry = api(url, "GET", f"/v1/vector_stores/{collection}/files/{file_id}", key)
    assert entry["status"] == "completed", entry
    return file_id


class Server:
    def __init__(self, url, admin_key):
        self.url, self.admin_key = url, admin_key

    def sign_in(self, name):
        """A session token for `name` (as the page's sign-in gets one)."""
        status, answer = api(self.url, "POST", "/hearth/auth/login", body={"name": name, "password": PASSWORDS[name]})
        assert status == 200, answer
        return answer["token"]


@pytest.fixture(scope="session")
def server():
    """A server with an administrator (`admin`, from `hearth admin bootstrap`) and the users
    alice and bob, all with passwords."""
    process, url, home = start()
    env = dict(os.environ, HEARTH_HOME=home, HEARTH_HOST=url)
    admin = subprocess.run([hearth_binary(), "admin", "bootstrap"], env=env, capture_output=True, text=True, check=True)
    key = admin.stdout.strip()
    for name, password in PASSWORDS.items():
        if name != "admin":
            status, answer = api(url, "POST", "/hearth/users", key, {"name": name, "role": "user"})
            assert status == 201, answer
        status, answer = api(url, "POST", f"/hearth/users/{name}/password", key, {"password": password})
        assert status in (200, 204), answer
    yield Server(url, key)
    stop(process)
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (make test does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    page = item.funcargs.get("page") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and page is not None:
        folder = os.environ.get("HEARTH_SCREENSHOTS") or tempfile.mkdtemp(prefix="hearth-web-")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"{item.name}.png")
        try:
            page.screenshot(path=path, full_page=True)
            report.sections.append(("screenshot", path))
            print(f"\nscreenshot of the failure: {path}")
        except Exception as error:  # the page may be gone
            print(f"\nno screenshot: {error}")
