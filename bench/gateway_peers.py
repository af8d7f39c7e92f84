#!/usr/bin/env python3
"""What a gateway adds to a request: Hearth's router against LiteLLM's proxy.

Starts nginx on a free loopback port as a fake OpenAI-compatible upstream (a fixed chat
completion for POST /v1/chat/completions, a fixed list for GET /v1/models: no model work),
then Hearth (a config.toml routing the public model "bench" to that upstream) and LiteLLM's
proxy (a config.yaml doing the same, one worker, no database, no key), each on a free port.
bench/loadgen.c, built here with gcc, sends the same chat completion request to nginx
directly, through Hearth and through LiteLLM, at fixed rates from 16 keep-alive connections
(open loop: each request's latency runs from when it was due, so queueing behind a slow
gateway is counted), 2 s of warm-up then 10 s per run, the targets taking turns at each rate
(25, 50, 100, 250 ... 8000 requests/s by default). A target stops at the first rate
it cannot sustain (under 90 % of it answered, or over 1 % errors); the most it answered is its
saturation. Per rate it prints each target's requests/s, p50 and p99, what Hearth and LiteLLM
add to nginx's own latency at the same rate, and LiteLLM's addition ÷ Hearth's. The issue's
targets: Hearth adds p50 ≤ 0.2 ms and p99 ≤ 1 ms at every rate it sustains, ≥ 10× less than
LiteLLM. With --million, Hearth's resident memory after its first 1,000 requests and after
1,000,000 (closed loop), which should differ by at most 10 %.

  python -m venv DIR && DIR/bin/pip install -r bench/gateway-requirements.txt
  python bench/gateway_peers.py --hearth .build/release/hearth --litellm-venv DIR [--rates 250,500,1000] [--million]
  python bench/gateway_peers.py --targets nginx,litellm --litellm-venv DIR    # without Hearth

Needs gcc and nginx (/usr/sbin/nginx: apt-get install nginx; no service needs to run). Hearth
loads its default model (--model, from the model store) at start. Standard library only.
A single LiteLLM worker is CPU-bound at tens to a few hundred requests/s (2-core machine,
1.108.7: ~38/s, ~25 ms added), so its comparison comes from the low rates. Exits 0 whatever
the numbers (a benchmark is not a test); 1 if a server or the load fails, 130 on Ctrl-C.
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from engine import Server, ServerError, free_port, log, resolve_model, rss_mb, store_root  # noqa: E402

NGINX = "/usr/sbin/nginx"
PATH = "/v1/chat/completions"
BODY = {"model": "bench", "messages": [{"role": "user", "content": "Hi"}]}
UPSTREAM_MODEL = "gpt-bench"
COMPLETION = {
    "id": "chatcmpl-bench", "object": "chat.completion", "created": 1700000000, "model": UPSTREAM_MODEL,
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello from the upstream."},
                 "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
}
MODELS = {"object": "list", "data": [{"id": UPSTREAM_MODEL, "object": "model", "created": 1700000000,
                                      "owned_by": "bench"}]}
LABELS = {"nginx": "nginx (direct)", "hearth": "Hearth", "litellm": "LiteLLM"}
TARGET_P50_MS, TARGET_P99_MS, TARGET_RATIO, TARGET_RSS_PCT = 0.2, 1.0, 10, 10


class GroupServer(Server):
    """A Server in a process group of its own, stopped whole, so that whatever it forks (nginx's
    worker, any uvicorn workers) goes with it. Ready when GET `ready_path` answers 200."""

    def __init__(self, name, argv, port, ready_path, env=None, cwd=None):
        self.name, self.port, self.ready_path = name, port, ready_path
        self.log = tempfile.NamedTemporaryFile(prefix=f"bench-{name}-", suffix=".log", delete=False)
        log(f"starting {name}: {' '.join(argv)}")
        self.proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self):
        """SIGTERM to the group (its id is our child's PID), SIGKILL if any of it is left after 10 s."""
        for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            if not self.signal_group(sig):
                break
            deadline = time.monotonic() + grace
            while self.signal_group(0) and time.monotonic() < deadline:
                self.proc.poll()  # reaps the leader, which would otherwise stay in the group as a zombie
                time.sleep(0.1)
            if not self.signal_group(0):
                break
        self.proc.wait()
        self.log.close()

    def signal_group(self, sig):
        """Sends sig (0: none, just looks) to the group; whether any of it was there."""
        try:
            os.killpg(self.proc.pid, sig)
            return True
        except ProcessLookupError:
            return False


# --- the servers -------------------------------------------------------------


def nginx(work, port):
    folder = work / "nginx"
    folder.mkdir()
    temp = " ".join(f"{kind}_temp_path {folder}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (folder / "nginx.conf").write_text(f"""\
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    {temp}
    keepalive_requests 10000000;  # no reconnections mid-run, for the client or the gateways
    keepalive_timeout 300s;
    server {{
        listen 127.0.0.1:{port};
        location = /v1/chat/completions {{ default_type application/json; return 200 '{json.dumps(COMPLETION)}'; }}
        location = /v1/models {{ default_type application/json; return 200 '{json.dumps(MODELS)}'; }}
        location / {{ return 404; }}
    }}
}}
""")
    argv = [NGINX, "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(folder / "nginx.conf"),
            "-g", "daemon off;"]
    return GroupServer("nginx", argv, port, "/v1/models")


def hearth(args, work, port, upstream):
    home = work / "hearth-home"
    home.mkdir()
    (home / "models").symlink_to(store_root())
    (home / "config.toml").write_text(f"""\
