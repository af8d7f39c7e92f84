"""Speech through the official `openai` client: whisper.cpp's sample (jfk.wav)
transcribed by the set-up's whisper:tiny.en in every response format, translated, streamed,
and bad audio refused; text said by its voice piper-joe:medium and heard back, streamed."""
import os
import re
import subprocess

import openai
import pytest
from openai import OpenAI

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SENTENCE = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."


def jfk():
    prefix = subprocess.run([os.path.join(ROOT, "scripts", "setup-whisper.sh"), "--prefix"], capture_output=True, text=True,
                            check=True).stdout.strip()
    with open(os.path.join(prefix, "jfk.wav"), "rb") as f:
        return f.read()


def words(text):
    return re.findall(r"[a-z0-9']+", text.lower())


def word_error_rate(hypothesis, reference):
    h, r = words(hypothesis), words(reference)
    row = list(range(len(h) + 1))
    for i in range(1, len(r) + 1):
        previous, row = row, [i] + [0] * len(h)
        for j in range(1, len(h) + 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (r[i - 1] != h[j - 1]))
    return row[len(h)] / max(len(r), 1)


@pytest.fixture(scope="module")
def client(server):
    return OpenAI(base_url=server + "/v1", api_key="unused", timeout=300)


def test_a_transcription_is_the_sentence_said(client):
    result = client.audio.transcriptions.create(model="whisper-1", file=("jfk.wav", jfk()))
    assert word_error_rate(result.text, SENTENCE) <= 0.10, result.text


def test_verbose_json_has_segments_and_words(client):
    result = client.audio.transcriptions.create(model="whisper-1", file=("jfk.wav", jfk()), response_format="verbose_json",
                                                timestamp_granularities=["word", "segment"])
    assert result.language == "english" and abs(result.duration - 11.0) < 0.1
    assert result.segments and result.segments[0].start < 1 and result.segments[-1].end > 9
    assert word_error_rate(" ".join(w.word for w in result.words), SENTENCE) <= 0.10
    assert all(a.start <= b.start for a, b in zip(result.words, result.words[1:]))


@pytest.mark.parametrize("fmt,starts", [("text", ""), ("srt", "1\n00:00:00,000 --> "), ("vtt", "WEBVTT\n\n00:00:00.000 --> ")])
def test_text_and_subtitles(client, fmt, starts):
    result = client.audio.transcriptions.create(model="whisper-1", file=("jfk.wav", jfk()), response_format=fmt)
    assert isinstance(result, str) and result.startswith(starts), result
    assert word_error_rate(re.sub(r"[\d:,.>-]+ --> [\d:,.]+|WEBVTT|^\d+$", " ", result, flags=re.M), SENTENCE) <= 0.10


def test_a_translation_is_english(client):
    result = client.audio.translations.create(model="whisper-1", file=("jfk.wav", jfk()))
    assert word_error_rate(result.text, SENTENCE) <= 0.10


def test_a_stream_gives_pieces_then_the_whole(client):
    events = list(client.audio.transcriptions.create(model="whisper-1", file=("jfk.wav", jfk()), stream=True))
    assert events[0].type == "transcript.text.delta" and events[-1].type == "transcript.text.done"
    assert word_error_rate("".join(e.delta for e in events[:-1]), SENTENCE) <= 0.10
    assert word_error_rate(events[-1].text, SENTENCE) <= 0.10


def test_what_is_not_audio_is_refused(client):
    with pytest.raises(openai.BadRequestError, match="not audio Hearth can read"):
        client.audio.transcriptions.create(model="whisper-1", file=("notes.mp3", b"ID3 but then nothing of a song"))
    with pytest.raises(openai.NotFoundError):
        client.audio.transcriptions.create(model="whisper:large-v9", file=("jfk.wav", jfk()))


@pytest.mark.parametrize("fmt", ["mp3", "opus", "flac", "wav"])
def test_speech_is_heard_back(client, fmt):
    sentence = "Please leave the umbrella by the kitchen door."
    audio = client.audio.speech.create(model="tts-1", voice="alloy", input=sentence, response_format=fmt)
    heard = client.audio.transcriptions.create(model="whisper-1", file=(f"speech.{fmt}", audio.content))
    # Piper is sampled: each rendering differs a little, and a word may be misheard.
    assert word_error_rate(heard.text, sentence) <= 0.25, heard.text


def test_speech_streams_in_pieces(client):
    text = "The first sentence is short. The second sentence follows it. And the third one ends the text."
    pieces = []
    with client.audio.speech.with_streaming_response.create(model="tts-1", voice="nova", input=text,
                                                            response_format="pcm") as response:
        assert response.headers["content-type"] == "audio/pcm"
        for piece in response.iter_bytes():
            pieces.append(len(piece))
    assert len(pieces) >= 3 and sum(pieces) > 24000 * 2 * 3  # more than three seconds at 24 kHz, 16-bit


def test_speech_that_cannot_be_made_is_refused(client):
    with pytest.raises(openai.BadRequestError, match="input is empty"):
        client.audio.speech.create(model="tts-1", voice="alloy", input="  ")
    with pytest.raises(openai.NotFoundError):
        client.audio.speech.create(model="tts-1", voice="nobody:at-all", input="Hello.")
