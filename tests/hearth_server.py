"""Starts the real `hearth serve` (built by `swift build`) on a free loopback port with the
real smollm2:135m and a fresh data folder, and stops it by PID: shared by the compatibility
tests (tests/compat) and the browser tests (tests/web)."""
import os
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def hearth_binary():
    for build in ("debug", "release"):
        path = os.path.join(ROOT, ".build", build, "hearth")
        if os.path.exists(path):
            return path
    pytest.fail("hearth is not built: run `make test` (or `swift build`) first")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def models_folder():
    """The model store the set-up filled (as Hearth finds it: HEARTH_HOME, then XDG)."""
    if os.environ.get("HEARTH_HOME"):
        return os.path.join(os.environ["HEARTH_HOME"], "models")
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(data, "hearth", "models")


def isolated_home():
    """A fresh HEARTH_HOME whose models are the set-up's, so that the knowledge base and
    uploads of a test run start empty (the fixtures remove it afterwards)."""
    home = tempfile.mkdtemp(prefix="hearth-compat-")
    os.symlink(models_folder(), os.path.join(home, "models"))
    return home


def start(extra_env=None, args=(), files=None):
    """`hearth serve` on a free port with a fresh HEARTH_HOME holding `files` (name: text)."""
    port = free_port()
    home = isolated_home()
    for name, text in (files or {}).items():
        with open(os.path.join(home, name), "w") as file:
            file.write(text)
    env = dict(os.environ, HEARTH_PARALLEL="4", HEARTH_CONTEXT="512", HEARTH_MAX_BODY="65536", HEARTH_HOME=home)
    env.update(extra_env or {})  # which may override the defaults above
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        [hearth_binary(), "serve", "--host", "127.0.0.1", "--port", str(port), "--model", "smollm2:135m", *args],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 120
    while time.time() < deadline:
        if process.poll() is not None:
            log.seek(0)
            pytest.fail("hearth serve exited: " + log.read().decode(errors="replace")[-2000:])
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as response:
                if response.status == 200:
                    return process, f"http://127.0.0.1:{port}", home
        except OSError:
            time.sleep(0.2)
    process.kill()
    pytest.fail("hearth serve did not become healthy in 120 s")


def stop(process):
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
