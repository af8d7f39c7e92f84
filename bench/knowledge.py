#!/usr/bin/env python3
"""Hearth's knowledge base against hnswlib, side by side in one run.

1. Vectors: the same N x 384 unit vectors (clustered like sentence embeddings,
   seeded) go into Hearth's HNSW index (`hearth-bench vectors`) and into hnswlib
   with the same M, ef_construction and ef, one thread each. For each ef: recall@10
   against exact neighbours (NumPy) and queries per second, with the ratio.
2. Ingestion: `hearth ingest` of a real corpus (man pages) into a fresh store:
   files, chunks and chunks per second.
3. Hybrid query: the store is filled to --chunks chunks, then `/hearth/search`
   (BM25 + HNSW + fusion, query embedded by the engine) is timed: p50 and p95. With
   --postgres, the same store is also filled on PostgreSQL with pgvector (a cluster
   started here, scripts/setup-postgres.sh) and timed beside SQLite.
4. Retrieval quality (--postgres, or --only quality): the man pages that answer 16 shell
   questions among --files others go into both stores through `hearth ingest` (the real
   embedding model); hit@5 (a chunk of an answering page among the first five of
   `/hearth/search`) on SQLite and on PostgreSQL, which should agree within 0.02.

  python bench/knowledge.py --hearth .build/release/hearth --bench .build/release/hearth-bench [--quick]

Exits 0 whatever the numbers (a benchmark is not a test); 1 when a part fails.
"""

import argparse
import glob
import json
import os
import socket
import statistics
import subprocess
import urllib.request
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DIM = 384
K = 10


def log(message):
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def clustered_vectors(rng, count, centers):
    """Unit vectors around cluster centres: neighbours share a topic, as embeddings do."""
    labels = rng.integers(0, len(centers), count)
    points = centers[labels] + rng.normal(0, 1 / np.sqrt(DIM), (count, DIM)).astype(np.float32)
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


def exact_neighbours(base, queries):
    truth = np.empty((len(queries), K), dtype=np.int32)
    for start in range(0, len(queries), 100):
        scores = queries[start:start + 100] @ base.T
        top = np.argpartition(-scores, K, axis=1)[:, :K]
        order = np.take_along_axis(scores, top, axis=1).argsort(axis=1)[:, ::-1]
        truth[start:start + 100] = np.take_along_axis(top, order, axis=1)
    return truth


def bench_vectors(args, work):
    import hnswlib  # only this part needs the peer

    rng = np.random.default_rng(7)
    centers = rng.normal(0, 1, (args.clusters, DIM)).astype(np.float32)
    centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    base = clustered_vectors(rng, args.vectors, centers)
    queries = clustered_vectors(rng, args.queries, centers)
    truth = exact_neighbours(base, queries)
    base.tofile(work / "base.f32")
    queries.tofile(work / "queries.f32")
    truth.tofile(work / "truth.i32")
    efs = [int(x) for x in args.ef.split(",")]
    log(f"vectors: {args.vectors} x {DIM}, {args.queries} queries, M={args.m}, ef_construction={args.ef_construction}")

    peer = hnswlib.Index(space="ip", dim=DIM)
    peer.init_index(max_elements=args.vectors, ef_construction=args.ef_construction, M=args.m, random_seed=100)
    peer.set_num_threads(1)
    start = time.perf_counter()
    peer.add_items(base, np.arange(args.vectors))
    peer_build = time.perf_counter() - start
    peer_results = {}
    for ef in efs:
        peer.set_ef(ef)
        start = time.perf_counter()
        labels, _ = peer.knn_query(queries, k=K, num_threads=1)
        elapsed = time.perf_counter() - start
        recall = np.mean([len(set(labels[i]) & set(truth[i])) / K for i in range(len(queries))])
        peer_results[ef] = (recall, len(queries) / elapsed)

    out = subprocess.run(
        [args.bench, "vectors", "--base", work / "base.f32", "--queries", work / "queries.f32",
         "--truth", work / "truth.i32", "--dim", str(DIM), "--k", str(K), "--m", str(args.m),
         "--ef-construction", str(args.ef_construction), "--ef", args.ef],
        check=True, capture_output=True, text=True).stdout
    hearth = [json.loads(line) for line in out.splitlines()]
    build = next(r for r in hearth if r["kind"] == "build")["seconds"]

    print(f"\nHNSW, {args.vectors} x {DIM}, M={args.m}, ef_construction={args.ef_construction}, 1 thread")
    print(f"  build: Hearth {build:.1f} s, hnswlib {peer_build:.1f} s, ratio {build / peer_build:.2f}")
    print(f"  {'ef':>5} {'recall Hearth':>14} {'recall hnswlib':>15} {'qps Hearth':>11} {'qps hnswlib':>12} {'qps ratio':>10}")
    for row in (r for r in hearth if r["kind"] == "search"):
        recall, qps = peer_results[row["ef"]]
        print(f"  {row['ef']:>5} {row['recall']:>14.4f} {recall:>15.4f} {row['qps']:>11.0f} {qps:>12.0f} {row['qps'] / qps:>10.2f}")
    passing = [r for r in hearth if r["kind"] == "search" and r["recall"] >= 0.95]
    if passing:
        best = passing[0]
        recall, qps = peer_results[best["ef"]]
        verdict = "PASS" if best["qps"] >= qps else "FAIL"
        print(f"  target recall@10 >= 0.95 at qps >= hnswlib's: ef={best['ef']} recall {best['recall']:.4f}, "
              f"qps {best['qps']:.0f} vs {qps:.0f} ({best['qps'] / qps:.2f}x) {verdict}")
    else:
        print("  target recall@10 >= 0.95: FAIL (no ef reached it)")


