#!/usr/bin/env python3
"""Several models in one Hearth against llama-servers that each serve one model alone.

Hearth serves the two models from one process; llama-server serves one model per process
(what Ollama runs too). Both models are used once before measuring, so that each has done
its work in the Hearth process (the case where, before the shared compute pool, the second
model slowed the first to 0.57x: each model's batch loop had an OpenMP team of its own, and
with more OpenMP threads than cores libgomp sleeps in every barrier). Then, in turns run by
run (the order flips every run):

1. each model alone in use: single-stream and 4-stream aggregate tokens/s of Hearth (both
   models loaded) against a llama-server serving that model with the same threads;
2. both models busy at once (4 streams each): Hearth with all threads against two
   llama-servers, each given one core (`taskset`) and one thread.

Also reads the Hearth process's threads while both models generate, and counts those that
computed (target: no more than HEARTH_THREADS, all of them the compute pool's, named
`hearth-compute`).

  python bench/multimodel.py --hearth .build/release/hearth --llama-server PATH [--runs 3]

Standard library only. Exits 0 whatever the numbers (a benchmark is not a test); 1 if a
server fails.
"""

import argparse
import os
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from engine import Server, ServerError, free_port, log, resolve_model, run_streams, story  # noqa: E402


def hearth(args, models, port):
    env = dict(os.environ, HEARTH_PARALLEL=str(args.parallel), HEARTH_CONTEXT=str(args.context),
               HEARTH_THREADS=str(args.threads))
    env.pop("HEARTH_API_KEYS", None)
    argv = [args.hearth, "serve", "--host", "127.0.0.1", "--port", str(port)]
    for model in models:
        argv += ["--model", model]
    return Server("hearth", argv, port, env)


def llama(args, path, port, threads, core=None):
    argv = [args.llama_server, "-m", str(path), "--host", "127.0.0.1", "--port", str(port),
            "-t", str(threads), "-tb", str(threads), "-np", str(args.parallel), "-c", str(args.parallel * args.context),
            "--no-webui", "--no-kv-unified"]
    if core is not None and shutil.which("taskset"):
        argv = ["taskset", "-c", str(core)] + argv
    return Server(f"llama-server {path.name}", argv, port)


def throughput(port, model, streams, tag, tokens):
    """Aggregate tokens/s of `streams` concurrent stories."""
    elapsed, done = run_streams(port, [story(model, f"{tag}.{i}", tokens) for i in range(streams)])
    return sum(s.tokens for s in done) / elapsed