[[providers]]
name = "upstream"
base_url = "http://127.0.0.1:{upstream}/v1"

[[models]]
name = "bench"
deployments = [{{ provider = "upstream", model = "{UPSTREAM_MODEL}" }}]
""")
    env = dict(os.environ, HEARTH_HOME=str(home))
    for name in ("HEARTH_API_KEYS", "HEARTH_API_KEY"):  # loopback needs no key; a key would reject ours
        env.pop(name, None)
    argv = [args.hearth, "serve", "--host", "127.0.0.1", "--port", str(port), "--model", args.model]
    return GroupServer("hearth", argv, port, "/health", env=env)


def litellm(args, work, port, upstream):
    folder = work / "litellm"
    folder.mkdir()
    (folder / "config.yaml").write_text(f"""\
model_list:
  - model_name: bench
    litellm_params:
      model: openai/{UPSTREAM_MODEL}
      api_base: http://127.0.0.1:{upstream}/v1
      api_key: none
litellm_settings:
  telemetry: false
  set_verbose: false
general_settings:
  disable_spend_logs: true
  disable_error_logs: true
""")
    env = dict(os.environ, LITELLM_LOG="ERROR",
               LITELLM_LOCAL_MODEL_COST_MAP="True",  # no fetch of the price list at start
               # No key, as Hearth runs here: recent versions refuse to start without one otherwise.
               LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY="true")
    for name in ("LITELLM_MASTER_KEY", "DATABASE_URL", "REDIS_HOST", "REDIS_URL"):
        env.pop(name, None)
    argv = [str(Path(args.litellm_venv) / "bin" / "litellm"), "--config", str(folder / "config.yaml"),
            "--host", "127.0.0.1", "--port", str(port), "--num_workers", "1"]
    return GroupServer("litellm", argv, port, "/health/readiness", env=env, cwd=folder)


def check_answer(server):
    """One request through the server: the upstream's answer must come back."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        conn.request("POST", PATH, json.dumps(BODY), {"Content-Type": "application/json"})
        response = conn.getresponse()
        text = response.read().decode(errors="replace")
    except OSError as error:
        raise ServerError(f"{server.name}: {error}") from error
    finally:
        conn.close()
    if response.status != 200 or "Hello from the upstream." not in text:
        raise ServerError(f"{server.name} answered HTTP {response.status}: {text[:300]}")


# --- load --------------------------------------------------------------------


def build_loadgen(work):
    binary = work / "loadgen"
    subprocess.run(["gcc", "-O2", "-o", str(binary), str(Path(__file__).parent / "loadgen.c")], check=True)
    return binary


def load(args, server, *, rate, duration=None, requests=None, warmup=0):
    """One loadgen run against the server: its JSON line as a dict."""
    argv = [str(args.loadgen), "--host", "127.0.0.1", "--port", str(server.port), "--path", PATH,
            "--body-file", str(args.body), "--rate", str(rate), "--connections", str(args.connections)]
    argv += ["--duration", str(duration), "--warmup", str(warmup)] if duration else ["--requests", str(requests)]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=(duration or 0) + warmup + 3600)
    except subprocess.TimeoutExpired as error:
        raise ServerError(f"loadgen against {server.name} did not finish") from error
    if done.returncode != 0 or server.proc.poll() is not None:
        raise ServerError(f"loadgen against {server.name} failed: {done.stderr.strip()[-300:]}")
    return json.loads(done.stdout)


def sustained(result):
    return result["achieved_rps"] >= 0.9 * result["rate"] and result["errors"] <= 0.01 * max(result["sent"], 1)


