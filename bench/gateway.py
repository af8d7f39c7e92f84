#!/usr/bin/env python3
"""What authentication, limits and usage accounting add to each request.

Starts two `hearth serve` on free loopback ports with the same model: one open (no users,
no keys: the middleware lets every request in as `local`) and one with users, where every
request carries a user's `hth_` key with requests-per-minute, concurrency and token limits,
and the user has limits of their own (all high enough never to refuse). Sends GET /v1/models (no model work, so the difference is the
gateway's own cost) from several keep-alive connections at once, in turns between the
servers, and prints requests/s and the p50 and p99 latency of each, and what the keyed server
adds. The issue's target: at ≥ 500 requests/s, p50 ≤ 0.1 ms and p99 ≤ 1 ms added.

  python bench/gateway.py --hearth .build/release/hearth [--requests 4000] [--connections 4]

Standard library only. Exits 0 whatever the numbers (a benchmark is not a test); 1 if a
server fails.
"""

import argparse
import http.client
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from engine import Server, ServerError, free_port, log, percentile, store_root  # noqa: E402


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


def hammer(port, key, requests, connections):
    """Sends `requests` GET /v1/models over `connections` keep-alive connections; latencies in ms."""
    latencies, errors = [], []
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {key}"} if key else {}

    def worker(count):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        try:
            for _ in range(count):
                started = time.perf_counter()
                conn.request("GET", "/v1/models", headers=headers)
                response = conn.getresponse()
                response.read()
                mine.append((time.perf_counter() - started) * 1000)
                if response.status != 200:
                    errors.append(response.status)
        finally:
            conn.close()
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(requests // connections,)) for _ in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise ServerError(f"{len(errors)} requests failed (status {errors[0]})")
    return latencies, len(latencies) / elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hearth", required=True, help="hearth binary (release build)")
    parser.add_argument("--requests", type=int, default=4000, help="requests per turn and server")
    parser.add_argument("--connections", type=int, default=4, help="keep-alive connections at once")
    parser.add_argument("--turns", type=int, default=3, help="measured turns per server (after one warm-up)")
    args = parser.parse_args()
    hearth = str(Path(args.hearth).resolve())
    open_port, keyed_port = free_port(), free_port()
    open_home = home()
    servers = []
    try:
        opened = Server("hearth-open", [hearth, "serve", "--port", str(open_port)], open_port,
                        env=dict(os.environ, HEARTH_HOME=str(open_home)))
        servers.append(opened)
        opened.wait_ready()
        keyed, key = keyed_server(hearth, keyed_port)
        servers.append(keyed)
        results = {"open": ([], []), "keyed": ([], [])}
        for turn in range(args.turns + 1):
            order = [("open", open_port, None), ("keyed", keyed_port, key)]
            for name, port, bearer in (order if turn % 2 == 0 else order[::-1]):
                latencies, rate = hammer(port, bearer, args.requests, args.connections)
                if turn > 0:  # the first turn warms both up
                    results[name][0].extend(latencies)
                    results[name][1].append(rate)
                    log(f"{name}: turn {turn}: {rate:.0f} requests/s, p50 {percentile(latencies, 50):.3f} ms")
    except (ServerError, subprocess.CalledProcessError) as error:
        log(f"error: {error}")
        for server in servers:
            log(server.log_tail())
        return 1
    finally:
        for server in servers:
            server.stop()

    print(f"GET /v1/models, {args.connections} keep-alive connections, {args.turns} turns × {args.requests} requests per server")
    print(f"{'server':<28}{'requests/s':>12}{'p50 ms':>10}{'p99 ms':>10}")
    stats = {}
    for name, label in [("open", "open (no key)"), ("keyed", "user key + limits + usage")]:
        latencies, rates = results[name]
        stats[name] = (min(rates), percentile(latencies, 50), percentile(latencies, 99))
        print(f"{label:<28}{stats[name][0]:>12.0f}{stats[name][1]:>10.3f}{stats[name][2]:>10.3f}")
    added50 = stats["keyed"][1] - stats["open"][1]
    added99 = stats["keyed"][2] - stats["open"][2]
    print(f"added by authentication, limits and usage: p50 {added50:+.3f} ms, p99 {added99:+.3f} ms "
          f"(ratio keyed ÷ open p50 {stats['keyed'][1] / stats['open'][1]:.2f})")
    rate_ok = stats["keyed"][0] >= 500
    print(f"{'PASS' if rate_ok else 'FAIL'}  ≥ 500 requests/s with keys: {stats['keyed'][0]:.0f}")
    print(f"{'PASS' if added50 <= 0.1 else 'FAIL'}  p50 added ≤ 0.1 ms: {added50:+.3f}")
    print(f"{'PASS' if added99 <= 1 else 'FAIL'}  p99 added ≤ 1 ms: {added99:+.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
