"""Voice in the chat: the microphone button records (chromium's fake microphone plays a
sentence the server's own voice said), the words land in the message box; an answer's "Read
aloud" button fetches its speech and plays it."""
import json
import os
import tempfile
import urllib.request
import wave

import re

import pytest
from playwright.sync_api import expect

from conftest import sign_in

SENTENCE = "Please leave the green umbrella by the kitchen door."


def spoken_wav(server):
    """SENTENCE said by the server's voice, as a 24 kHz 16-bit WAV with a second of quiet around it."""
    request = urllib.request.Request(server.url + "/v1/audio/speech", method="POST", data=json.dumps(
        {"model": "tts-1", "voice": "alloy", "input": SENTENCE, "response_format": "pcm"}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {server.admin_key}"})
    with urllib.request.urlopen(request, timeout=120) as response:
        pcm = response.read()
    path = os.path.join(tempfile.mkdtemp(prefix="hearth-voice-"), "speech.wav")
    with wave.open(path, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(24000)
        out.writeframes(b"\0\0" * 24000 + pcm + b"\0\0" * 24000)
    return path, len(pcm) / 48000 + 2


@pytest.fixture
def voice_page(browser, server):
    """A page of a chromium whose microphone plays SENTENCE, then quiet, over and over."""
    path, seconds = spoken_wav(server)
    chromium = browser.browser_type.launch(executable_path=browser_path(browser), args=[
        "--no-sandbox", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={path}", "--autoplay-policy=no-user-gesture-required"])
    context = chromium.new_context(permissions=["microphone"])
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page, seconds
    context.close()
    chromium.close()


def browser_path(browser):
    from conftest import CHROMIUM
    return CHROMIUM


def test_the_microphone_fills_the_message_box_and_an_answer_is_read_aloud(voice_page, server):
    page, seconds = voice_page
    sign_in(page, server, "alice")
    mic = page.get_by_role("button", name="Dictate")
    mic.click()
    expect(mic).to_have_attribute("aria-pressed", "true")
    page.wait_for_timeout(int(seconds * 1000) + 500)
    with page.expect_response(lambda r: r.url.endswith("/v1/audio/transcriptions")) as answered:
        mic.click()
    assert answered.value.status == 200
    expect(page.locator("#prompt")).to_have_value(re.compile("umbrella", re.I), timeout=60_000)
    said = page.locator("#prompt").input_value().lower()
    assert "kitchen door" in said, said

    page.get_by_label("Model").select_option("smollm2:135m")
    page.locator("#prompt").fill("Say hello in three words.")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#stop")).to_be_hidden(timeout=120_000)  # the answer is complete
    read = page.locator("article.message.assistant button.read-aloud").last
    assert read.count() == 1, (page.locator("#alert").text_content(), page.locator("#messages").inner_text())
    with page.expect_response(lambda r: r.url.endswith("/v1/audio/speech")) as spoken:
        read.click()
    assert spoken.value.status == 200 and spoken.value.headers["content-type"] == "audio/mpeg"
    expect(read).to_have_attribute("aria-pressed", "true")
    assert page.errors == []
