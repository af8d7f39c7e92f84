#!/usr/bin/env python3
"""Speech: Hearth's transcription beside whisper.cpp's own whisper-cli, and how soon Hearth's
speech starts.

Transcription: one minute of speech (whisper.cpp's jfk.wav, repeated) transcribed by a
running `hearth serve` (POST /v1/audio/transcriptions, the model loaded) and by whisper-cli
built from the same source with the same CPU options, on the same model file and threads,
both as whisper-cli decodes by default (beam search of 5). Runs alternate A/B; each side's
real-time factor (seconds computing / seconds of audio) is the median. whisper-cli's time
is its own `total time` less its `load time` (its model loads each run; Hearth's once);
Hearth's is the whole request, upload and decoding included. Target: whisper-cli's factor
/ Hearth's >= 0.95.

Speech: one sentence to POST /v1/audio/speech; time to the first byte of audio (pcm and
mp3) and to the last, the median of several after a warm-up. Target: first audio <= 300 ms.

  python bench/voice.py --hearth .build/release/hearth --whisper-cli PATH --jfk PATH \
      [--threads 2] [--runs 3] [--speech-runs 10]

Standard library only. Exits 0 whatever the numbers (a benchmark is not a test); 1 if a
process fails.
"""

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import wave
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from engine import Server, ServerError, free_port, log, resolve_model  # noqa: E402

SENTENCE = "The library opens at nine in the morning and closes at six in the evening."


def long_audio(jfk, repeats, folder):
    """jfk.wav `repeats` times over, as one 16 kHz WAV file."""
    with wave.open(str(jfk), "rb") as source:
        params, frames = source.getparams(), source.readframes(source.getnframes())
    path = Path(folder) / f"speech-{repeats}x.wav"
    with wave.open(str(path), "wb") as out:
        out.setparams(params)
        out.writeframes(frames * repeats)
    return path, params.nframes * repeats / params.framerate


def form(path):
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"response_format\"\r\n\r\ntext\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"speech.wav\"\r\n\r\n").encode()
    body += Path(path).read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def hearth_transcribe(port, path):
    body, content_type = form(path)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.monotonic()
    conn.request("POST", "/v1/audio/transcriptions", body=body, headers={"Content-Type": content_type})
    response = conn.getresponse()
    text = response.read().decode()
    elapsed = time.monotonic() - started
    conn.close()
    if response.status != 200:
        raise ServerError(f"hearth answered {response.status}: {text[:300]}")
    return elapsed, text


def cli_transcribe(cli, model, path, threads):
    result = subprocess.run([cli, "-m", str(model), "-f", str(path), "-t", str(threads)], capture_output=True, text=True)
    if result.returncode != 0:
        raise ServerError(f"whisper-cli failed: {result.stderr[-500:]}")
    timings = dict(re.findall(r"whisper_print_timings:\s+(\w+) time =\s+([\d.]+) ms", result.stderr))
    return (float(timings["total"]) - float(timings["load"])) / 1000, result.stdout


def speech_timing(port, fmt):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    body = json.dumps({"model": "tts-1", "voice": "alloy", "input": SENTENCE, "response_format": fmt})
    started = time.monotonic()
    conn.request("POST", "/v1/audio/speech", body=body, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    first = response.read1(65536) if hasattr(response, "read1") else response.read(1)
    first_at = time.monotonic() - started
    rest = response.read()
    total = time.monotonic() - started
    conn.close()
    if response.status != 200:
        raise ServerError(f"speech answered {response.status}: {(first + rest)[:300]}")
    return first_at, total, len(first) + len(rest)


def spread(values, unit="", digits=3):
    return f"{statistics.median(values):.{digits}f}{unit} ({min(values):.{digits}f} to {max(values):.{digits}f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hearth", required=True)
    parser.add_argument("--whisper-cli", required=True)
    parser.add_argument("--jfk", required=True, help="whisper.cpp's samples/jfk.wav")
    parser.add_argument("--model", default="whisper:tiny.en")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5, help="jfk.wav repeats in the transcribed audio (11 s each)")
    parser.add_argument("--speech-runs", type=int, default=10)
    args = parser.parse_args()

    model = resolve_model(args.model)
    folder = tempfile.mkdtemp(prefix="bench-voice-")
    audio, seconds = long_audio(args.jfk, args.repeats, folder)
    port = free_port()
    env = dict(os.environ, HEARTH_THREADS=str(args.threads), HEARTH_SPEECH_MODEL=args.model)
    server = Server("hearth", [args.hearth, "serve", "--host", "127.0.0.1", "--port", str(port)], port, env=env)
    try:
        server.wait_ready()
        log("warming up: one transcription each, one speech")
        hearth_transcribe(port, args.jfk)
        cli_transcribe(args.whisper_cli, model, args.jfk, args.threads)
        speech_timing(port, "pcm")

        hearth_times, cli_times = [], []
        for run in range(args.runs):
            order = ["hearth", "cli"] if run % 2 == 0 else ["cli", "hearth"]
            for side in order:
                if side == "hearth":
                    elapsed, text = hearth_transcribe(port, audio)
                    hearth_times.append(elapsed)
                else:
                    elapsed, text = cli_transcribe(args.whisper_cli, model, audio, args.threads)
                    cli_times.append(elapsed)
                log(f"run {run + 1} {side}: {elapsed:.2f} s for {seconds:.0f} s of audio ({len(text.split())} words)")

        first_pcm, first_mp3, totals = [], [], []
        for _ in range(args.speech_runs):
            first, total, size = speech_timing(port, "pcm")
            first_pcm.append(first * 1000)
            totals.append(total * 1000)
            first_mp3.append(speech_timing(port, "mp3")[0] * 1000)
    except ServerError as error:
        log(f"error: {error}\n{server.log_tail()}")
        sys.exit(1)
    finally:
        server.stop()

    hearth_rtf = [t / seconds for t in hearth_times]
    cli_rtf = [t / seconds for t in cli_times]
    ratio = statistics.median(cli_rtf) / statistics.median(hearth_rtf)
    print(f"\nTranscription of {seconds:.0f} s ({args.model}, {args.threads} threads, beam search of 5, {args.runs} runs each):")
    print(f"  Hearth (whole request):           real-time factor {spread(hearth_rtf)}")
    print(f"  whisper-cli (total - load):       real-time factor {spread(cli_rtf)}")
    print(f"  whisper-cli / Hearth:             {ratio:.2f}x  (target >= 0.95: {'PASS' if ratio >= 0.95 else 'FAIL'})")
    print(f"\nSpeech of one sentence ({len(SENTENCE.split())} words, {args.speech_runs} runs each):")
    print(f"  first audio, pcm:                 {spread(first_pcm, ' ms', 0)}")
    print(f"  first audio, mp3:                 {spread(first_mp3, ' ms', 0)}")
    print(f"  whole sentence, pcm:              {spread(totals, ' ms', 0)}")
    target = statistics.median(first_pcm) <= 300 and statistics.median(first_mp3) <= 300
    print(f"  first audio <= 300 ms:            {'PASS' if target else 'FAIL'}")


if __name__ == "__main__":
    main()