def sweep(args, servers):
    """Every rate, the targets in turns (the order rotates each rate); {rate: {target: result}}."""
    results, saturated, best = {}, set(), {}
    for index, rate in enumerate(args.rates):
        names = [name for name in servers if name not in saturated]
        if not names:
            break
        names = names[index % len(names):] + names[:index % len(names)]
        results[rate] = {}
        for name in names:
            result = load(args, servers[name], rate=rate, duration=args.duration, warmup=args.warmup)
            results[rate][name] = result
            best[name] = max(best.get(name, 0), result["achieved_rps"])
            log(f"{name} at {rate}/s: {result['achieved_rps']:.0f}/s, p50 {result['p50_ms']:.3f} ms, "
                f"p99 {result['p99_ms']:.3f} ms, {result['errors']} errors")
            if not sustained(result):
                saturated.add(name)
                log(f"{name} saturated: {best[name]:.0f} requests/s at most")
        print_rate(rate, results[rate])
    return results, saturated, best


def added(results, name):
    """{rate: (added p50, added p99)} where the target and nginx both sustained the rate."""
    out = {}
    for rate, row in results.items():
        if name in row and "nginx" in row and sustained(row[name]) and sustained(row["nginx"]):
            out[rate] = (row[name]["p50_ms"] - row["nginx"]["p50_ms"], row[name]["p99_ms"] - row["nginx"]["p99_ms"])
    return out


def print_rate(rate, row):
    print(f"\n{rate} requests/s, {PATH}, open loop")
    print(f"{'target':<16}{'achieved/s':>11}{'p50 ms':>10}{'p99 ms':>10}{'+p50 ms':>10}{'+p99 ms':>10}")
    base = row.get("nginx") if row.get("nginx") and sustained(row["nginx"]) else None
    for name in LABELS:
        if name not in row:
            continue
        r = row[name]
        extra = "" if sustained(r) else "   (not sustained)"
        if name != "nginx" and base and sustained(r):
            extra = f"{r['p50_ms'] - base['p50_ms']:>+10.3f}{r['p99_ms'] - base['p99_ms']:>+10.3f}"
        print(f"{LABELS[name]:<16}{r['achieved_rps']:>11.0f}{r['p50_ms']:>10.3f}{r['p99_ms']:>10.3f}{extra}")
    h, lite = added({rate: row}, "hearth").get(rate), added({rate: row}, "litellm").get(rate)
    if h and lite:
        ratios = [f"{x / y:.0f}×" if y > 0 else "∞ (Hearth adds ≤ 0)" for x, y in zip(lite, h)]
        print(f"LiteLLM added ÷ Hearth added: p50 {ratios[0]}, p99 {ratios[1]}")
    sys.stdout.flush()


def report(args, results, saturated, best):
    print("\nsaturation (most requests/s answered; targets stop at the first rate they cannot sustain)")
    for name in [n for n in LABELS if n in best]:
        state = "saturated" if name in saturated else f"not reached up to {max(args.rates)}/s"
        print(f"  {LABELS[name]:<16}{best[name]:>9.0f}/s  {state}")
    hearth, lite = added(results, "hearth"), added(results, "litellm")
    print("\ntargets")

    def check(ok, text):
        print(f"{'PASS' if ok else 'FAIL'}  {text}")

    if "hearth" not in best:
        print("(Hearth not run)")
    else:
        if not hearth:
            check(False, "Hearth sustained no rate alongside nginx")
        else:
            worst50, worst99 = max(v[0] for v in hearth.values()), max(v[1] for v in hearth.values())
            check(worst50 <= TARGET_P50_MS, f"Hearth adds p50 ≤ {TARGET_P50_MS} ms at every sustained rate: "
                                            f"worst {worst50:+.3f} ms")
            check(worst99 <= TARGET_P99_MS, f"Hearth adds p99 ≤ {TARGET_P99_MS} ms at every sustained rate: "
                                            f"worst {worst99:+.3f} ms")
    if "hearth" in best and "litellm" in best:
        both = sorted(set(hearth) & set(lite))
        if not both:
            check(False, f"≥ {TARGET_RATIO}× lower than LiteLLM: no rate that both sustained")
        for rate in both:
            ok = all(x >= TARGET_RATIO * y for x, y in zip(lite[rate], hearth[rate]))
            check(ok, f"≥ {TARGET_RATIO}× lower than LiteLLM at {rate}/s: added p50 {hearth[rate][0]:+.3f} vs "
                      f"{lite[rate][0]:+.3f} ms, p99 {hearth[rate][1]:+.3f} vs {lite[rate][1]:+.3f} ms")


