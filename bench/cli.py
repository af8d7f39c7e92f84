#!/usr/bin/env python3
"""`hearth search` as a whole process: through a running server vs alone, in-process.

Builds a small knowledge base (40 notes) in a temporary HEARTH_HOME that shares the
installed models, starts `hearth serve` on a free loopback port, and times the whole
`hearth search QUERY -c bench` process (start, connect, answer, exit) run after run
through the server; then stops the server and times the same command working alone
(it loads the embedding model and the store in-process). Prints p50/p95 of each and
the ratio. The issue's target: ≤ 50 ms through the server (release build).

  python bench/cli.py --hearth .build/release/hearth [--runs 30]

Standard library only. Exits 0 whatever the numbers (a benchmark is not a test);
1 if the server or a command fails.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from engine import Server, ServerError, free_port, log, percentile, store_root  # noqa: E402

TOPICS = ["lighthouses", "bread", "orchards", "tides", "glaciers", "bees", "trains", "volcanoes"]


def corpus(folder):
    """40 short notes, five per topic, each naming a keeper and a place."""
    folder.mkdir(parents=True)
    for i in range(40):
        topic = TOPICS[i % len(TOPICS)]
        (folder / f"note-{i:02}.txt").write_text(
            f"# Note {i} on {topic}\n\nThe {topic} near harbour {i} are looked after by keeper number {i}. "
            f"Every morning the keeper writes down what changed about the {topic} and why.\n")


def timed(argv, env):
    started = time.perf_counter()
    result = subprocess.run(argv, env=env, capture_output=True, text=True)
    elapsed = (time.perf_counter() - started) * 1000
    if result.returncode != 0:
        raise ServerError(f"{' '.join(argv)} failed ({result.returncode}): {result.stderr.strip()[-400:]}")
    return elapsed, result


def series(argv, env, runs):
    timed(argv, env)  # warm the page cache and the server's models
    return [timed(argv, env)[0] for _ in range(runs)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hearth", required=True, help="hearth binary (release build)")
    parser.add_argument("--runs", type=int, default=30, help="timed runs through the server (in-process: a third)")
    args = parser.parse_args()
    hearth = str(Path(args.hearth).resolve())
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        home = Path(tmp)
        (home / "models").symlink_to(store_root())
        corpus(home / "notes")
        port = free_port()
        env = dict(os.environ, HEARTH_HOME=str(home), HEARTH_HOST=f"127.0.0.1:{port}")
        env.pop("HEARTH_API_KEY", None)
        query = [hearth, "search", "who looks after the glaciers", "-c", "bench", "-k", "3"]
        server = Server("hearth", [hearth, "serve", "--port", str(port)], port, env=env)
        try:
            server.wait_ready()
            _, ingest = timed([hearth, "ingest", str(home / "notes"), "-c", "bench"], env)
            log(ingest.stderr.strip().splitlines()[-1] if ingest.stderr.strip() else "ingested")
            _, answer = timed(query, env)
            if "running in-process" in answer.stderr or "glaciers" not in answer.stdout:
                raise ServerError(f"search did not go through the server: {answer.stdout[:300]} {answer.stderr[:300]}")
            through = series(query, env, args.runs)
        except ServerError as error:
            log(f"error: {error}\n{server.log_tail()}")
            server.stop()
            return 1
        server.stop()
        try:
            _, alone_answer = timed(query, env)
            if "running in-process" not in alone_answer.stderr:
                raise ServerError("the command did not fall back to in-process")
            alone = series(query, env, max(3, args.runs // 3))
        except ServerError as error:
            log(f"error: {error}")
            return 1

    p50_through, p50_alone = statistics.median(through), statistics.median(alone)
    print(f"hearth search, whole process ({len(through)} runs through the server, {len(alone)} alone)")
    print(f"  through the server: p50 {p50_through:7.1f} ms  p95 {percentile(through, 95):7.1f} ms")
    print(f"  alone, in-process : p50 {p50_alone:7.1f} ms  p95 {percentile(alone, 95):7.1f} ms")
    print(f"  ratio server ÷ alone (p50): {p50_through / p50_alone:.3f}")
    verdict = "meets" if p50_through <= 50 else "misses"
    print(f"  {verdict} the target of ≤ 50 ms through the server (p50)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
