#!/usr/bin/env python3
"""Inference workers over NATS: aggregate tokens/s through one gateway with one worker, then
with two, each worker pinned to a core of its own (`taskset`) with one thread.

Each run starts a NATS server's worth of processes afresh: one gateway (`hearth serve
--workers`) and N workers (`hearth worker --threads 1 --parallel P`, worker i on core i),
warms every worker up, then sends rounds of P x N concurrent streamed stories; aggregate
tokens/s = completion tokens / wall time of the rounds. Runs alternate one and two workers
(the order flips every run); the medians, the spread and the ratio are printed (target:
two workers >= 1.8x one). With --llama-server, the same load as one worker's goes to a
llama-server pinned to one core with one thread: what the gateway, NATS and the worker cost
against the engine alone.

  python bench/workers.py --hearth .build/release/hearth --nats-server PATH \
      [--llama-server PATH] [--model smollm2:135m] [--runs 3]

Standard library only. Exits 0 whatever the numbers (a benchmark is not a test); 1 if a
process fails.
"""

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from concurrent.futures import ThreadPoolExecutor  # noqa: E402

from engine import Server, ServerError, free_port, log, resolve_model, stream_once, story  # noqa: E402

READY_TIMEOUT_S = 180


def pinned(core, argv):
    return ["taskset", "-c", str(core)] + argv if shutil.which("taskset") else argv


