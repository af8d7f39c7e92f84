#!/usr/bin/env python3
"""Hearth vs llama-server on the same model, threads, slots and context.

Starts each server in turn on a free loopback port, streams chat completions
through the OpenAI-compatible endpoint and compares single-stream decode rate,
time to first token and idle resident memory. Standard library only.

  python bench/engine.py --hearth .build/release/hearth --llama-server PATH [--model NAME] ...

Exits 0 whatever the numbers (a benchmark is not a test); 1 if a server fails to start.
"""

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

READY_TIMEOUT_S = 180
REQUEST_TIMEOUT_S = 600


def log(message):
    print(f"[bench] {message}", file=sys.stderr, flush=True)


class ServerError(Exception):
    """A server did not become ready, or died or failed while measured."""


# --- model and ports ---------------------------------------------------------


def store_root():
    """The Hearth model store, resolved the way Hearth resolves it."""
    if os.environ.get("HEARTH_HOME"):
        return Path(os.environ["HEARTH_HOME"]) / "models"
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "hearth" / "models"


def resolve_model(name):
    """A .gguf path as is, or a catalog name (name:tag) through the store's manifest."""
    if name.endswith(".gguf"):
        path = Path(name).expanduser()
    else:
        model, _, tag = name.partition(":")
        manifest = store_root() / "manifests" / model / f"{tag or 'latest'}.json"
        if not manifest.is_file():
            sys.exit(f"error: {name} is not installed ({manifest} missing); run `make models` or scripts/setup-models.py {name}")
        digest = json.loads(manifest.read_text())["blob"]  # "sha256:HEX"
        path = store_root() / "blobs" / digest.replace(":", "-")
    if not path.is_file():
        sys.exit(f"error: model file {path} not found")
    return path.resolve()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid):
    """Resident memory of a process in MB (VmRSS is reported in kB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --- server lifecycle --------------------------------------------------------


class Server:
    """One server process, its port and its log file."""

    def __init__(self, name, argv, port, env=None):
        self.name, self.port = name, port
        self.log = tempfile.NamedTemporaryFile(prefix=f"bench-{name}-", suffix=".log", delete=False)
        log(f"starting {name}: {' '.join(argv)}")
        self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def log_tail(self, lines=30):
        self.log.flush()
        text = Path(self.log.name).read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def wait_ready(self):
        """Polls GET /health until 200; raises ServerError on exit or timeout."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(f"{self.name} exited with status {self.proc.returncode}")
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            try:
                conn.request("GET", "/health")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            finally:
                conn.close()
            time.sleep(0.25)
        raise ServerError(f"{self.name} not ready after {READY_TIMEOUT_S} s")

    def stop(self):
        """Terminates by PID, then kills if it ignores SIGTERM for 10 s."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def hearth_server(args, model_arg, port):
    env = dict(os.environ, HEARTH_PARALLEL=str(args.parallel),
               HEARTH_CONTEXT=str(args.context), HEARTH_THREADS=str(args.threads))
    env.pop("HEARTH_API_KEYS", None)  # loopback needs no key; a key would reject our requests
    argv = [args.hearth, "serve", "--host", "127.0.0.1", "--port", str(port), "--model", model_arg]
    return Server("hearth", argv, port, env)


def llama_server(args, model_path, port):
    help_text = subprocess.run([args.llama_server, "--help"], capture_output=True, text=True).stdout
    argv = [args.llama_server, "-m", str(model_path), "--host", "127.0.0.1", "--port", str(port),
            "-t", str(args.threads), "-tb", str(args.threads), "-np", str(args.parallel),
            "-c", str(args.parallel * args.context)]
    if "--no-webui" in help_text:
        argv.append("--no-webui")
    # Hearth keeps one KV cache per sequence: match it where llama-server can.
    if "--no-kv-unified" in help_text:
        argv.append("--no-kv-unified")
    return Server("llama-server", argv, port)


# --- measurement -------------------------------------------------------------


def stream_once(port, body):
    """One streamed chat completion: (ttft s, decode tokens/s, completion tokens)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
    try:
        start = time.perf_counter()
        conn.request("POST", "/v1/chat/completions", json.dumps(body),
                     {"Content-Type": "application/json", "Accept": "text/event-stream"})
        response = conn.getresponse()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {response.read()[:300]!r}")
        first = last = None
        tokens = None
        # Server-sent events: "data: {json}" lines, blank separators, "data: [DONE]" at the end.
        for raw in response:
            line = raw.decode("utf-8").strip()
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                break
            event = json.loads(data)
            for choice in event.get("choices") or []:
                if (choice.get("delta") or {}).get("content"):
                    last = time.perf_counter()
                    first = first or last
            if event.get("usage"):
                tokens = event["usage"].get("completion_tokens")
    finally:
        conn.close()
    if first is None or not tokens:
        raise RuntimeError("stream carried no content or no usage")
    rate = (tokens - 1) / (last - first) if tokens > 1 and last > first else float("nan")
    return first - start, rate, tokens