def million(args, server, first_count=1000, total=1_000_000, chunk=100_000):
    """Hearth's RSS after its first 1,000 requests and after 1,000,000, closed loop (in chunks,
    each logged, so that a long run shows it is alive)."""
    load(args, server, rate=0, requests=first_count)
    first = rss_mb(server.proc.pid)
    log(f"hearth: {first_count:,} requests, RSS {first:.1f} MB")
    done = first_count
    while done < total:
        count = min(chunk - done % chunk, total - done)
        result = load(args, server, rate=0, requests=count)
        if result["errors"]:
            raise ServerError(f"hearth: {result['errors']} of {count} requests failed")
        done += count
        log(f"hearth: {done:,} requests, RSS {rss_mb(server.proc.pid):.1f} MB, {result['achieved_rps']:.0f}/s")
    last = rss_mb(server.proc.pid)
    change = (last - first) / first * 100
    print(f"\nHearth resident memory, {args.connections} connections, closed loop: {first:.1f} MB after "
          f"{first_count:,} requests, {last:.1f} MB after {total:,} ({change:+.1f} %)")
    print(f"{'PASS' if abs(change) <= TARGET_RSS_PCT else 'FAIL'}  RSS after {total:,} requests within "
          f"{TARGET_RSS_PCT} % of after {first_count:,}: {change:+.1f} %")


def interrupted(signum, frame):
    raise KeyboardInterrupt


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hearth", help="hearth binary (release build)")
    parser.add_argument("--litellm-venv", help="virtual environment with bench/gateway-requirements.txt installed")
    parser.add_argument("--model", default="smollm2:135m", help="Hearth's default model, loaded at start")
    parser.add_argument("--rates", default="25,50,100,250,500,1000,2000,4000,8000", help="requests/s, comma-separated")
    parser.add_argument("--duration", type=float, default=10, help="measured seconds per rate and target")
    parser.add_argument("--warmup", type=float, default=2, help="unmeasured seconds before each")
    parser.add_argument("--connections", type=int, default=16, help="keep-alive connections")
    parser.add_argument("--targets", default="nginx,hearth,litellm",
                        help="which to run, comma-separated (nginx always runs: it is the upstream)")
    parser.add_argument("--million", action="store_true", help="also Hearth's RSS over 1,000,000 requests")
    args = parser.parse_args()
    args.rates = sorted(int(r) for r in args.rates.split(",") if r)
    targets = ["nginx"] + [t for t in ("hearth", "litellm") if t in args.targets.split(",")]
    if "hearth" in targets:
        if not args.hearth or not Path(args.hearth).is_file():
            log(f"error: no hearth binary at {args.hearth}: build it with make build-release")
            return 1
        args.hearth = str(Path(args.hearth).resolve())
        resolve_model(args.model)  # exits with how to install it if the store lacks it
    if "litellm" in targets:
        if not args.litellm_venv or not (Path(args.litellm_venv) / "bin" / "litellm").is_file():
            log(f"error: no litellm in {args.litellm_venv}/bin: python -m venv DIR && "
                "DIR/bin/pip install -r bench/gateway-requirements.txt")
            return 1
    if not Path(NGINX).is_file():
        log(f"error: {NGINX} missing: apt-get install nginx")
        return 1

    signal.signal(signal.SIGTERM, interrupted)  # stopped by someone else: clean up as on Ctrl-C
    work = Path(tempfile.mkdtemp(prefix="bench-peers-"))
    servers, status = {}, 0
    try:
        args.loadgen = build_loadgen(work)
        args.body = work / "body.json"
        args.body.write_text(json.dumps(BODY))
        upstream = free_port()
        makers = {"nginx": lambda: nginx(work, upstream),
                  "hearth": lambda: hearth(args, work, free_port(), upstream),
                  "litellm": lambda: litellm(args, work, free_port(), upstream)}
        for name in targets:
            servers[name] = makers[name]()
            servers[name].wait_ready()
            check_answer(servers[name])
            load(args, servers[name], rate=0, requests=2000)  # warm it up: connections, lazy code paths
            log(f"{name} ready on port {servers[name].port}")
        print(f"{args.connections} keep-alive connections, {args.warmup:g} s warm-up + {args.duration:g} s per rate "
              f"and target; body {json.dumps(BODY)}")
        report(args, *sweep(args, servers))
        if args.million and "hearth" in servers:
            million(args, servers["hearth"])
    except KeyboardInterrupt:
        status = 130
        log("interrupted")
    except (ServerError, subprocess.CalledProcessError) as error:
        status = 1
        log(f"error: {error}")
        for server in servers.values():
            log(f"--- {server.name} log ({server.log.name}):\n{server.log_tail()}")
    finally:
        for server in reversed(list(servers.values())):
            server.stop()
        if status == 1:
            log(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
