#!/usr/bin/env python3
"""What authentication, limits and usage accounting add to each request.

Starts two `hearth serve` on free loopback ports with the same model: one open (no users,
no keys: the middleware lets every request in as `local`) and one with users, where every
request carries a user's `hth_` key with requests-per-minute, concurrency and token limits,
and the user has limits of their own (all high enough never to refuse). bench/loadgen.c
(built here with gcc) sends GET /v1/models (no model work, so the difference is the gateway's
own cost) at a fixed rate, open loop, from several keep-alive connections, in turns between
the servers; prints the median turn's requests/s, p50 and p99 latency of each, what the keyed
server adds, and the most each answers in a closed loop. The issue's target: at ≥ 500
requests/s, p50 ≤ 0.1 ms and p99 ≤ 1 ms added.

  python bench/gateway.py --hearth .build/release/hearth [--rate 500] [--seconds 5] [--turns 5]

Needs gcc. Exits 0 whatever the numbers (a benchmark is not a test); 1 if a server fails.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from engine import Server, ServerError, free_port, log, store_root  # noqa: E402
from gateway_peers import build_loadgen  # noqa: E402


def home():
    folder = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    (folder / "models").symlink_to(store_root())
    return folder


def keyed_server(hearth, port):
    """A server whose data folder has an admin and a user with a limited key; its key."""
    folder = home()
    env = dict(os.environ, HEARTH_HOME=str(folder), HEARTH_HOST=f"127.0.0.1:{port}")
    env.pop("HEARTH_API_KEY", None)
    admin = subprocess.run([hearth, "admin", "bootstrap"], env=env, capture_output=True, text=True, check=True).stdout.strip()
    server = Server("hearth-keyed", [hearth, "serve", "--port", str(port)], port, env=env)
    server.wait_ready()
    env["HEARTH_API_KEY"] = admin
    subprocess.run([hearth, "users", "add", "bench"], env=env, capture_output=True, text=True, check=True)
    subprocess.run([hearth, "users", "limit", "bench", "--requests-per-minute", "100000000", "--concurrent", "1000"],
                   env=env, capture_output=True, text=True, check=True)
    key = subprocess.run([hearth, "keys", "create", "--user", "bench", "--requests-per-minute", "100000000",
                          "--concurrent", "1000", "--tokens-per-minute", "1000000000"],
                         env=env, capture_output=True, text=True, check=True).stdout.strip()
    return server, key


def measure(loadgen, port, key, rate, seconds, connections):
    """GET /v1/models at `rate` requests/s (open loop) for `seconds`; loadgen's JSON result."""
    argv = [str(loadgen), "--host", "127.0.0.1", "--port", str(port), "--path", "/v1/models", "--method", "GET",
            "--rate", str(rate), "--connections", str(connections)]
    argv += ["--duration", str(seconds), "--warmup", "1"] if rate > 0 else ["--requests", str(int(seconds))]
    if key:
        argv += ["--header", f"Authorization: Bearer {key}"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise ServerError(f"loadgen failed: {done.stderr.strip()[-300:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["errors"]:
        raise ServerError(f"{result['errors']} requests failed")
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hearth", required=True, help="hearth binary (release build)")
    parser.add_argument("--rate", type=int, default=500, help="requests per second (open loop)")
    parser.add_argument("--seconds", type=int, default=5, help="measured seconds per turn and server")
    parser.add_argument("--connections", type=int, default=4, help="keep-alive connections")
    parser.add_argument("--turns", type=int, default=5, help="measured turns per server")
    args = parser.parse_args()
    hearth = str(Path(args.hearth).resolve())
    open_port, keyed_port = free_port(), free_port()
    open_home = home()
    work = Path(tempfile.mkdtemp(prefix="bench-gateway-loadgen-"))
    servers = []
    try:
        loadgen = build_loadgen(work)
        opened = Server("hearth-open", [hearth, "serve", "--port", str(open_port)], open_port,
                        env=dict(os.environ, HEARTH_HOME=str(open_home)))
        servers.append(opened)
        opened.wait_ready()
        keyed, key = keyed_server(hearth, keyed_port)
        servers.append(keyed)
        results = {"open": [], "keyed": []}
        order = [("open", open_port, None), ("keyed", keyed_port, key)]
        for turn in range(args.turns):
            for name, port, bearer in (order if turn % 2 == 0 else order[::-1]):
                result = measure(loadgen, port, bearer, args.rate, args.seconds, args.connections)
                results[name].append(result)
                log(f"{name}: turn {turn + 1}: {result['achieved_rps']:.0f} requests/s, "
                    f"p50 {result['p50_ms']:.3f} ms, p99 {result['p99_ms']:.3f} ms")
        most = {name: measure(loadgen, port, bearer, 0, 20_000, 16)["achieved_rps"] for name, port, bearer in order}
    except (ServerError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        log(f"error: {error}")
        for server in servers:
            log(server.log_tail())
        return 1
    finally:
        for server in servers:
            server.stop()

    print(f"GET /v1/models at {args.rate} requests/s (open loop), {args.connections} keep-alive connections, "
          f"{args.turns} turns × {args.seconds} s per server, in turns; the median turn")
    print(f"{'server':<28}{'requests/s':>12}{'p50 ms':>10}{'p99 ms':>10}{'most/s':>10}")
    stats = {}
    for name, label in [("open", "open (no key)"), ("keyed", "user key + limits + usage")]:
        runs = results[name]
        stats[name] = (min(r["achieved_rps"] for r in runs), statistics.median(r["p50_ms"] for r in runs),
                       statistics.median(r["p99_ms"] for r in runs))
        print(f"{label:<28}{stats[name][0]:>12.0f}{stats[name][1]:>10.3f}{stats[name][2]:>10.3f}{most[name]:>10.0f}")
    added50 = stats["keyed"][1] - stats["open"][1]
    added99 = stats["keyed"][2] - stats["open"][2]
    print(f"added by authentication, limits and usage: p50 {added50:+.3f} ms, p99 {added99:+.3f} ms")
    rate_ok = stats["keyed"][0] >= 0.95 * args.rate and args.rate >= 500
    print(f"{'PASS' if rate_ok else 'FAIL'}  ≥ 500 requests/s with keys: {stats['keyed'][0]:.0f} (at most {most['keyed']:.0f})")
    print(f"{'PASS' if added50 <= 0.1 else 'FAIL'}  p50 added ≤ 0.1 ms: {added50:+.3f}")
    print(f"{'PASS' if added99 <= 1 else 'FAIL'}  p99 added ≤ 1 ms: {added99:+.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