def measure(server, args, model_name, extra):
    """Warm-up, then args.runs runs; returns medians and both idle RSS readings."""
    body = {"model": model_name, "messages": [{"role": "user", "content": args.prompt}],
            "stream": True, "stream_options": {"include_usage": True},
            "temperature": 0, "max_tokens": args.tokens, **extra}
    time.sleep(2)
    rss_loaded = rss_mb(server.proc.pid)
    log(f"{server.name}: ready, idle RSS {rss_loaded:.1f} MB; warm-up request")
    stream_once(server.port, body)
    ttfts, rates = [], []
    for i in range(args.runs):
        ttft, rate, tokens = stream_once(server.port, body)
        log(f"{server.name}: run {i + 1}/{args.runs}: {tokens} tokens, "
            f"{rate:.1f} tok/s, TTFT {ttft * 1000:.0f} ms")
        if tokens < args.tokens:
            log(f"{server.name}: note: stopped early ({tokens} of {args.tokens} tokens)")
        ttfts.append(ttft)
        rates.append(rate)
    time.sleep(2)
    return {"rate": statistics.median(rates), "ttft": statistics.median(ttfts) * 1000,
            "rss_loaded": rss_loaded, "rss_idle": rss_mb(server.proc.pid)}


def run_server(make, args, model_name, extra):
    """Starts one server, measures it and always stops it."""
    server = make(free_port())
    try:
        server.wait_ready()
        return measure(server, args, model_name, extra)
    except (ServerError, OSError, RuntimeError, http.client.HTTPException, ValueError) as error:
        if not isinstance(error, ServerError):
            try:  # a crashing server may still be writing its backtrace
                server.proc.wait(timeout=5)
                error = f"{error!r}; {server.name} exited with status {server.proc.returncode}"
            except subprocess.TimeoutExpired:
                error = repr(error)
        print(f"error: {error}\n--- {server.name} log tail ({server.log.name}) ---\n"
              f"{server.log_tail()}", file=sys.stderr)
        raise ServerError(str(error)) from None
    finally:
        server.stop()


# --- report ------------------------------------------------------------------


def report(args, model_path, h, l):
    rows = [("generation tokens/s (single stream)", "rate", "{:.1f}"),
            ("time to first token (ms)", "ttft", "{:.0f}"),
            ("idle RSS after load (MB)", "rss_loaded", "{:.1f}"),
            ("idle RSS after runs (MB)", "rss_idle", "{:.1f}")]
    print(f"\nmodel {args.model} ({model_path.name}), threads {args.threads}, "
          f"parallel {args.parallel}, context {args.context}/sequence, "
          f"{args.tokens} tokens, median of {args.runs} runs\n")
    print(f"{'metric':<38}{'hearth':>10}{'llama-server':>14}{'ratio':>8}")
    print("-" * 70)
    for label, key, fmt in rows:
        ratio = h[key] / l[key] if l[key] else float("nan")
        print(f"{label:<38}{fmt.format(h[key]):>10}{fmt.format(l[key]):>14}{ratio:>8.2f}")
    diff = h["rss_idle"] - l["rss_idle"]
    print(f"\nRSS difference (hearth - llama-server, after runs): {diff:+.1f} MB\n")
    rate_ratio = h["rate"] / l["rate"]
    print(f"{'PASS' if rate_ratio >= 0.95 else 'FAIL'}  tokens/s ratio {rate_ratio:.2f} (target >= 0.95)")
    print(f"{'PASS' if diff <= 30 else 'FAIL'}  RSS difference {diff:+.1f} MB (target <= 30 MB)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hearth", required=True, help="hearth binary")
    parser.add_argument("--llama-server", required=True, help="llama-server binary")
    parser.add_argument("--model", default="smollm2:135m", help="catalog name (smollm2:135m, gemma3:270m) or .gguf path")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="CPU threads (default: all)")
    parser.add_argument("--parallel", type=int, default=4, help="slots / sequences (default 4)")
    parser.add_argument("--context", type=int, default=2048, help="context per sequence (default 2048)")
    parser.add_argument("--tokens", type=int, default=128, help="tokens generated per request (default 128)")
    parser.add_argument("--runs", type=int, default=3, help="measured runs after one warm-up (default 3)")
    parser.add_argument("--prompt", default="Write a long story about a lighthouse keeper.")
    args = parser.parse_args()

    model_path = resolve_model(args.model)
    # Hearth takes the catalog name (or the path); llama-server needs the file.
    model_arg = args.model if not args.model.endswith(".gguf") else str(model_path)
    log(f"model {args.model}: {model_path}")

    # One server at a time, so they never compete for cores or memory.
    try:
        h = run_server(lambda port: hearth_server(args, model_arg, port), args, model_arg, {})
        # llama-server reuses cached prompts between requests unless told not to.
        l = run_server(lambda port: llama_server(args, model_path, port), args, model_arg,
                       {"cache_prompt": False})
    except ServerError:
        return 1
    report(args, model_path, h, l)
    return 0


if __name__ == "__main__":
    sys.exit(main())
