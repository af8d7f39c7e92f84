"""Hearth's own safetensors → GGUF import of a Llama-family decoder, checked against a NumPy
forward pass (tests/reference/tiny_llama.py) of the same random model: after `hearth models
import`, llama.cpp's embeddings match the reference and its greedy next token is the
reference's, in f16 and q8_0."""
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

import numpy as np
import pytest

from conftest import free_port, hearth_binary, stop

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "reference"))
import tiny_llama  # noqa: E402


@pytest.fixture(scope="module")
def imported():
    """A fresh HEARTH_HOME holding the tiny model imported as f16 and as q8_0, served."""
    home = tempfile.mkdtemp(prefix="hearth-import-")
    folder = os.path.join(home, "tiny-llama-hf")
    tiny_llama.make_model(folder)
    env = dict(os.environ, HEARTH_HOME=home)
    for precision in ("f16", "q8_0"):
        result = subprocess.run([hearth_binary(), "models", "import", folder, "--name", f"tiny-llama:{precision}",
                                 "--type", precision], env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
    port = free_port()
    process = subprocess.Popen([hearth_binary(), "serve", "--port", str(port), "--model", "tiny-llama:f16",
                                "--model", "tiny-llama:q8_0", "--context", "128"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "/health", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    yield folder, url
    stop(process)


def post(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


@pytest.mark.parametrize("precision,least", [("f16", 0.999), ("q8_0", 0.99)])
def test_embeddings_match_the_numpy_reference(imported, precision, least):
    folder, url = imported
    answer = post(url + "/v1/embeddings", {"model": f"tiny-llama:{precision}", "input": tiny_llama.SENTENCES})
    for sentence, item in zip(tiny_llama.SENTENCES, answer["data"]):
        expected, _ = tiny_llama.reference(folder, sentence)
        assert float(np.dot(expected, item["embedding"])) >= least, sentence


def test_greedy_next_token_matches_the_numpy_reference(imported):
    folder, url = imported
    from tokenizers import Tokenizer
    tokenizer = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    checked = 0
    for sentence in tiny_llama.SENTENCES:
        _, logits = tiny_llama.reference(folder, sentence)
        first, second = np.sort(logits)[::-1][:2]
        if first - second < 0.2:  # too close to call through f16 weights
            continue
        answer = post(url + "/v1/completions",
                      {"model": "tiny-llama:f16", "prompt": sentence, "max_tokens": 1, "temperature": 0})
        assert answer["choices"][0]["text"] == tokenizer.decode([int(np.argmax(logits))]), sentence
        checked += 1
    assert checked >= 6
