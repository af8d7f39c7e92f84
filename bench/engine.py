#!/usr/bin/env python3
"""Hearth vs llama-server on the same models, threads, slots and context.

Starts both servers on free loopback ports (an idle server uses no CPU), streams
chat completions through the OpenAI-compatible endpoint, taking turns run by run
(the order flips every run, so drift in the machine's speed favours neither),
and compares, per model: aggregate
generation tokens/s at 1, 4 and 8 concurrent streams, single-stream decode
rate, time to first token (p50, p95), first- and second-turn time to first
token of a ~1,000-token conversation (prompt cache), the decode rate of an answer
that quotes ~1,000 tokens of sources (prompt lookup) and, for the first model,
idle resident memory. Every prompt is distinct, so only the second turn can
reuse a cached prompt. Standard library only.

  python bench/engine.py --hearth .build/release/hearth --llama-server PATH [--models NAME ...] [--quick]

Exits 0 whatever the numbers (a benchmark is not a test); 1 if a server fails.
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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
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

    ready_path = "/health"

    def wait_ready(self):
        """Polls GET `ready_path` until 200; raises ServerError on exit or timeout."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(f"{self.name} exited with status {self.proc.returncode}")
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            try:
                conn.request("GET", self.ready_path)
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


@dataclass
class Stream:
    """One finished streamed completion (times from time.perf_counter)."""
    sent: float          # request sent
    done: float          # stream finished
    ttft: float          # request sent -> first non-empty content chunk, s
    decode: float        # tokens/s from the first to the last content chunk
    tokens: int          # completion tokens (from usage)
    prompt_tokens: int
    text: str


def chat_body(model, messages, max_tokens):
    return {"model": model, "messages": messages, "stream": True,
            "stream_options": {"include_usage": True}, "temperature": 0, "max_tokens": max_tokens}


