"""Hearth as an MCP client: real MCP servers from PyPI (`mcp-server-time`, `mcp-server-git`,
installed in this virtual environment) configured in mcp.json become skills `server.tool`,
run on /hearth/skills and in the agent loop with the real smollm2:135m, and a server that
dies is started again."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

from conftest import start, stop

BIN = os.path.dirname(sys.executable)
MODEL = "smollm2:135m"


@pytest.fixture(scope="module")
def hearth():
    repository = tempfile.mkdtemp(prefix="hearth-git-")
    subprocess.run(["git", "init", "-q", repository], check=True)
    with open(os.path.join(repository, "notes.txt"), "w") as notes:
        notes.write("hello\n")
    servers = {"mcpServers": {
        "time": {"command": os.path.join(BIN, "mcp-server-time"), "args": ["--local-timezone", "UTC"]},
        "git": {"command": os.path.join(BIN, "mcp-server-git"), "args": ["--repository", repository]},
    }}
    process, url, home = start(files={"mcp.json": json.dumps(servers)})
    wait_until(url, lambda servers: all(server["state"] == "up" for server in servers) and len(servers) == 2)
    yield process, url, repository
    stop(process)
    shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(repository, ignore_errors=True)


def call(url, path, body=None):
    request = urllib.request.Request(url + path, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=300) as response:
        return json.load(response)


def wait_until(url, condition, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        servers = call(url, "/hearth/status")["mcp_servers"]
        if condition(servers):
            return servers
        time.sleep(0.2)
    pytest.fail("MCP servers never got there: " + json.dumps(servers))


def test_the_servers_tools_are_skills(hearth):
    _, url, repository = hearth
    names = [skill["name"] for skill in call(url, "/hearth/skills")["skills"]]
    assert {"time.get_current_time", "time.convert_time", "git.git_status", "git.git_log"} <= set(names)
    now = call(url, "/hearth/skills/time.get_current_time", {"arguments": {"timezone": "Asia/Tokyo"}})
    assert now["is_error"] is False and json.loads(now["output"])["timezone"] == "Asia/Tokyo"
    status = call(url, "/hearth/skills/git.git_status", {"arguments": {"repo_path": repository}})
    assert status["is_error"] is False and "notes.txt" in status["output"]


@pytest.mark.parametrize("tool", ["time.get_current_time", "git.git_status"])
def test_the_agent_loop_drives_them(hearth, tool):
    _, url, _ = hearth
    run = call(url, "/hearth/agents/run", {
        "model": MODEL, "input": "Use the tool.", "skills": [tool], "max_steps": 2, "max_tokens": 200, "temperature": 0,
        "tool_choice": {"type": "function", "function": {"name": tool}}})
    calls = [step for step in run["steps"] if step["type"] == "tool_call"]
    results = [step for step in run["steps"] if step["type"] == "tool_result"]
    assert calls and calls[0]["name"] == tool
    # The server answered: its output, or its own complaint about the model's arguments.
    assert results and results[0]["name"] == tool and results[0]["output"]
    assert not results[0]["output"].startswith(("no MCP server", "the MCP server '")), results[0]
    assert run["finish_reason"] in ("stop", "length", "max_steps", "budget")


def test_a_server_that_dies_is_started_again(hearth):
    process, url, _ = hearth
    children = subprocess.run(["ps", "-ww", "-o", "pid=,args=", "--ppid", str(process.pid)], capture_output=True, text=True).stdout
    time_server = next((int(line.split()[0]) for line in children.splitlines() if "mcp-server-time" in line), None)
    assert time_server, children
    os.kill(time_server, signal.SIGKILL)
    down = wait_until(url, lambda servers: any(s["name"] == "time" and s["state"] != "up" for s in servers), 10)
    assert "signal 9" in next(s for s in down if s["name"] == "time")["error"]
    back = wait_until(url, lambda servers: any(s["name"] == "time" and s["state"] == "up" for s in servers), 30)
    assert next(s for s in back if s["name"] == "time")["restarts"] >= 1
    now = call(url, "/hearth/skills/time.get_current_time", {"arguments": {"timezone": "UTC"}})
    assert now["is_error"] is False