def models_folder():
    if os.environ.get("HEARTH_HOME"):
        return os.path.join(os.environ["HEARTH_HOME"], "models")
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(data, "hearth", "models")


def fresh_home(work, name):
    home = work / name
    home.mkdir()
    os.symlink(models_folder(), home / "models")
    return home


def bench_ingest(args, work):
    files = sorted(glob.glob("/usr/share/man/man1/*.1.gz"))[: args.files]
    corpus = work / "corpus" / "man1"
    corpus.mkdir(parents=True)
    for path in files:
        os.symlink(path, corpus / os.path.basename(path))
    # Symbolic links are left out by the walker: copy instead.
    for link in corpus.iterdir():
        target = os.readlink(link)
        link.unlink()
        with open(target, "rb") as src, open(link, "wb") as dst:
            dst.write(src.read())
    home = fresh_home(work, "ingest-home")
    env = dict(os.environ, HEARTH_HOME=str(home))
    log(f"ingest: {len(files)} man pages from /usr/share/man/man1")
    start = time.perf_counter()
    out = subprocess.run([args.hearth, "ingest", str(corpus), "-c", "man"], env=env, check=True,
                         capture_output=True, text=True).stdout
    elapsed = time.perf_counter() - start
    listing = subprocess.run([args.hearth, "collections", "list"], env=env, check=True, capture_output=True, text=True).stdout
    chunks = int(listing.splitlines()[1].split()[2])
    print(f"\nIngestion, {len(files)} man pages (whole command, model load included)")
    print(f"  {chunks} chunks in {elapsed:.1f} s: {chunks / elapsed:.1f} chunks/s, {len(files) / elapsed:.1f} files/s")
    print("  " + out.strip().splitlines()[0])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


QUESTIONS = [
    "how do I copy files recursively", "show hidden files in a directory", "compress a folder into an archive",
    "change the owner of a file", "find files larger than a size", "print the last lines of a log",
    "list open network connections", "sort lines numerically", "count words in a file", "set file permissions",
    "search text with regular expressions", "show disk usage of folders", "kill a process by its id",
    "download a file over http", "compare two files line by line", "split a large file into pieces",
]


