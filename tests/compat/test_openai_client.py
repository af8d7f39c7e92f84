"""Hearth driven by the official `openai` Python package, as every existing client would."""
import json
import math
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request

import openai
import pytest
from openai import OpenAI

from conftest import hearth_binary, stop

MODEL = "smollm2:135m"


@pytest.fixture(scope="module")
def client(server):
    return OpenAI(base_url=server + "/v1", api_key="unused", max_retries=0, timeout=120)


def test_models_lists_the_served_model(client):
    ids = [m.id for m in client.models.list()]
    assert MODEL in ids
    assert client.models.retrieve(MODEL).id == MODEL


def test_chat_completion_answers_sensibly(client):
    reply = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Name three colors."}],
        temperature=0, max_tokens=30)
    assert all(c in reply.choices[0].message.content for c in ("Red", "Blue", "Green"))
    assert reply.choices[0].message.role == "assistant"
    assert reply.choices[0].finish_reason in ("stop", "length")
    assert reply.usage.prompt_tokens > 0 and reply.usage.completion_tokens > 0
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens


def test_chat_streaming_with_usage(client):
    stream = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Count from 1 to 5."}],
        temperature=0, max_tokens=20, stream=True, stream_options={"include_usage": True})
    text, finish, usage = "", None, None
    for chunk in stream:
        if chunk.choices:
            text += chunk.choices[0].delta.content or ""
            finish = chunk.choices[0].finish_reason or finish
        if chunk.usage:
            usage = chunk.usage
    assert text.strip()
    assert finish in ("stop", "length")
    assert usage is not None and usage.completion_tokens > 0


def test_stop_strings_and_max_tokens(client):
    free = client.completions.create(model=MODEL, prompt="1, 2, 3, 4, 5,", temperature=0, max_tokens=10)
    assert free.choices[0].finish_reason == "length"
    assert "7" in free.choices[0].text
    stopped = client.completions.create(model=MODEL, prompt="1, 2, 3, 4, 5,", temperature=0, max_tokens=10, stop=["7"])
    assert stopped.choices[0].finish_reason == "stop"
    assert "7" not in stopped.choices[0].text


def test_completion_streaming(client):
    pieces = [c.choices[0].text for c in client.completions.create(
        model=MODEL, prompt="The sky is", temperature=0, max_tokens=8, stream=True) if c.choices]
    assert "".join(pieces).strip()


def test_seed_gives_the_same_text(client):
    def ask():
        return client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "Tell me a fact."}],
            temperature=1.0, seed=1234, max_tokens=20).choices[0].message.content
    assert ask() == ask()


def test_embeddings_single_and_batch(client):
    one = client.embeddings.create(model=MODEL, input="hello world")  # the client asks for base64
    assert len(one.data) == 1
    vector = one.data[0].embedding
    assert len(vector) > 100
    assert math.isclose(sum(v * v for v in vector), 1.0, rel_tol=1e-3)
    many = client.embeddings.create(model=MODEL, input=["hello world", "a different sentence"], encoding_format="float")
    assert [d.index for d in many.data] == [0, 1]
    assert max(abs(a - b) for a, b in zip(vector, many.data[0].embedding)) < 1e-4
    assert many.usage.prompt_tokens > 0


def test_unknown_model_is_404_model_not_found(client):
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="nope:1b", messages=[{"role": "user", "content": "Hi"}])
    assert info.value.code == "model_not_found"


def test_context_overflow_is_400_context_length_exceeded(client):
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "word " * 2000}], max_tokens=5)
    assert info.value.code == "context_length_exceeded"


def test_wrong_field_type_is_400_naming_the_field(client):
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}], temperature="hot")
    assert info.value.param == "temperature"


def test_malformed_json_is_400(server):
    import urllib.error
    import urllib.request
    request = urllib.request.Request(server + "/v1/chat/completions", data=b"{not json", method="POST",
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request)
    assert info.value.code == 400


def test_oversize_body_is_413(client):
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x" * 100_000}])
    assert info.value.status_code == 413


def test_api_key_is_required_when_configured(keyed_server):
    anonymous = OpenAI(base_url=keyed_server + "/v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        anonymous.models.list()
    keyed = OpenAI(base_url=keyed_server + "/v1", api_key="test-key-1", max_retries=0)
    assert MODEL in [m.id for m in keyed.models.list()]


def active_sequences(server):
    import urllib.request
    text = urllib.request.urlopen(server + "/metrics").read().decode()
    lines = [l for l in text.splitlines() if l.startswith('hearth_active_sequences{model="smollm2:135m"}')]
    return int(float(lines[0].split()[-1]))


def test_client_that_disconnects_cancels_its_generation(server):
    """A streaming client that goes away frees its sequence at once."""
    client = OpenAI(base_url=server + "/v1", api_key="unused", max_retries=0, timeout=60)
    stream = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Write a very long story about a dragon."}],
        max_tokens=400, temperature=0, stream=True)
    next(iter(stream))
    assert active_sequences(server) == 1
    stream.close()
    deadline = time.time() + 2
    while active_sequences(server) != 0 and time.time() < deadline:
        time.sleep(0.05)
    assert active_sequences(server) == 0


