"""Reading images: POST /hearth/ocr on a page of text rendered here with Pillow, the same page
ingested into a collection (through the official `openai` client's vector stores) and found by
/hearth/search, and images Hearth must refuse: a corrupt one, and a decompression bomb."""
import io
import json
import struct
import urllib.error
import urllib.request
import zlib

import openai
import pytest
from openai import OpenAI
from PIL import Image, ImageDraw, ImageFont

LINES = ["Quarterly report of the lighthouse", "The keeper logged 4217 ships in March.", "Fog closed the harbour twice."]
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def page(fmt="PNG"):
    image = Image.new("L", (1400, 420), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 40)
    for number, line in enumerate(LINES):
        draw.text((60, 60 + number * 110), line, font=font, fill=0)
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def post(server, path, body, content_type):
    request = urllib.request.Request(server + path, data=body, headers={"Content-Type": content_type}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.parametrize("fmt,content_type", [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("TIFF", "image/tiff")])
def test_a_page_of_text_is_read_with_its_lines_and_boxes(server, fmt, content_type):
    status, result = post(server, "/hearth/ocr", page(fmt), content_type)
    assert status == 200, result
    assert result["format"] == fmt.lower() and (result["width"], result["height"]) == (1400, 420)
    assert "4217 ships" in result["text"] and "lighthouse" in result["text"]
    assert [line["text"] for line in result["lines"]] == LINES
    first = result["lines"][0]
    assert 40 <= first["box"]["x"] <= 80 and 50 <= first["box"]["y"] <= 90 and first["confidence"] > 60


def test_a_form_upload_is_read_too(server):
    boundary = "hearthboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"page.png\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + page() + f"\r\n--{boundary}--\r\n".encode()
    status, result = post(server, "/hearth/ocr", body, f"multipart/form-data; boundary={boundary}")
    assert status == 200 and "Fog closed the harbour" in result["text"]


def png(width, height, rows):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_a_corrupt_image_and_a_decompression_bomb_are_refused_and_the_server_goes_on(server):
    corrupt = page()[:200] + b"\x00garbage" * 50
    status, result = post(server, "/hearth/ocr", corrupt, "image/png")
    assert status == 400 and result["error"]["message"]
    # 100,000 × 100,000 pixels of white in a few kilobytes.
    bomb = png(100_000, 100_000, b"")
    status, result = post(server, "/hearth/ocr", bomb, "image/png")
    assert status == 400 and "megapixels" in result["error"]["message"]
    status, result = post(server, "/hearth/ocr", b"plain words, no image", "image/png")
    assert status == 400 and "not an image" in result["error"]["message"]
    assert post(server, "/hearth/ocr", page(), "image/png")[0] == 200


def test_an_image_in_a_collection_is_found_by_search(server, tmp_path):
    client = OpenAI(base_url=server + "/v1", api_key="unused", max_retries=0, timeout=120)
    scan = tmp_path / "report.png"
    scan.write_bytes(page())
    store = client.vector_stores.create(name="scans")
    attached = client.vector_stores.files.upload_and_poll(vector_store_id=store.id, file=open(scan, "rb"))
    assert attached.status == "completed", attached.last_error
    broken = tmp_path / "broken.png"
    broken.write_bytes(page()[:300])
    failed = client.vector_stores.files.upload_and_poll(vector_store_id=store.id, file=open(broken, "rb"))
    assert failed.status == "failed" and failed.last_error.message

    status, result = post(server, "/hearth/search", json.dumps({"query": "how many ships did the keeper log",
                                                                 "collection": store.id}).encode(), "application/json")
    assert status == 200, result
    assert result["hits"] and "4217 ships" in json.dumps(result["hits"][0])


def test_a_scanned_pdf_is_read_by_ocr(server, tmp_path):
    client = OpenAI(base_url=server + "/v1", api_key="unused", max_retries=0, timeout=120)
    scan = tmp_path / "scan.pdf"
    Image.open(io.BytesIO(page())).convert("RGB").save(scan, "PDF", resolution=150)  # pictures only, no text layer
    store = client.vector_stores.create(name="scanned")
    attached = client.vector_stores.files.upload_and_poll(vector_store_id=store.id, file=open(scan, "rb"))
    assert attached.status == "completed", attached.last_error
    hits = client.vector_stores.search(store.id, query="fog in the harbour", max_num_results=3).data
    assert hits and "Fog closed the harbour" in hits[0].content[0].text


def test_an_image_in_a_chat_is_read_into_the_message(server):
    import base64
    import ollama
    client = OpenAI(base_url=server + "/v1", api_key="unused", max_retries=0, timeout=120)
    url = "data:image/png;base64," + base64.b64encode(page()).decode()
    question = {"type": "text", "text": "How many ships did the keeper log?"}
    alone = client.chat.completions.create(model="smollm2:135m", messages=[{"role": "user", "content": [question]}],
                                           max_tokens=1, temperature=0)
    seen = client.chat.completions.create(
        model="smollm2:135m", messages=[{"role": "user", "content": [question, {"type": "image_url", "image_url": {"url": url}}]}],
        max_tokens=1, temperature=0)
    # The page's three lines went into the prompt as text (about 30 tokens and the markers).
    assert seen.usage.prompt_tokens >= alone.usage.prompt_tokens + 25
    with pytest.raises(openai.BadRequestError) as remote:
        client.chat.completions.create(
            model="smollm2:135m", max_tokens=1,
            messages=[{"role": "user", "content": [question, {"type": "image_url", "image_url": {"url": "http://169.254.169.254/x.png"}}]}])
    assert "data:" in str(remote.value)
    spoken = ollama.Client(host=server).chat(
        model="smollm2:135m", messages=[{"role": "user", "content": question["text"], "images": [base64.b64encode(page()).decode()]}],
        options={"num_predict": 1, "temperature": 0})
    assert spoken.prompt_eval_count >= alone.usage.prompt_tokens + 25


def test_an_input_image_in_a_response_is_read_into_its_input(server):
    import base64
    client = OpenAI(base_url=server + "/v1", api_key="unused", max_retries=0, timeout=120)
    url = "data:image/png;base64," + base64.b64encode(page()).decode()
    ask = {"type": "input_text", "text": "How many ships did the keeper log?"}
    alone = client.responses.create(model="smollm2:135m", input=[{"role": "user", "content": [ask]}],
                                    max_output_tokens=1, temperature=0, store=False)
    seen = client.responses.create(
        model="smollm2:135m", input=[{"role": "user", "content": [ask, {"type": "input_image", "image_url": url}]}],
        max_output_tokens=1, temperature=0, store=False)
    assert seen.usage.input_tokens >= alone.usage.input_tokens + 25
