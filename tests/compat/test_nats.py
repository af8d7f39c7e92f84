"""NATS with the official Python client (nats-py): Neuralux's subjects `ai.llm.request` and
`ai.llm.embed` answered by Hearth, and events on `hearth.events.>` while another replica
serves HTTP requests. nats-server comes from the set-up (scripts/setup-nats.sh)."""
import asyncio
import json
import os
import shutil
import subprocess
import tempfile

import httpx
import nats
import pytest

from conftest import free_port, start, stop

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "setup-nats.sh")


@pytest.fixture(scope="module")
def replicas():
    """A NATS server and two replicas on it; yields (NATS URL, the second replica's URL, the first's)."""
    folder = tempfile.mkdtemp(prefix="hearth-nats-")
    port = free_port()
    subprocess.run([SCRIPT, "start", folder, str(port), str(os.getpid())], check=True, capture_output=True)
    nats_url = f"nats://127.0.0.1:{port}"
    first = start(extra_env={"HEARTH_NATS_URL": nats_url})
    second = start(extra_env={"HEARTH_NATS_URL": nats_url})
    yield nats_url, second[1], first[1]
    for process, _, home in (first, second):
        stop(process)
        shutil.rmtree(home, ignore_errors=True)
    subprocess.run([SCRIPT, "stop", folder], check=True)
    shutil.rmtree(folder, ignore_errors=True)


def run(coroutine):
    return asyncio.run(coroutine)


def test_a_chat_request_on_ai_llm_request_gets_an_openai_answer(replicas):
    async def ask():
        client = await nats.connect(replicas[0])
        try:
            body = {"messages": [{"role": "user", "content": "Say hello."}], "max_tokens": 8, "temperature": 0}
            reply = await client.request("ai.llm.request", json.dumps(body).encode(), timeout=60)
            return reply
        finally:
            await client.close()

    reply = run(ask())
    assert reply.headers["Hearth-Status"] == "200"
    answer = json.loads(reply.data)
    assert answer["object"] == "chat.completion"
    assert answer["model"] == "smollm2:135m"
    assert answer["choices"][0]["message"]["content"]
    assert answer["usage"]["completion_tokens"] <= 8


def test_embeddings_on_ai_llm_embed(replicas):
    async def embed():
        client = await nats.connect(replicas[0])
        try:
            body = {"input": ["a first sentence", "a second one"], "model": "all-minilm:l6-v2"}
            return await client.request("ai.llm.embed", json.dumps(body).encode(), timeout=60)
        finally:
            await client.close()

    reply = run(embed())
    assert reply.headers["Hearth-Status"] == "200", reply.data
    vectors = [item["embedding"] for item in json.loads(reply.data)["data"]]
    assert len(vectors) == 2 and all(len(vector) == 384 for vector in vectors)
    assert vectors[0] != vectors[1]


def test_a_bad_request_gets_an_openai_error_with_its_status(replicas):
    async def ask():
        client = await nats.connect(replicas[0])
        try:
            bad = await client.request("ai.llm.request", b'{"messages": "not a list"}', timeout=30)
            missing = await client.request(
                "ai.llm.request", json.dumps({"model": "no-such:model", "messages": [{"role": "user", "content": "x"}]}).encode(),
                timeout=30)
            return bad, missing
        finally:
            await client.close()

    bad, missing = run(ask())
    assert bad.headers["Hearth-Status"] == "400"
    assert json.loads(bad.data)["error"]["message"]
    assert missing.headers["Hearth-Status"] == "404"
    assert "no-such:model" in json.loads(missing.data)["error"]["message"]


def test_events_of_a_replica_serving_http_arrive_on_hearth_events(replicas):
    nats_url, http_url, _ = replicas

    async def watch():
        client = await nats.connect(nats_url)
        seen = []
        try:
            subscription = await client.subscribe("hearth.events.>")
            await client.flush()
            async with httpx.AsyncClient(base_url=http_url, timeout=60) as http:
                response = await http.post("/v1/chat/completions", json={
                    "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4})
                assert response.status_code == 200
            deadline = asyncio.get_event_loop().time() + 10
            while asyncio.get_event_loop().time() < deadline:
                try:
                    message = await subscription.next_msg(timeout=1)
                except nats.errors.TimeoutError:
                    continue
                event = json.loads(message.data)
                seen.append((message.subject, event, message.headers or {}))
                if event["type"] == "request" and event["data"]["route"] == "/v1/chat/completions":
                    break
        finally:
            await client.close()
        return seen

    seen = run(watch())
    requests = [(subject, event, headers) for subject, event, headers in seen if event["type"] == "request"]
    assert requests, seen
    subject, event, headers = requests[-1]
    assert subject == "hearth.events.request"
    assert event["data"]["status"] == 200 and event["data"]["model"] == "smollm2:135m"
    assert headers.get("Hearth-Replica")
    # Events never carry the prompt or the answer.
    assert "Hi" not in json.dumps(event)


def test_jetstream_keeps_the_events_for_a_durable_consumer(replicas):
    nats_url, http_url, _ = replicas

    async def replay():
        with httpx.Client(base_url=http_url, timeout=60) as http:
            assert http.get("/v1/models").status_code == 200
        client = await nats.connect(nats_url)
        try:
            stream = client.jetstream()
            info = await stream.stream_info("HEARTH_EVENTS")
            assert info.config.subjects == ["hearth.events.>"]
            # A consumer that was not listening reads what happened before it came.
            consumer = await stream.pull_subscribe("hearth.events.request", durable="replay-test", stream="HEARTH_EVENTS")
            messages = await consumer.fetch(50, timeout=5)
            for message in messages:
                await message.ack()
            return [json.loads(message.data) for message in messages]
        finally:
            await client.close()

    events = run(replay())
    assert any(event["type"] == "request" and event["data"]["route"] == "/v1/models" for event in events), events


def test_every_replicas_event_stream_shows_the_requests_another_one_serves(replicas):
    _, second, first = replicas
    marker = "/v1/models/smollm2:135m"

    async def watch():
        async with httpx.AsyncClient(timeout=30) as http:
            async with http.stream("GET", first + "/hearth/events?topics=request") as events:
                lines = events.aiter_lines()
                assert (await lines.__anext__()).startswith(": connected")
                await asyncio.sleep(0.3)  # the stream is subscribed
                assert (await http.get(second + marker)).status_code == 200
                async def find():
                    async for line in lines:
                        if line.startswith("data: "):
                            event = json.loads(line[6:])
                            if event["data"]["route"].startswith("/v1/models/"):
                                return event
                return await asyncio.wait_for(find(), timeout=10)

    event = run(watch())
    assert event["type"] == "request" and event["data"]["status"] == 200


def test_a_nats_request_reads_no_users_collections(replicas):
    nats_url, second, first = replicas
    for url in (first, second):
        created = httpx.post(url + "/hearth/collections", json={"name": "private-notes"}, timeout=30)
        assert created.status_code in (201, 400), created.text  # 400: made by an earlier run

    async def ask():
        client = await nats.connect(replicas[0])
        try:
            body = {"messages": [{"role": "user", "content": "What is in my notes?"}], "collections": ["private-notes"],
                    "max_tokens": 4}
            return await client.request("ai.llm.request", json.dumps(body).encode(), timeout=30)
        finally:
            await client.close()

    reply = run(ask())
    # The administrators' collection is not found for a request that is nobody's.
    assert reply.headers["Hearth-Status"] == "404", reply.data
    assert "private-notes" in json.loads(reply.data)["error"]["message"]
