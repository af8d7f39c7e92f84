"""Hearth driven by the official `ollama` Python package, as every existing Ollama client would."""
import functools
import json
import math
import os
import tempfile
import threading
import urllib.request
import uuid
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import ollama
import pytest
from conftest import models_folder

MODEL = "smollm2:135m"
GREEDY = {"temperature": 0, "num_predict": 16}


@pytest.fixture(scope="module")
def client(server):
    return ollama.Client(host=server, timeout=120)


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def listed(client):
    return {m.model: m for m in client.list().models}


def test_list_shows_the_installed_model(client):
    model = listed(client)[MODEL]
    assert model.size > 0
    assert len(model.digest) == 64 and not model.digest.startswith("sha256:")
    assert model.details.format == "gguf"
    assert model.details.family == "llama"
    assert model.details.quantization_level == "Q4_1"
    assert model.details.parameter_size.endswith("M")
    assert model.modified_at is not None


def test_show_reports_architecture_and_capabilities(client):
    info = client.show(MODEL)
    assert info.details.family == "llama"
    assert info.details.quantization_level == "Q4_1"
    assert "completion" in info.capabilities
    assert "embedding" not in info.capabilities
    assert info.modelinfo["general.architecture"] == "llama"
    assert info.modelinfo["general.parameter_count"] > 100_000_000
    assert info.modelinfo["llama.context_length"] == 8192
    assert info.modelinfo["llama.embedding_length"] > 0


def test_show_unknown_model_is_404(client):
    with pytest.raises(ollama.ResponseError) as info:
        client.show("nope:1b")
    assert info.value.status_code == 404


def test_ps_lists_the_loaded_model(client):
    client.generate(model=MODEL)  # an empty prompt only loads the model
    model = {m.model: m for m in client.ps().models}[MODEL]
    assert model.size > 0
    assert model.details.family == "llama"
    assert model.expires_at is not None


def test_chat_answers(client):
    reply = client.chat(
        model=MODEL, messages=[{"role": "user", "content": "Name three colors."}],
        # Options Hearth does not use are accepted, as Ollama clients send many.
        options={**GREEDY, "num_ctx": 2048, "num_gpu": 1, "mirostat": 0}, keep_alive="5m")
    assert reply.message.role == "assistant"
    assert reply.message.content.strip()
    assert reply.done is True
    assert reply.done_reason in ("stop", "length")
    assert reply.prompt_eval_count > 0
    assert 0 < reply.eval_count <= 16
    assert reply.total_duration > 0
    assert reply.created_at


def test_chat_streaming_matches_the_whole_answer(client):
    messages = [{"role": "user", "content": "Name three colors."}]
    whole = client.chat(model=MODEL, messages=messages, options=GREEDY).message.content
    chunks = list(client.chat(model=MODEL, messages=messages, options=GREEDY, stream=True, keep_alive=-1))
    text = "".join(c.message.content or "" for c in chunks)
    assert text.strip()
    assert text == whole
    assert all(not c.done for c in chunks[:-1])
    last = chunks[-1]
    assert last.done is True
    assert last.done_reason in ("stop", "length")
    assert last.eval_count > 0
    assert chunks[0].done_reason is None and chunks[0].eval_count is None


def test_generate_raw_continues_the_text_and_honours_stop(client):
    free = client.generate(model=MODEL, prompt="1, 2, 3, 4, 5,", raw=True, options={"temperature": 0, "num_predict": 10})
    assert free.done is True
    assert free.done_reason == "length"
    assert "7" in free.response
    stopped = client.generate(
        model=MODEL, prompt="1, 2, 3, 4, 5,", raw=True, options={"temperature": 0, "num_predict": 10, "stop": ["7"]})
    assert stopped.done_reason == "stop"
    assert "7" not in stopped.response


def test_generate_with_system_and_streaming(client):
    whole = client.generate(model=MODEL, prompt="Name three colors.", system="You are terse.", options=GREEDY)
    assert whole.response.strip()
    assert whole.done is True and whole.eval_count > 0
    chunks = list(client.generate(model=MODEL, prompt="Name three colors.", system="You are terse.", options=GREEDY, stream=True))
    assert "".join(c.response or "" for c in chunks) == whole.response
    assert chunks[-1].done is True
    assert chunks[-1].done_reason in ("stop", "length")


def test_generate_without_prompt_loads_the_model(client):
    reply = client.generate(model=MODEL)
    assert reply.done is True
    assert reply.done_reason == "load"
    assert reply.response == ""


def test_embed_returns_unit_vectors(client):
    result = client.embed(model=MODEL, input=["hello world", "a different sentence"])
    assert len(result.embeddings) == 2
    first, second = result.embeddings
    assert len(first) == len(second) > 100
    for vector in result.embeddings:
        assert math.isclose(math.sqrt(sum(v * v for v in vector)), 1.0, abs_tol=1e-3)
    assert first != second
    assert result.prompt_eval_count > 0
    one = client.embed(model=MODEL, input="hello world")
    assert max(abs(a - b) for a, b in zip(one.embeddings[0], first)) < 1e-4
    legacy = client.embeddings(model=MODEL, prompt="hello world")
    assert max(abs(a - b) for a, b in zip(legacy.embedding, first)) < 1e-4


