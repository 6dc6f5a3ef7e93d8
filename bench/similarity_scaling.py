"""Item-to-item top-k similarity at scale: exact torch search vs FAISS, wall time and peak memory per catalogue size.

    .venv/bin/python bench/similarity_scaling.py [--sizes 10000,100000,1000000] [--k 50] [--max-queries 20000]
        [--device cpu|cuda] [--faiss-index ivf|hnsw] [--nprobe 32] [--json results.json]

On a machine without the package installed (a GPU box with torch, numpy, scipy and pandas), run it from the
repository root with ``PYTHONPATH=.``; FAISS rows are skipped with a note when faiss is not installed.

Data: synthetic L2-normalised float32 vectors (``--dim`` 384, like MiniLM sentence embeddings), a seeded
Gaussian mixture in a 32-dimensional latent space (one cluster per 1000 items) projected to ``--dim`` dims plus
isotropic noise, so that neighbours are mostly, not only, in the same cluster. The clusters are better separated
than those of real text embeddings, so FAISS recall here is optimistic: check it on real embeddings.

Each (N, method) runs in its own subprocess that generates the vectors, then measures. Memory is that process's
peak resident set (``ru_maxrss``): "peak" is the whole process (interpreter, libraries, the N x dim vectors),
"working" is peak minus the resident set just before the search, i.e. what the search itself added (tiles,
the FAISS index with its copy of the vectors, the N x k results, which are always allocated in full). On CUDA
the GPU's peak allocation is reported too.

With ``--max-queries Q`` and N > Q, only the first Q items (a random sample: items are generated in random
order) are searched against the full base and the search time is extrapolated linearly to all N queries,
marked "extrapolated from Q queries"; an index build is always measured in full. Exact search at N = 1M costs
6 to 12 hours on a shared 2-core CPU; on a GPU (``--device cuda``) it needs no extrapolation. Recall@k of FAISS is
measured against the exact neighbours of the first min(Q, 10000) queries.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from longtail.recommend.neighbours import build_faiss_index, exact_top_k, faiss_top_k, recall_against

LATENT_DIM = 32
ITEMS_PER_CLUSTER = 1000
# Each projected coordinate has a standard deviation of sqrt(5) (centres 2, spread 1): noise at 1 blurs it.
NOISE_STD = np.float32(1.0)
RECALL_QUERIES = 10_000
GENERATE_CHUNK = 65_536
MB = 2**20


def synthetic_vectors(n: int, dim: int, seed: int) -> np.ndarray:
    """``(n, dim)`` float32 unit vectors, generated in chunks so that no float64 or full-size temporary exists."""
    rng = np.random.default_rng(seed)
    n_clusters = max(1, n // ITEMS_PER_CLUSTER)
    centres = 2.0 * rng.standard_normal((n_clusters, LATENT_DIM), dtype=np.float32)
    projection = rng.standard_normal((LATENT_DIM, dim), dtype=np.float32) / np.float32(np.sqrt(LATENT_DIM))
    vectors = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, GENERATE_CHUNK):
        size = min(GENERATE_CHUNK, n - start)
        latent = centres[rng.integers(n_clusters, size=size)] + rng.standard_normal((size, LATENT_DIM), np.float32)
        block = latent @ projection + NOISE_STD * rng.standard_normal((size, dim), dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        vectors[start : start + size] = block
    return vectors


def current_rss() -> int:
    """Resident set size of this process in bytes (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss() -> int:
    """Peak resident set size of this process in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure(spec: dict) -> dict:
    """One (N, method) measurement; runs in a fresh process so that its peak memory is its own."""
    n, k, method, device = spec["n"], spec["k"], spec["method"], spec["device"]
    vectors = synthetic_vectors(n, spec["dim"], spec["seed"])
    queries = min(n, spec["max_queries"] or n)
    rows = None if queries == n else np.arange(queries)
    # Warm-up on a few items: imports torch or faiss and starts CUDA outside the timed and measured part.
    warm_up = vectors[: min(n, 1000)]
    if method == "exact":
        exact_top_k(warm_up, 5, device=device)
    else:
        faiss_top_k(warm_up, 5, index="flat")
    on_cuda = method == "exact" and device.startswith("cuda")
    if on_cuda:
        import torch

        torch.cuda.reset_peak_memory_stats()
    rss_before = current_rss()
    all_indices = np.full((n, k), -1, dtype=np.int64)  # np.full writes every page: the results are resident
    all_scores = np.full((n, k), 0.0, dtype=np.float32)
    build_seconds = 0.0
    started = time.perf_counter()
    if method == "exact":
        indices, scores = exact_top_k(
            vectors, k, rows=rows, device=device, block_size=spec["block_size"], base_block_size=spec["base_block"]
        )
    else:
        index = build_faiss_index(vectors, index=spec["faiss_index"])
        build_seconds = time.perf_counter() - started
        indices, scores = faiss_top_k(vectors, k, index=index, rows=rows, nprobe=spec["nprobe"])
    search_seconds = time.perf_counter() - started - build_seconds
    all_indices[:queries], all_scores[:queries] = indices, scores
    peak = peak_rss()
    result = {
        "n": n,
        "method": method if method == "exact" else f"faiss-{spec['faiss_index']}",
        "device": device if method == "exact" else "cpu",
        "queries": queries,
        "build_s": build_seconds,
        "search_s": search_seconds,
        "seconds": build_seconds + search_seconds * n / queries,
        "extrapolated": queries < n,
        "peak_mb": peak / MB,
        "working_mb": (peak - rss_before) / MB,
        "vectors_mb": vectors.nbytes / MB,
        "gpu_peak_mb": torch.cuda.max_memory_allocated() / MB if on_cuda else None,
        "recall": None,
    }
    recall_rows = min(queries, RECALL_QUERIES)
    if method == "exact":
        np.save(spec["exact_path"], indices[:recall_rows])
    elif os.path.exists(spec["exact_path"]):
        result["recall"] = recall_against(np.load(spec["exact_path"]), indices[:recall_rows])
    return result


def run_worker(spec: dict) -> dict:
    """``measure(spec)`` in a subprocess; its result is the last line of its stdout."""
    done = subprocess.run(
        [sys.executable, __file__, "--worker", json.dumps(spec)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"measurement {spec['method']} at N={spec['n']} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def print_table(results: list[dict], k: int) -> None:
    header = (
        f"{'N':>9} {'method':<11} {'device':<6} {'seconds':>10} {'build s':>8} {'peak MB':>9} {'working MB':>11} "
        f"{'MB/1k items':>12} {'recall@' + str(k):>10} {'exact/faiss':>12}  timing"
    )
    print(header)
    exact_seconds = {r["n"]: r["seconds"] for r in results if r["method"] == "exact"}
    for r in results:
        recall = f"{r['recall']:.4f}" if r["recall"] is not None else "-"
        speedup = "-" if r["method"] == "exact" or r["n"] not in exact_seconds else exact_seconds[r["n"]] / r["seconds"]
        speedup = speedup if isinstance(speedup, str) else f"{speedup:.1f}x"
        timing = f"extrapolated from {r['queries']:,} queries" if r["extrapolated"] else "measured"
        print(
            f"{r['n']:>9,} {r['method']:<11} {r['device']:<6} {r['seconds']:>10.1f} {r['build_s']:>8.1f} "
            f"{r['peak_mb']:>9.0f} {r['working_mb']:>11.0f} {1000 * r['peak_mb'] / r['n']:>12.2f} {recall:>10} "
            f"{speedup:>12}  {timing}"
        )
        if r["gpu_peak_mb"] is not None:
            print(f"{'':>9} {'':<11} GPU peak allocation {r['gpu_peak_mb']:.0f} MB")


def print_memory_per_item(results: list[dict]) -> None:
    """Memory per item at each N, and the marginal cost of one more item between consecutive sizes: a constant
    marginal cost means memory grows linearly with N (the fixed part is the interpreter, libraries and tiles)."""
    print("\nmemory per item (bytes; the vectors alone take 4 x dim bytes per item)")
    for method in dict.fromkeys(r["method"] for r in results):
        rows = [r for r in results if r["method"] == method]
        cells = [
            f"N={r['n']:,}: peak {r['peak_mb'] * MB / r['n']:,.0f}, working {r['working_mb'] * MB / r['n']:,.0f}"
            for r in rows
        ]
        print(f"  {method:<11} " + "; ".join(cells))
        for small, large in zip(rows, rows[1:]):
            extra = (large["peak_mb"] - small["peak_mb"]) * MB / (large["n"] - small["n"])
            print(f"  {'':<11} marginal from N={small['n']:,} to N={large['n']:,}: {extra:,.0f} bytes per item")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated catalogue sizes N")
    parser.add_argument("--k", type=int, default=50)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--max-queries", type=int, default=0, help="search at most this many queries (0: all)")
    parser.add_argument("--device", default="cpu", help="torch device of the exact search: cpu or cuda")
    parser.add_argument("--block-size", type=int, default=4096, help="exact search: queries per tile")
    parser.add_argument("--base-block", type=int, default=32_768, help="exact search: base rows per tile")
    parser.add_argument("--faiss-index", choices=("ivf", "hnsw"), default="ivf")
    parser.add_argument("--nprobe", type=int, default=32, help="IVF cells scanned per query")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(json.loads(args.worker))))
        return 0

    sizes = [int(size) for size in args.sizes.split(",")]
    methods = ["exact"]
    if importlib.util.find_spec("faiss") is None:
        print("faiss is not installed: FAISS rows skipped")
    else:
        methods.append("faiss")
    print(
        f"k={args.k}, dim={args.dim}, device={args.device}, max queries={args.max_queries or 'all'}, "
        f"{os.cpu_count()} CPUs, FAISS index {args.faiss_index} (nprobe {args.nprobe})"
    )
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        for n in sizes:
            for method in methods:
                spec = {
                    "n": n,
                    "k": args.k,
                    "dim": args.dim,
                    "method": method,
                    "device": args.device,
                    "max_queries": args.max_queries,
                    "block_size": args.block_size,
                    "base_block": args.base_block,
                    "faiss_index": args.faiss_index,
                    "nprobe": args.nprobe,
                    "seed": args.seed,
                    "exact_path": str(Path(scratch) / f"exact_{n}.npy"),
                }
                results.append(run_worker(spec))
                print(f"  done: N={n:,} {results[-1]['method']} in {results[-1]['seconds']:.1f} s", flush=True)
    print()
    print_table(results, args.k)
    print_memory_per_item(results)
    if args.json:
        args.json.write_text(json.dumps({"args": {**vars(args), "json": str(args.json)}, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