def test_non_loopback_bind_without_key_or_user_is_refused(tmp_path):
    env = dict(os.environ, HEARTH_HOME=str(tmp_path))
    env.pop("HEARTH_API_KEYS", None)
    result = subprocess.run([hearth_binary(), "serve", "--host", "0.0.0.0", "--port", "1"],
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode != 0
    assert "HEARTH_API_KEYS" in result.stderr and "hearth admin bootstrap" in result.stderr


PROPOSAL = {"type": "object", "properties": {"command": {"type": "string"}, "explanation": {"type": "string"}},
            "required": ["command", "explanation"]}


def test_structured_output_follows_the_json_schema(client):
    reply = client.chat.completions.create(
        model=MODEL, temperature=0, max_tokens=120,
        messages=[{"role": "system", "content": "Answer with a shell command and an explanation, as JSON."},
                  {"role": "user", "content": "list files in this directory"}],
        response_format={"type": "json_schema", "json_schema": {"name": "proposal", "schema": PROPOSAL, "strict": True}})
    proposal = json.loads(reply.choices[0].message.content)
    assert list(proposal) == ["command", "explanation"]
    assert proposal["command"].strip()


def test_json_object_mode_answers_json(client):
    reply = client.chat.completions.create(
        model=MODEL, temperature=0, max_tokens=200, response_format={"type": "json_object"},
        messages=[{"role": "user", "content": 'Reply with a JSON object with one key, "color", whose value is a color.'}])
    content = reply.choices[0].message.content
    assert reply.choices[0].finish_reason == "stop", content
    assert isinstance(json.loads(content), dict)


def test_a_users_key_works_and_a_revoked_one_does_not(user_keys):
    url, admin_key, alice_key = user_keys
    assert alice_key.startswith("hth_")
    anonymous = OpenAI(base_url=url + "/v1", api_key="sk-not-a-key", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        anonymous.models.list()
    alice = OpenAI(base_url=url + "/v1", api_key=alice_key, max_retries=0, timeout=120)
    reply = alice.chat.completions.create(
        model="smollm2:135m", messages=[{"role": "user", "content": "Say hi."}], max_tokens=5, temperature=0)
    assert reply.choices[0].message.content
    # Alice may not manage users: the admin may, and revokes her key.
    request = urllib.request.Request(url + "/hearth/users", headers={"Authorization": "Bearer " + alice_key})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 403
    keys = json.load(urllib.request.urlopen(
        urllib.request.Request(url + "/hearth/keys", headers={"Authorization": "Bearer " + admin_key})))["keys"]
    alices = next(key for key in keys if key["user"] == "alice")
    urllib.request.urlopen(urllib.request.Request(
        url + "/hearth/keys/" + alices["id"], method="DELETE", headers={"Authorization": "Bearer " + admin_key}))
    with pytest.raises(openai.AuthenticationError):
        alice.models.list()



def test_a_spent_budget_is_the_clients_rate_limit_error_and_a_conversation_is_kept(user_keys):
    url, admin_key, _ = user_keys
    env = dict(os.environ, HEARTH_HOST=url, HEARTH_API_KEY=admin_key)
    for name in ("carol", "dave"):
        subprocess.run([hearth_binary(), "users", "add", name], env=env, capture_output=True, text=True, check=True)
    dave = subprocess.run([hearth_binary(), "keys", "create", "--user", "dave"], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()
    created = subprocess.run([hearth_binary(), "keys", "create", "--user", "carol", "--tokens-per-day", "400"],
                             env=env, capture_output=True, text=True, check=True)
    carol = OpenAI(base_url=url + "/v1", api_key=created.stdout.strip(), max_retries=0, timeout=120)
    # The first answer is kept in a new conversation, named by the response's header.
    raw = carol.chat.completions.with_raw_response.create(
        model="smollm2:135m", messages=[{"role": "user", "content": "Say hi."}], max_tokens=5, temperature=0,
        extra_body={"conversation": "new"})
    conversation = raw.headers["hearth-conversation"]
    assert raw.parse().choices[0].message.content
    kept = json.load(urllib.request.urlopen(urllib.request.Request(
        url + "/hearth/conversations/" + conversation, headers={"Authorization": "Bearer " + created.stdout.strip()})))
    assert [message["role"] for message in kept["messages"]] == ["user", "assistant"]
    # Another user's key does not find it.
    with pytest.raises(urllib.error.HTTPError) as hidden:
        urllib.request.urlopen(urllib.request.Request(
            url + "/hearth/conversations/" + conversation, headers={"Authorization": "Bearer " + dave}))
    assert hidden.value.code == 404
    # More than the whole budget can never pass: a client error naming max_tokens.
    with pytest.raises(openai.BadRequestError) as too_big:
        carol.chat.completions.create(model="smollm2:135m", messages=[{"role": "user", "content": "Hi"}], max_tokens=500)
    assert too_big.value.body["param"] == "max_tokens"
    # Spending it: OpenAI's insufficient_quota, with Retry-After until the next day.
    with pytest.raises(openai.RateLimitError) as refused:
        for _ in range(4):
            carol.chat.completions.create(
                model="smollm2:135m", messages=[{"role": "user", "content": "Write a long story."}], max_tokens=150)
    assert refused.value.code == "insufficient_quota"
    assert int(refused.value.response.headers["retry-after"]) > 0