def bench_hybrid(args, work):
    base = work / "base.f32"
    if not base.exists():
        rng = np.random.default_rng(7)
        centers = rng.normal(0, 1, (args.clusters, DIM)).astype(np.float32)
        centers /= np.linalg.norm(centers, axis=1, keepdims=True)
        clustered_vectors(rng, args.vectors, centers).tofile(base)
    paragraphs = []
    for path in sorted(glob.glob("/usr/share/doc/*/copyright")) + sorted(glob.glob("/usr/share/common-licenses/*")):
        try:
            text = open(path, encoding="utf-8", errors="replace").read()
        except OSError:
            continue
        paragraphs += [p.strip() for p in text.split("\n\n") if len(p.strip()) > 80]
    (work / "texts.bin").write_bytes("\0".join(p[:1200] for p in paragraphs).encode())
    backends = [("SQLite", None)]
    cluster = None
    if args.postgres:
        cluster, url = start_postgres()
        backends.append(("PostgreSQL", url))
    try:
        results = {}
        for name, url in backends:
            results[name] = hybrid_run(args, work, paragraphs, name, url)
    finally:
        if cluster:
            stop_postgres(cluster)
    print(f"\nHybrid query (/hearth/search, k=5, BM25 + HNSW + fusion) over {args.vectors} chunks, "
          f"{args.rounds * len(QUESTIONS)} queries each (whole HTTP request, query embedding included)")
    for name, (p50, p95, embed) in results.items():
        target = 20 if name == "SQLite" else 30
        print(f"  {name:10s} p50 {p50:.1f} ms, p95 {p95:.1f} ms; embedding the query alone p50 {embed:.1f} ms; "
              f"target p50 <= {target} ms: {'PASS' if p50 <= target else 'FAIL'}")
    if len(results) == 2:
        print(f"  PostgreSQL / SQLite p50: {results['PostgreSQL'][0] / results['SQLite'][0]:.2f}")


# The man pages that answer each of QUESTIONS, in order.
ANSWERS = [
    {"cp"}, {"ls"}, {"tar"}, {"chown"}, {"find"}, {"tail"}, {"ss", "netstat"}, {"sort"}, {"wc"}, {"chmod"}, {"grep"},
    {"du"}, {"kill"}, {"wget", "curl"}, {"diff", "cmp"}, {"split"},
]


