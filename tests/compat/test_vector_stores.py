"""Hearth's knowledge base through the official `openai` client: Files and Vector Stores."""
import time

import openai
import pytest
from openai import OpenAI

GUIDE = b"""# Hearth operations

## Backups

Stop the server, then copy knowledge.sqlite and the vectors folder to the backup disk.

## Ports

Hearth listens on port 8420 unless HEARTH_HOST says otherwise.
"""

RECIPES = b"""Lemon cake

Mix flour, sugar, eggs and the zest of two lemons. Bake for forty minutes at 180 degrees.
"""


@pytest.fixture(scope="module")
def client(server):
    return OpenAI(base_url=server + "/v1", api_key="unused", max_retries=0, timeout=120)


def test_upload_search_and_delete(client, tmp_path):
    guide = tmp_path / "operations.md"
    guide.write_bytes(GUIDE)
    store = client.vector_stores.create(name="ops")
    assert store.id.startswith("vs_") and store.name == "ops" and store.status == "completed"

    attached = client.vector_stores.files.upload_and_poll(vector_store_id=store.id, file=open(guide, "rb"))
    assert attached.status == "completed", attached.last_error
    assert attached.vector_store_id == store.id

    uploaded = client.files.retrieve(attached.id)
    assert uploaded.filename == "operations.md" and uploaded.bytes == len(GUIDE)
    assert client.files.content(attached.id).read() == GUIDE

    results = client.vector_stores.search(store.id, query="How do I back up Hearth?", max_num_results=3)
    assert results.data, "search found nothing"
    best = results.data[0]
    assert best.file_id == attached.id and best.filename == "operations.md"
    assert "copy knowledge.sqlite" in best.content[0].text
    assert 0 < best.score <= 1

    store = client.vector_stores.retrieve(store.id)
    assert store.file_counts.completed == 1 and store.file_counts.total == 1
    assert [f.id for f in client.vector_stores.files.list(store.id)] == [attached.id]
    assert store.id in [s.id for s in client.vector_stores.list()]

    deleted = client.vector_stores.files.delete(attached.id, vector_store_id=store.id)
    assert deleted.deleted
    assert client.vector_stores.search(store.id, query="back up Hearth").data == []
    assert client.vector_stores.delete(store.id).deleted
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.retrieve(store.id)


def test_batch_with_attributes_and_filters(client, tmp_path):
    (tmp_path / "guide.md").write_bytes(GUIDE)
    (tmp_path / "cake.txt").write_bytes(RECIPES)
    store = client.vector_stores.create(name="mixed")
    files = [client.files.create(file=open(tmp_path / name, "rb"), purpose="assistants") for name in ("guide.md", "cake.txt")]
    assert {f.id for f in client.files.list()} >= {f.id for f in files}
    batch = client.vector_stores.file_batches.create_and_poll(
        store.id, files=[{"file_id": files[0].id, "attributes": {"kind": "ops"}},
                         {"file_id": files[1].id, "attributes": {"kind": "food"}}])
    assert batch.file_counts.completed == 2 and batch.file_counts.in_progress == 0
    listed = client.vector_stores.file_batches.list_files(batch.id, vector_store_id=store.id)
    assert {f.id for f in listed.data} == {f.id for f in files}
    assert all(f.status == "completed" for f in listed.data)

    cake = client.vector_stores.search(store.id, query="how long to bake the lemon cake")
    assert cake.data[0].filename == "cake.txt"
    assert cake.data[0].attributes["kind"] == "food"
    only_ops = client.vector_stores.search(
        store.id, query="how long to bake the lemon cake", filters={"type": "eq", "key": "kind", "value": "ops"})
    assert only_ops.data and all(r.filename == "guide.md" for r in only_ops.data)
    client.vector_stores.delete(store.id)
    assert client.files.delete(files[1].id).deleted


def test_cancelled_batch_ingests_no_waiting_file(client, tmp_path):
    # Files of ~40 chunks each: the queue is busy with the first when the cancel arrives.
    files = []
    for i in range(8):
        path = tmp_path / f"part{i}.md"
        path.write_text("\n\n".join(f"Paragraph {n} of part {i}: the keeper logs wind, tide and the lamp's oil at hour {n}. " * 8
                                     for n in range(40)))
        files.append(client.files.create(file=open(path, "rb"), purpose="assistants"))
    store = client.vector_stores.create(name="cancel")
    batch = client.vector_stores.file_batches.create(store.id, file_ids=[f.id for f in files])
    cancelled = client.vector_stores.file_batches.cancel(batch.id, vector_store_id=store.id)
    assert cancelled.status == "cancelled"
    assert cancelled.file_counts.cancelled >= 6
    for _ in range(120):
        batch = client.vector_stores.file_batches.retrieve(batch.id, vector_store_id=store.id)
        if batch.file_counts.in_progress == 0:
            break
        time.sleep(0.5)
    assert batch.file_counts.in_progress == 0
    assert batch.file_counts.cancelled + batch.file_counts.completed == 8
    waiting = client.vector_stores.file_batches.list_files(batch.id, vector_store_id=store.id, filter="cancelled")
    assert len(waiting.data) == batch.file_counts.cancelled
    hits = client.vector_stores.search(store.id, query="the keeper logs wind and tide", max_num_results=50).data
    assert bool(hits) == (batch.file_counts.completed > 0)
    assert {hit.file_id for hit in hits} <= {f.id for f in files} - {f.id for f in waiting.data}
    client.vector_stores.delete(store.id)


def test_errors_are_openai_shaped(client, tmp_path):
    with pytest.raises(openai.NotFoundError) as missing_file:
        client.vector_stores.files.create(vector_store_id=client.vector_stores.create(name="e").id, file_id="file-missing")
    assert "file-missing" in missing_file.value.body["message"]
    assert missing_file.value.body["type"] == "invalid_request_error"
    with pytest.raises(openai.NotFoundError) as missing_store:
        client.vector_stores.search("vs_missing", query="x")
    assert "vs_missing" in missing_store.value.body["message"]
    binary = tmp_path / "data.bin"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    store = client.vector_stores.create(name="bad")
    attached = client.vector_stores.files.upload_and_poll(vector_store_id=store.id, file=open(binary, "rb"))
    assert attached.status == "failed"
    assert "binary" in attached.last_error.message
