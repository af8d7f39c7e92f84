"""The servers the compatibility tests drive with official clients (tests/hearth_server.py
starts them)."""
import os
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from hearth_server import free_port, hearth_binary, isolated_home, models_folder, start, stop  # noqa: E402,F401


@pytest.fixture(scope="session")
def server():
    process, url, home = start()
    yield url
    stop(process)
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def keyed_server():
    process, url, home = start(extra_env={"HEARTH_API_KEYS": "test-key-1"})
    yield url
    stop(process)
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def user_keys():
    """A server whose data folder has users: the first admin from `hearth admin bootstrap`
    and a user with a key an admin created; yields (url, admin key, user key)."""
    process, url, home = start()
    env = dict(os.environ, HEARTH_HOME=home, HEARTH_HOST=url)
    admin = subprocess.run([hearth_binary(), "admin", "bootstrap"], env=env, capture_output=True, text=True, check=True)
    admin_key = admin.stdout.strip()
    env["HEARTH_API_KEY"] = admin_key
    subprocess.run([hearth_binary(), "users", "add", "alice"], env=env, capture_output=True, text=True, check=True)
    alice = subprocess.run([hearth_binary(), "keys", "create", "--user", "alice"], env=env, capture_output=True, text=True,
                           check=True)
    yield url, admin_key, alice.stdout.strip()
    stop(process)
    shutil.rmtree(home, ignore_errors=True)

