"""Hearth as an MCP server, driven by the official `mcp` package: over Streamable HTTP at
/mcp and over stdio through `hearth mcp`, each caller seeing what its key may use."""
import asyncio
import json
import os
import subprocess
import tempfile
import urllib.error
import urllib.request

import pytest
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client

from conftest import hearth_binary

NOTE = "The lighthouse keeper feeds the cat at seven."


@pytest.fixture(scope="module")
def people(user_keys):
    """The server, its admin's key and a new user's key, with a collection of the admin's
    holding one document."""
    url, admin_key, _ = user_keys
    env = dict(os.environ, HEARTH_HOST=url, HEARTH_API_KEY=admin_key)
    subprocess.run([hearth_binary(), "users", "add", "erin"], env=env, capture_output=True, text=True, check=True)
    erin = subprocess.run([hearth_binary(), "keys", "create", "--user", "erin"], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()
    folder = tempfile.mkdtemp(prefix="hearth-mcp-")
    with open(os.path.join(folder, "keeper.txt"), "w") as note:
        note.write(NOTE + "\n")
    subprocess.run([hearth_binary(), "ingest", folder, "-c", "mcpdocs"], env=env, capture_output=True, text=True, check=True)
    return url, admin_key, erin, os.path.join(folder, "keeper.txt")


async def http_session(url, key, body):
    async with create_mcp_http_client(headers={"Authorization": "Bearer " + key}) as http:
        async with streamable_http_client(url + "/mcp", http_client=http) as (read, write, *_):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await body(session)


async def stdio_session(url, key, body):
    env = dict(os.environ, HEARTH_HOST=url, HEARTH_API_KEY=key)
    async with stdio_client(StdioServerParameters(command=hearth_binary(), args=["mcp"], env=env)) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            return await body(session)


async def tour(session):
    """What a host does first: the tools, one call, the resources and one read."""
    tools = [tool.name for tool in (await session.list_tools()).tools]
    result = await session.call_tool("calculate", {"expression": "6 * 7"})
    failed = await session.call_tool("calculate", {"expression": "1 / 0"})
    resources = (await session.list_resources()).resources
    contents = [await session.read_resource(resource.uri) for resource in resources]
    return tools, result, failed, resources, contents


@pytest.mark.parametrize("transport", [http_session, stdio_session])
def test_a_host_lists_and_calls_tools_and_reads_resources(people, transport):
    url, admin_key, _, path = people
    tools, result, failed, resources, contents = asyncio.run(transport(url, admin_key, tour))
    assert {"calculate", "time_now", "files_read", "knowledge_search"} <= set(tools)
    assert result.is_error is False and result.content[0].text == "42"
    assert failed.is_error is True and "division by zero" in failed.content[0].text
    assert [resource.name for resource in resources] == ["mcpdocs"]
    documents = json.loads(contents[0].contents[0].text)["documents"]
    assert [document["path"] for document in documents] == [path]

    async def read_document(session):
        return await session.read_resource(documents[0]["uri"])

    document = asyncio.run(transport(url, admin_key, read_document))
    assert NOTE in document.contents[0].text


def test_a_user_sees_only_what_their_key_may_use(people):
    url, _, erin, _ = people
    tools, result, _, resources, _ = asyncio.run(http_session(url, erin, tour))
    assert "calculate" in tools and "files_read" not in tools
    assert result.content[0].text == "42"
    assert resources == []

    async def hidden_tool(session):
        try:
            await session.call_tool("files_read", {"path": "/etc/hostname"})
        except Exception as error:  # the client's McpError, carrying the server's JSON-RPC error
            return str(error)

    assert "Unknown tool" in asyncio.run(http_session(url, erin, hidden_tool))


def test_a_wrong_key_is_refused(people):
    url = people[0]
    hello = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
             "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
    request = urllib.request.Request(url + "/mcp", data=json.dumps(hello).encode(), method="POST", headers={
        "Authorization": "Bearer hth_not-a-key", "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 401
    with pytest.raises(Exception):
        asyncio.run(http_session(url, "hth_not-a-key", tour))