def test_unknown_model_is_404(client):
    with pytest.raises(ollama.ResponseError) as info:
        client.chat(model="nope:1b", messages=[{"role": "user", "content": "Hi"}])
    assert info.value.status_code == 404
    assert "nope:1b" in info.value.error
    with pytest.raises(ollama.ResponseError) as info:
        next(iter(client.chat(model="nope:1b", messages=[{"role": "user", "content": "Hi"}], stream=True)))
    assert info.value.status_code == 404


def test_bad_option_is_400_naming_it(client):
    with pytest.raises(ollama.ResponseError) as info:
        client.chat(model=MODEL, messages=[{"role": "user", "content": "Hi"}], options={"temperature": "hot"})
    assert info.value.status_code == 400
    assert "options.temperature" in info.value.error


def test_copy_then_delete(client):
    name = unique("copy-test") + ":latest"
    try:
        client.copy(MODEL, name)
        models = listed(client)
        assert name in models
        assert models[name].digest == models[MODEL].digest
        client.delete(name)
        assert name not in listed(client)
        assert MODEL in listed(client)  # the shared file stays with the other name
    finally:
        try:
            client.delete(name)
        except ollama.ResponseError:
            pass
    with pytest.raises(ollama.ResponseError) as info:
        client.delete(name)
    assert info.value.status_code == 404


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def gguf_server():
    """Serves the installed smollm2 file over HTTP under two unique names (links, not copies),
    so that each pull installs a model of its own."""
    root = models_folder()
    model, tag = MODEL.split(":")
    with open(os.path.join(root, "manifests", model, tag + ".json")) as f:
        digest = json.load(f)["blob"]
    blob = os.path.join(root, "blobs", "sha256-" + digest.removeprefix("sha256:"))
    with tempfile.TemporaryDirectory() as folder:
        names = [unique("pulltest") for _ in range(2)]
        for name in names:
            os.symlink(blob, os.path.join(folder, name + ".gguf"))
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=folder))
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{httpd.server_address[1]}"
        yield {"sources": [(f"{base}/{name}.gguf", name + ":latest") for name in names],
               "digest": digest, "size": os.path.getsize(blob)}
        httpd.shutdown()
        httpd.server_close()


def test_pull_a_url_installs_it_under_the_file_name(client, gguf_server):
    url, name = gguf_server["sources"][0]
    try:
        assert client.pull(url).status == "success"
        model = listed(client)[name]
        assert model.digest == gguf_server["digest"].removeprefix("sha256:")
        assert model.size == gguf_server["size"]
        reply = client.generate(model=name, prompt="Hi", options={"num_predict": 2})
        assert reply.done is True
    finally:
        client.delete(name)
    assert name not in listed(client)
    assert MODEL in listed(client)


def test_pull_streams_progress(client, gguf_server):
    url, name = gguf_server["sources"][1]
    try:
        progress = list(client.pull(url, stream=True))
        assert progress[-1].status == "success"
        downloading = [p for p in progress if p.completed and p.total]
        assert downloading
        assert all(p.completed <= p.total == gguf_server["size"] for p in downloading)
        assert downloading[-1].completed == gguf_server["size"]  # the bar reaches 100 %
        assert name in listed(client)
    finally:
        client.delete(name)


def test_pull_unknown_name_fails(client):
    with pytest.raises(ollama.ResponseError) as info:
        client.pull(unique("nope") + ":1b")
    assert info.value.status_code == 404


def test_ollama_version(server):
    with urllib.request.urlopen(server + "/api/version") as response:
        assert response.status == 200
        version = json.load(response)["version"]
    assert isinstance(version, str) and version


def test_format_schema_constrains_the_answer(client):
    schema = {"type": "object", "properties": {"command": {"type": "string", "maxLength": 60}, "risk": {"enum": ["low", "high"]}},
              "required": ["command", "risk"]}
    reply = client.chat(model=MODEL, format=schema, options={"temperature": 0, "num_predict": 80},
                        messages=[{"role": "user", "content": "a shell command that shows disk usage"}])
    answer = json.loads(reply.message.content)
    assert set(answer) == {"command", "risk"} and answer["risk"] in ("low", "high")
    # Unbounded "json" mode: the tiny model may loop until num_predict, but what it writes is JSON so far.
    cats = client.generate(model=MODEL, prompt="A JSON object about cats:", format="json",
                           options={"temperature": 0, "num_predict": 40})
    assert cats.response.lstrip().startswith("{"), cats.response
    if cats.done_reason == "stop":
        assert isinstance(json.loads(cats.response), dict)


def test_embed_with_no_input_loads_the_embedding_model(client):
    loaded = client.embed(model="all-minilm:l6-v2", input="", keep_alive="1m")
    assert loaded.embeddings == [] and loaded.model == "all-minilm:l6-v2"
    assert "all-minilm:l6-v2" in {m.model for m in client.ps().models}
    assert client.embeddings(model="all-minilm:l6-v2", prompt="").embedding == []