def start_postgres(name="postgres"):
    """A throw-away PostgreSQL cluster under `work` (stopped by its PID when this process
    ends, or by stop_postgres) with a database `bench`: (folder, URL)."""
    # Outside `work`: the cluster may run as another user (as root, as `nobody`), who cannot
    # enter a private temporary folder.
    cluster = Path(tempfile.mkdtemp(prefix=f"hearth-bench-{name}-"))
    port = free_port()
    subprocess.run(["scripts/setup-postgres.sh", "start", str(cluster), str(port), str(os.getpid())], check=True,
                   capture_output=True)
    prefix = subprocess.run(["scripts/setup-postgres.sh", "--prefix"], check=True, capture_output=True, text=True).stdout.strip()
    subprocess.run([f"{prefix}/bin/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "hearth", "bench"], check=True)
    return cluster, f"postgres://hearth@127.0.0.1:{port}/bench?sslmode=disable"


def stop_postgres(cluster):
    subprocess.run(["scripts/setup-postgres.sh", "stop", str(cluster)], check=False)
    subprocess.run(["rm", "-rf", str(cluster)], check=False)


def serve(args, home, url):
    """`hearth serve` on a free port over `home` (and the database at `url`); its process and address."""
    port = free_port()
    env = dict(os.environ, HEARTH_HOME=str(home), HEARTH_HOST=f"127.0.0.1:{port}")
    if url:
        env["HEARTH_DATABASE_URL"] = url
    server = subprocess.Popen([args.hearth, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    address = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(address + "/health", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    return server, address


def bench_quality(args, work):
    pages = set().union(*ANSWERS)
    answering = [p for p in glob.glob("/usr/share/man/man[18]/*.gz") if os.path.basename(p).split(".")[0] in pages]
    others = [p for p in sorted(glob.glob("/usr/share/man/man1/*.1.gz")) if p not in answering][: args.files]
    corpus = work / "quality-corpus"
    for path in answering + others:
        # The loader knows a man page by its section folder (man1/, man8/).
        section = corpus / os.path.basename(os.path.dirname(path))
        section.mkdir(parents=True, exist_ok=True)
        with open(path, "rb") as src, open(section / os.path.basename(path), "wb") as dst:
            dst.write(src.read())
    cluster, database = start_postgres("postgres-quality") if not args.postgres_url else (None, args.postgres_url)
    scores = {}
    try:
        for name, url in [("SQLite", None), ("PostgreSQL", database)]:
            home = fresh_home(work, f"quality-home-{name.lower()}")
            env = dict(os.environ, HEARTH_HOME=str(home))
            if url:
                env["HEARTH_DATABASE_URL"] = url
            log(f"quality, {name}: ingesting {len(answering)} answering and {len(others)} other man pages")
            subprocess.run([args.hearth, "ingest", str(corpus), "-c", "quality"], env=env, check=True, capture_output=True)
            server, address = serve(args, home, url)
            try:
                hits = 0
                asked = 0
                for question, answer in zip(QUESTIONS, ANSWERS):
                    if not any(os.path.basename(p).split(".")[0] in answer for p in answering):
                        continue
                    asked += 1
                    found = post(address + "/hearth/search", {"query": question, "collection": "quality", "k": 5})["hits"]
                    names = [os.path.basename(h["path"]).split(".")[0] for h in found]
                    hits += any(n in answer for n in names)
                    log(f"  {name}: {question!r}: {', '.join(names)}")
                scores[name] = (hits / asked, asked)
            finally:
                server.terminate()
                server.wait(timeout=30)
    finally:
        if cluster:
            stop_postgres(cluster)
    (sqlite, asked), (postgres, _) = scores["SQLite"], scores["PostgreSQL"]
    print(f"\nRetrieval quality, {asked} questions over {len(answering) + len(others)} man pages (hybrid /hearth/search, k=5)")
    print(f"  hit@5 SQLite {sqlite:.3f}, PostgreSQL {postgres:.3f}; difference {postgres - sqlite:+.3f}; "
          f"target within 0.02: {'PASS' if abs(postgres - sqlite) <= 0.02 else 'FAIL'}")


def hybrid_run(args, work, paragraphs, name, url):
    """Fills one backend's store, serves it, times the queries: (p50, p95, embedding p50) in ms."""
    home = fresh_home(work, f"hybrid-home-{name.lower()}")
    log(f"hybrid, {name}: filling a store with {args.vectors} chunks ({len(paragraphs)} distinct texts, synthetic vectors)")
    command = [args.bench, "fill", "--home", str(home), "--texts", str(work / "texts.bin"),
               "--vectors", str(work / "base.f32"), "--dim", str(DIM), "--chunks", str(args.vectors)]
    fill = subprocess.run(command + (["--database-url", url] if url else []), check=True, capture_output=True,
                          text=True).stdout
    log(f"filled in {json.loads(fill)['seconds']:.0f} s")
    server, url = serve(args, home, url)
    try:
        for question in QUESTIONS[:4]:
            post(url + "/hearth/search", {"query": question, "collection": "bench", "k": 5})
        search, embed = [], []
        for round in range(args.rounds):
            for question in QUESTIONS:
                start = time.perf_counter()
                hits = post(url + "/hearth/search", {"query": question, "collection": "bench", "k": 5})["hits"]
                search.append((time.perf_counter() - start) * 1000)
                assert len(hits) == 5
                start = time.perf_counter()
                post(url + "/v1/embeddings", {"input": question})
                embed.append((time.perf_counter() - start) * 1000)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return statistics.median(search), sorted(search)[int(len(search) * 0.95) - 1], statistics.median(embed)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hearth", default=".build/release/hearth")
    parser.add_argument("--bench", default=".build/release/hearth-bench")
    parser.add_argument("--vectors", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--clusters", type=int, default=1_000)
    parser.add_argument("--m", type=int, default=16)
    parser.add_argument("--ef-construction", type=int, default=200)
    parser.add_argument("--ef", default="16,32,64,128")
    parser.add_argument("--files", type=int, default=150, help="man pages to ingest")
    parser.add_argument("--rounds", type=int, default=10, help="rounds of the 16 hybrid queries")
    parser.add_argument("--quick", action="store_true", help="20,000 vectors, 40 man pages")
    parser.add_argument("--only", choices=["vectors", "ingest", "hybrid", "quality"])
    parser.add_argument("--postgres", action="store_true",
                        help="time the hybrid query on PostgreSQL too, and compare retrieval quality")
    parser.add_argument("--postgres-url", help="for --only quality: an existing empty database instead of a new cluster")
    args = parser.parse_args()
    if args.quick:
        args.vectors = 20_000
        args.files = 40
        args.rounds = 3
    with tempfile.TemporaryDirectory(prefix="hearth-bench-") as folder:
        work = Path(folder)
        if args.only in (None, "vectors"):
            bench_vectors(args, work)
        if args.only in (None, "ingest"):
            bench_ingest(args, work)
        if args.only in (None, "hybrid"):
            bench_hybrid(args, work)
        if args.only == "quality" or (args.only is None and args.postgres):
            bench_quality(args, work)


if __name__ == "__main__":
    main()
