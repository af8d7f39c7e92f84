"""Hearth's own safetensors → GGUF import of all-MiniLM-L6-v2 (done by the set-up) against
a NumPy forward pass of the same safetensors (tests/reference/minilm.py): the embeddings
the server returns must match with cosine ≥ 0.999 on 20 varied sentences."""
import glob
import json
import os
import sys
import urllib.request

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "reference"))
import minilm  # noqa: E402


def model_folder():
    cache = os.environ.get("HEARTH_SETUP_CACHE") or os.path.expanduser("~/.cache/hearth-setup")
    found = sorted(glob.glob(os.path.join(cache, "models", "all-minilm-l6-v2-*", "model.safetensors")))
    if not found:
        pytest.fail(f"the all-minilm safetensors are not in {cache}/models: run `make test` first")
    return os.path.dirname(found[-1])


def post(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def test_default_embedding_model_matches_the_numpy_reference(server):
    reference = np.array(minilm.reference_embeddings(model_folder(), minilm.SENTENCES))
    answer = post(server + "/v1/embeddings", {"input": minilm.SENTENCES})  # no model: the default embedding model
    assert answer["model"] == "all-minilm:l6-v2"
    got = np.array([item["embedding"] for item in answer["data"]])
    assert got.shape == reference.shape == (20, 384)
    cosine = (got * reference).sum(axis=1) / np.linalg.norm(got, axis=1) / np.linalg.norm(reference, axis=1)
    assert cosine.min() >= 0.999, cosine


def test_embedding_model_cannot_chat(server):
    with pytest.raises(urllib.error.HTTPError) as failure:
        post(server + "/v1/chat/completions", {"model": "all-minilm:l6-v2", "messages": [{"role": "user", "content": "hi"}]})
    assert failure.value.code == 400
    assert "only computes embeddings" in json.load(failure.value)["error"]["message"]