def both_at_once(ports, models, tag, tokens, streams=4):
    """Tokens/s of each model while both run `streams` streams at the same time."""
    results = {}

    def run(port, model):
        results[model] = throughput(port, model, streams, f"{tag}.{model}", tokens)

    threads = [threading.Thread(target=run, args=(port, model)) for port, model in zip(ports, models)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [results[model] for model in models]


def compute_threads(pid, seconds=1.0):
    """(threads named hearth-compute, threads that used over a fifth of a core, names of those
    not named hearth-compute) over `seconds`."""
    def sample():
        times = {}
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
                times[task.name] = (int(fields[11]) + int(fields[12]), (task / "comm").read_text().strip())
            except OSError:
                pass
        return times
    before = sample()
    time.sleep(seconds)
    after = sample()
    ticks = os.sysconf("SC_CLK_TCK")
    named = sum(1 for _, name in after.values() if name == "hearth-compute")
    busy = [name for tid, (used, name) in after.items() if (used - before.get(tid, (used, ""))[0]) / ticks > 0.2 * seconds]
    return named, len(busy), sorted(name for name in busy if name != "hearth-compute")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hearth", required=True)
    parser.add_argument("--llama-server", required=True)
    parser.add_argument("--models", nargs=2, default=["smollm2:135m", "gemma3:270m"])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--context", type=int, default=2048)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    paths = [resolve_model(name) for name in args.models]

    servers = []
    try:
        h = hearth(args, args.models, free_port())
        servers.append(h)
        h.wait_ready()
        alone = {}
        for model in args.models:
            log(f"hearth: first use of {model}")
            throughput(h.port, model, 1, "warm-up", 16)
        rows = []
        for model, path in zip(args.models, paths):
            peer = llama(args, path, free_port(), args.threads)
            servers.append(peer)
            peer.wait_ready()
            throughput(peer.port, model, 1, "warm-up", 16)
            for streams in (1, 4):
                runs = {"hearth": [], "llama-server": []}
                for run in range(args.runs + 1):  # run 0 warms up both
                    order = [("hearth", h.port), ("llama-server", peer.port)]
                    for name, port in (order if run % 2 else order[::-1]):
                        rate = throughput(port, model, streams, f"{streams}.{run}", args.tokens)
                        if run:
                            runs[name].append(rate)
                            log(f"{name}: {model}, {streams} stream(s), run {run}: {rate:.1f} tok/s")
                rows.append((f"{model}, {streams} stream{'s' if streams > 1 else ''} (other model loaded)",
                             runs["hearth"], runs["llama-server"]))
            peer.stop()
            servers.remove(peer)
        # Both busy at once.
        peers = [llama(args, path, free_port(), 1, core) for core, path in enumerate(paths)]
        servers += peers
        for peer in peers:
            peer.wait_ready()
        sums = {"hearth": [], "llama-server": []}
        threads_seen = None
        for run in range(args.runs + 1):
            order = [("hearth", [h.port, h.port]), ("llama-server", [p.port for p in peers])]
            for name, ports in (order if run % 2 else order[::-1]):
                sampler = None
                if name == "hearth" and run == 1:
                    result = {}
                    sampler = threading.Thread(target=lambda: result.update(seen=compute_threads(h.proc.pid)))
                    threading.Timer(1.0, sampler.start).start()
                rates = both_at_once(ports, args.models, f"both.{run}", args.tokens)
                if sampler:
                    sampler.join()
                    threads_seen = result.get("seen")
                if run:
                    sums[name].append(sum(rates))
                    log(f"{name}: both at once, run {run}: " + ", ".join(f"{m} {r:.1f}" for m, r in zip(args.models, rates))
                        + f" tok/s, {sum(rates):.1f} together")
        rows.append(("both models busy, 4 streams each (together)", sums["hearth"], sums["llama-server"]))
    except ServerError:
        return 1
    finally:
        for server in servers:
            server.stop()

    print(f"\ntwo models — threads {args.threads}, {args.parallel} slots, {args.context} context/slot, "
          f"{args.tokens} tokens/stream, median of {args.runs} runs (spread: min-max)")
    print(f"{'tokens/s':<52}{'hearth':>16}{'llama-server':>18}{'ratio':>7}")
    print("-" * 93)
    for label, hs, ls in rows:
        hm, lm = statistics.median(hs), statistics.median(ls)
        print(f"{label:<52}{hm:>7.1f} ({min(hs):.0f}-{max(hs):.0f}){lm:>9.1f} ({min(ls):.0f}-{max(ls):.0f}){hm / lm:>7.2f}")
    print("(llama-server: one process per model; alone: all threads; both busy: one core and one thread each)\n")
    for label, hs, ls in rows[:-1]:
        if "1 stream" in label:
            ratio = statistics.median(hs) / statistics.median(ls)
            print(f"{'PASS' if ratio >= 0.95 else 'FAIL'}  {label}: {ratio:.2f} (target >= 0.95)")
    if threads_seen:
        named, busy, others = threads_seen
        ok = busy <= args.threads and not others and named <= args.threads
        print(f"{'PASS' if ok else 'FAIL'}  while both models generate: {named} hearth-compute threads, {busy} threads busy"
              f"{' (also ' + ', '.join(others) + ')' if others else ''} (target <= {args.threads} = HEARTH_THREADS)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