def status(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/hearth/status")
        response = conn.getresponse()
        return json.loads(response.read()) if response.status == 200 else {}
    except OSError:
        return {}
    finally:
        conn.close()


class Cluster:
    """A gateway and `count` workers on the NATS server at `nats`."""

    def __init__(self, args, count, nats):
        env = dict(os.environ, HEARTH_NATS_URL=nats, HEARTH_CONTEXT=str(args.context))
        env.pop("HEARTH_API_KEYS", None)
        self.workers = []
        for index in range(count):
            argv = pinned(index, [args.hearth, "worker", "--model", args.model, "--name", f"bench{index}",
                                  "--threads", "1", "--parallel", str(args.parallel)])
            # A worker has no HTTP port: its Server's port is unused.
            self.workers.append(Server(f"worker{index}", argv, 0, env))
        self.port = free_port()
        self.gateway = Server("gateway", [args.hearth, "serve", "--workers", "--host", "127.0.0.1", "--port",
                                          str(self.port), "--model", args.model], self.port, env)
        self.gateway.wait_ready()
        deadline = time.monotonic() + READY_TIMEOUT_S
        wanted = {f"worker:bench{index}" for index in range(count)}
        while {m.get("provider") for m in status(self.port).get("models", [])} != wanted:
            for server in self.workers + [self.gateway]:
                if server.proc.poll() is not None:
                    raise ServerError(f"{server.name} exited with status {server.proc.returncode}:\n{server.log_tail()}")
            if time.monotonic() > deadline:
                raise ServerError(f"the gateway did not hear of {count} workers in {READY_TIMEOUT_S} s")
            time.sleep(0.2)

    def stop(self):
        for server in [self.gateway] + self.workers:
            server.stop()


def cpu_seconds(pid):
    """User and system CPU seconds `pid` has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def aggregate(ports, model, streams, tokens, rounds, tag):
    """Completion tokens / wall time over `rounds` rounds of `streams` concurrent stories,
    spread over `ports` in turn; and the completion tokens."""
    total_tokens, total_time = 0, 0.0
    for r in range(rounds):
        jobs = [(ports[i % len(ports)], story(model, f"{tag}.{r}.{i}", tokens)) for i in range(streams)]
        with ThreadPoolExecutor(max_workers=streams) as pool:
            done = list(pool.map(lambda job: stream_once(*job), jobs))
        total_tokens += sum(s.tokens for s in done)
        total_time += max(s.done for s in done) - min(s.sent for s in done)
    return total_tokens / total_time, total_tokens


def measure_workers(args, count, url, nats_pid, run):
    cluster = Cluster(args, count, url)
    try:
        streams = args.parallel * count
        aggregate([cluster.port], args.model, streams, 16, 1, f"warm{run}.{count}")
        pids = {"gateway": cluster.gateway.proc.pid, "nats": nats_pid, "client": os.getpid()}
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        rate, tokens = aggregate([cluster.port], args.model, streams, args.tokens, args.rounds, f"run{run}.{count}")
        costs = {name: (cpu_seconds(pid) - before[name]) / tokens * 1000 for name, pid in pids.items()}
        log(f"run {run + 1}: {count} worker(s), {streams} streams: {rate:.1f} tok/s; CPU ms per token: "
            + ", ".join(f"{name} {cost:.2f}" for name, cost in costs.items()))
        return rate, costs
    finally:
        cluster.stop()


def measure_llama(args, count, run):
    """`count` llama-servers, server i on core i with one thread, the streams spread over them."""
    path = resolve_model(args.model)
    servers = []
    try:
        for core in range(count):
            port = free_port()
            argv = pinned(core, [args.llama_server, "-m", str(path), "--host", "127.0.0.1", "--port", str(port), "-t",
                                 "1", "-tb", "1", "-np", str(args.parallel), "-c", str(args.parallel * args.context),
                                 "--no-webui", "--no-kv-unified"])
            servers.append(Server(f"llama-server{core}", argv, port))
        for server in servers:
            server.wait_ready()
        ports = [server.port for server in servers]
        streams = args.parallel * count
        aggregate(ports, args.model, streams, 16, 1, f"warm{run}.llama{count}")
        rate, _ = aggregate(ports, args.model, streams, args.tokens, args.rounds, f"run{run}.llama{count}")
        log(f"run {run + 1}: {count} llama-server(s), one core each, {streams} streams: {rate:.1f} tok/s")
        return rate
    finally:
        for server in servers:
            server.stop()


def spread(values):
    return f"{statistics.median(values):7.1f}  ({min(values):.1f} to {max(values):.1f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hearth", required=True)
    parser.add_argument("--nats-server", required=True)
    parser.add_argument("--llama-server")
    parser.add_argument("--model", default="smollm2:135m")
    parser.add_argument("--parallel", type=int, default=4, help="sequences per worker (and streams per worker)")
    parser.add_argument("--context", type=int, default=1024)
    parser.add_argument("--tokens", type=int, default=128, help="max_tokens of each story")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of concurrent stories per measurement")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if (os.cpu_count() or 1) < 2:
        log("warning: fewer than two cores: two pinned workers share one")

    nats_port = free_port()
    nats = subprocess.Popen([args.nats_server, "-a", "127.0.0.1", "-p", str(nats_port)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rates = {1: [], 2: [], "llama1": [], "llama2": []}
    costs = []
    try:
        time.sleep(0.5)
        url = f"nats://127.0.0.1:{nats_port}"
        for run in range(args.runs):
            order = [1, 2] if run % 2 == 0 else [2, 1]
            for count in order:
                rate, cost = measure_workers(args, count, url, nats.pid, run)
                rates[count].append(rate)
                if count == 2:
                    costs.append(cost)
            if args.llama_server:
                for count in order:
                    rates[f"llama{count}"].append(measure_llama(args, count, run))
    except (ServerError, RuntimeError) as error:
        log(f"error: {error}")
        return 1
    finally:
        nats.terminate()
        nats.wait()

    print()
    print(f"workers over NATS, {args.model}, {args.parallel} sequences per worker, one core and one thread each, "
          f"median of {args.runs} runs (min to max)")
    print(f"  1 worker,  {args.parallel} streams:      {spread(rates[1])} tok/s")
    print(f"  2 workers, {2 * args.parallel} streams:      {spread(rates[2])} tok/s")
    ratios = [b / a for a, b in zip(rates[1], rates[2])]
    ratio = statistics.median(rates[2]) / statistics.median(rates[1])
    print(f"  2 workers / 1 worker:     {ratio:7.2f}x  (runs: {', '.join(f'{r:.2f}' for r in ratios)}; "
          f"target >= 1.80: {'PASS' if ratio >= 1.8 else 'FAIL'})")
    for name in ["gateway", "nats", "client"]:
        print(f"  CPU per token, 2 workers: {name:8} {statistics.median(c[name] for c in costs):5.2f} ms")
    if rates["llama1"]:
        print(f"  llama-server, one core:   {spread(rates['llama1'])} tok/s")
        print(f"  2 llama-servers, a core each: {spread(rates['llama2'])} tok/s")
        machine = statistics.median(rates["llama2"]) / statistics.median(rates["llama1"])
        print(f"  what this machine allows (2 llama-servers / 1): {machine:.2f}x")
        print(f"  1 worker / llama-server:  {statistics.median(rates[1]) / statistics.median(rates['llama1']):7.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