def stream_once(port, body):
    """One streamed chat completion on its own connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
    try:
        sent = time.perf_counter()
        conn.request("POST", "/v1/chat/completions", json.dumps(body),
                     {"Content-Type": "application/json", "Accept": "text/event-stream"})
        response = conn.getresponse()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {response.read()[:300]!r}")
        first = last = None
        usage, parts = {}, []
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
                content = (choice.get("delta") or {}).get("content")
                if content:
                    parts.append(content)
                    last = time.perf_counter()
                    first = first or last
            usage = event.get("usage") or usage
        done = time.perf_counter()
    finally:
        conn.close()
    tokens = usage.get("completion_tokens")
    if first is None or not tokens:
        raise RuntimeError("stream carried no content or no usage")
    decode = (tokens - 1) / (last - first) if tokens > 1 and last > first else float("nan")
    return Stream(sent, done, first - sent, decode, tokens, usage.get("prompt_tokens", 0), "".join(parts))


def run_streams(port, bodies):
    """All bodies at once, one thread and connection each: (elapsed s, [Stream]),
    elapsed running from the first request sent to the last stream finished."""
    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        streams = list(pool.map(lambda body: stream_once(port, body), bodies))
    return max(s.done for s in streams) - min(s.sent for s in streams), streams


def story(model, tag, max_tokens):
    # The distinct part comes first, so that no prefix cache can reuse another request's prompt.
    return chat_body(model, [{"role": "user", "content":
                              f"Keeper {tag}: write a long story about a lighthouse keeper."}], max_tokens)


PARAGRAPH = [
    "The keeper climbed the spiral stairs before dawn to trim the lamp.",
    "Salt wind pressed against the glass and rattled the iron door.",
    "Below the rocks the tide pulled ribbons of kelp toward the open sea.",
    "He wrote the weather in a ledger bound in cracked green leather.",
    "A supply boat came every second Tuesday if the swell allowed it.",
    "Gulls nested in the gutters and argued loudly over fish heads.",
    "At night the beam swept twelve miles across the shipping lane.",
    "His daughter sent letters about the city and its noisy trams.",
    "He answered each one slowly, describing storms and passing ships.",
    "In winter the fog horn sounded every thirty seconds until morning.",
]


def long_document(tag, tokens=1000):
    """About `tokens` tokens (at ~4 characters a token) of numbered sentences; `tag` first."""
    lines, number = [f"Logbook {tag}."], 0
    while sum(map(len, lines)) < 4 * tokens:
        lines.append(f"({number + 1}) {PARAGRAPH[number % len(PARAGRAPH)]}")
        number += 1
    return " ".join(lines) + "\n\nSummarize this logbook in one sentence."


def retrieval(server, model, run, tokens=200):
    """Decode tokens/s of an answer that quotes its ~1,000 tokens of sources (what prompt
    lookup speeds up), and its text."""
    sources = long_document(f"sources {run}").rsplit("\n\n", 1)[0]
    messages = [{"role": "system", "content": "Answer from the sources; quote them exactly."},
                {"role": "user", "content": f"Sources:\n{sources}\n\nQuote sentences (3) to (12) of the logbook "
                                            "exactly, one per line."}]
    answer = stream_once(server.port, chat_body(model, messages, tokens))
    log(f"{server.name}: retrieval answer {run}: {answer.tokens} tokens at {answer.decode:.1f} tok/s")
    return answer.decode


def concurrency(server, args, model, n, run):
    """One run of n concurrent streams: aggregate tokens/s, TTFTs (ms), median decode rate."""
    elapsed, streams = run_streams(server.port, [story(model, f"{n}.{run}.{i}", args.tokens)
                                                 for i in range(1, n + 1)])
    total = sum(s.tokens for s in streams)
    log(f"{server.name}: {n} streams, run {run}/{args.runs}: {total} tokens in {elapsed:.2f} s, "
        f"{total / elapsed:.1f} tok/s, TTFT {min(s.ttft for s in streams) * 1000:.0f}"
        f"-{max(s.ttft for s in streams) * 1000:.0f} ms")
    if total < n * args.tokens:
        log(f"{server.name}: note: some streams stopped early ({total} of {n * args.tokens} tokens)")
    return total / elapsed, [s.ttft * 1000 for s in streams], statistics.median(s.decode for s in streams)


def conversation(server, model, run):
    """First- and second-turn TTFT (ms) of a ~1,000-token conversation new to the server."""
    messages = [{"role": "user", "content": long_document(run)}]
    first = stream_once(server.port, chat_body(model, messages, 16))
    messages += [{"role": "assistant", "content": first.text},
                 {"role": "user", "content": "Which numbered sentence first mentions the fog horn?"}]
    second = stream_once(server.port, chat_body(model, messages, 16))
    log(f"{server.name}: conversation {run}: first turn {first.prompt_tokens} prompt tokens, "
        f"TTFT {first.ttft * 1000:.0f} ms; second turn {second.prompt_tokens} prompt tokens, "
        f"TTFT {second.ttft * 1000:.0f} ms")
    return first.ttft * 1000, second.ttft * 1000


def measure(servers, args, model, with_rss):
    """Everything for both servers, taking turns run by run (the order flips every run) so
    that a machine that gets faster or slower during the benchmark favours neither."""
    results = {name: {"agg": {}, "ttft": {}} for name in servers}

    def turns(run):
        names = list(servers)
        return names if run % 2 else names[::-1]

    if with_rss:
        time.sleep(2)
        for name, server in servers.items():
            results[name]["rss_loaded"] = rss_mb(server.proc.pid)
            log(f"{name}: idle RSS after load {results[name]['rss_loaded']:.1f} MB")
    for server in servers.values():
        log(f"{server.name}: warm-up request")
        stream_once(server.port, story(model, "warm-up", args.tokens))
    for n in args.streams:
        runs = {name: [] for name in servers}
        for name in turns(0):  # the first batch of a new size is slow on both: not counted
            log(f"{name}: warm-up at {n} streams")
            run_streams(servers[name].port, [story(model, f"warm-up.{n}.{i}", args.tokens) for i in range(1, n + 1)])
        for run in range(1, args.runs + 1):
            for name in turns(run):
                runs[name].append(concurrency(servers[name], args, model, n, run))
        for name, measured in runs.items():
            results[name]["agg"][n] = statistics.median(m[0] for m in measured)
            results[name]["ttft"][n] = [t for m in measured for t in m[1]]
            if n == 1:
                results[name]["decode"] = statistics.median(m[2] for m in measured)
    turns_ms = {name: [] for name in servers}
    for run in range(args.runs + 1):  # run 0 warms up the long-prompt path and is not counted
        for name in turns(run):
            measured = conversation(servers[name], model, run)
            if run:
                turns_ms[name].append(measured)
    for name, measured in turns_ms.items():
        results[name]["first"] = statistics.median(m[0] for m in measured)
        results[name]["second"] = statistics.median(m[1] for m in measured)
    rates = {name: [] for name in servers}
    for run in range(args.runs + 1):  # run 0 warms up and is not counted
        for name in turns(run):
            rate = retrieval(servers[name], model, run)
            if run:
                rates[name].append(rate)
    for name, measured in rates.items():
        results[name]["retrieval"] = measured
    if with_rss:
        time.sleep(2)
        for name, server in servers.items():
            results[name]["rss_idle"] = rss_mb(server.proc.pid)
            log(f"{name}: idle RSS after runs {results[name]['rss_idle']:.1f} MB")
    return results


def run_servers(makers, args, model, with_rss):
    """Starts the servers (idle ones use no CPU), measures them in turns, always stops them."""
    servers = {}
    try:
        for name, make in makers.items():
            servers[name] = make(free_port())
            servers[name].wait_ready()
        return measure(servers, args, model, with_rss)
    except (ServerError, OSError, RuntimeError, http.client.HTTPException, ValueError) as error:
        for server in servers.values():
            if server.proc.poll() is None:
                continue
            print(f"error: {error!r}; {server.name} exited with status {server.proc.returncode}\n"
                  f"--- {server.name} log tail ({server.log.name}) ---\n{server.log_tail()}", file=sys.stderr)
        if all(server.proc.poll() is None for server in servers.values()):
            print(f"error: {error!r}", file=sys.stderr)
        raise ServerError(str(error)) from None
    finally:
        for server in servers.values():
            server.stop()


# --- report ------------------------------------------------------------------


def percentile(values, p):
    """Linear interpolation between the closest ranks."""
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    low = int(k)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (k - low)


def report(args, model, h, l):
    def plural(n):
        return f"{n} stream{'s' if n > 1 else ''}"

    rows = [(f"aggregate tok/s, {plural(n)}", h["agg"][n], l["agg"][n], "{:.1f}") for n in args.streams]
    if 1 in args.streams:
        rows.append(("decode tok/s, 1 stream", h["decode"], l["decode"], "{:.1f}"))
    for n in args.streams:
        for p in (50, 95):
            rows.append((f"TTFT p{p} ms, {plural(n)}", percentile(h["ttft"][n], p),
                         percentile(l["ttft"][n], p), "{:.0f}"))
    h_turns, l_turns = h["second"] / h["first"], l["second"] / l["first"]
    rows.append(("retrieval answer decode tok/s", statistics.median(h["retrieval"]), statistics.median(l["retrieval"]),
                 "{:.1f}"))
    rows += [("first-turn TTFT ms (1k-token prompt)", h["first"], l["first"], "{:.0f}"),
             ("second-turn TTFT ms", h["second"], l["second"], "{:.0f}"),
             ("second ÷ first (each server)", h_turns, l_turns, "{:.2f}")]
    if "rss_idle" in h:
        rows += [("idle RSS MB, after load", h["rss_loaded"], l["rss_loaded"], "{:.1f}"),
                 ("idle RSS MB, after runs", h["rss_idle"], l["rss_idle"], "{:.1f}")]

    print(f"\nmodel {model} — threads {args.threads}, {args.parallel} slots, "
          f"{args.context} context/slot, {args.tokens} tokens/stream, "
          f"median of {args.runs} run{'s' if args.runs > 1 else ''}")
    print(f"{'metric':<38}{'hearth':>10}{'llama-server':>14}{'ratio':>8}")
    print("-" * 70)
    for label, hv, lv, fmt in rows:
        ratio = hv / lv if lv else float("nan")
        print(f"{label:<38}{fmt.format(hv):>10}{fmt.format(lv):>14}{ratio:>8.2f}")
    print()

    def check(ok, text):
        print(f"{'PASS' if ok else 'FAIL'}  {text}")

    for n in args.streams:
        # Issue 19: level at one stream, clearly ahead with several.
        target = 1.0 if n == 1 else 1.10
        ratio = h["agg"][n] / l["agg"][n]
        check(ratio >= target, f"aggregate tok/s ratio, {plural(n)}: {ratio:.2f} (target >= {target:.2f})")
    if 1 in args.streams:
        ratio = h["decode"] / l["decode"]
        check(ratio >= 0.95, f"decode tok/s ratio, 1 stream: {ratio:.2f} (target >= 0.95)")
    ratio = statistics.median(h["retrieval"]) / statistics.median(l["retrieval"])
    spread = (f"hearth {min(h['retrieval']):.0f}-{max(h['retrieval']):.0f}, "
              f"llama-server {min(l['retrieval']):.0f}-{max(l['retrieval']):.0f} tok/s")
    check(ratio >= 1.3, f"retrieval answer decode ratio: {ratio:.2f} ({spread}; target >= 1.30)")
    n = max(args.streams)
    hp, lp = percentile(h["ttft"][n], 50), percentile(l["ttft"][n], 50)
    check(hp <= lp, f"TTFT p50, {plural(n)}: hearth {hp:.0f} ms, llama-server {lp:.0f} ms (target hearth <= llama-server)")
    check(h_turns <= 0.5, f"hearth second-turn TTFT = {h_turns:.2f} x first turn (target <= 0.50)")
    if "rss_idle" in h:
        diff = h["rss_idle"] - l["rss_idle"]
        check(diff <= 30, f"RSS difference (hearth - llama-server, after runs): {diff:+.1f} MB (target <= 30 MB)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hearth", required=True, help="hearth binary")
    parser.add_argument("--llama-server", required=True, help="llama-server binary")
    parser.add_argument("--models", "--model", nargs="+", default=["smollm2:135m", "gemma3:270m"],
                        help="catalog names (name:tag) or .gguf paths (default: smollm2:135m gemma3:270m)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="CPU threads (default: all)")
    parser.add_argument("--parallel", type=int, default=8, help="slots / sequences (default 8)")
    parser.add_argument("--context", type=int, default=2048, help="context per slot (default 2048)")
    parser.add_argument("--streams", help="concurrent stream counts, comma-separated (default 1,4,8)")
    parser.add_argument("--tokens", type=int, help="tokens generated per stream (default 128)")
    parser.add_argument("--runs", type=int, help="measured runs per stream count after one warm-up (default 3)")
    parser.add_argument("--quick", action="store_true", help="smoke test: 1 run, 32 tokens, streams 1,4 "
                        "(explicit --runs, --tokens, --streams still win)")
    args = parser.parse_args()
    args.streams = sorted({int(n) for n in (args.streams or ("1,4" if args.quick else "1,4,8")).split(",")})
    args.tokens = args.tokens or (32 if args.quick else 128)
    args.runs = args.runs or (1 if args.quick else 3)
    if args.streams[0] < 1 or args.streams[-1] > args.parallel:
        parser.error(f"--streams must lie between 1 and --parallel ({args.parallel})")

    models = [(name, resolve_model(name)) for name in args.models]
    results, status = [], 0
    for index, (name, path) in enumerate(models):
        # Hearth takes the catalog name (or the path); llama-server needs the file.
        model_arg = str(path) if name.endswith(".gguf") else name
        log(f"model {name}: {path}")
        try:
            measured = run_servers({"hearth": lambda port: hearth_server(args, model_arg, port),
                                    "llama-server": lambda port: llama_server(args, path, port)},
                                   args, model_arg, index == 0)
        except ServerError:
            status = 1
            break
        h, l = measured["hearth"], measured["llama-server"]
        results.append((name, h, l))
    for name, h, l in results:
        report(args, name, h, l)
    return status


if __name__ == "__main__":
    sys.exit(main())
