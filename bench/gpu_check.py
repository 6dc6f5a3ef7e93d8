"""The GPU paths checked on a GPU: embeddings and exact neighbour search on CUDA against the CPU, same run.

    # here, with the data (writes FOLDER: texts, a float16 copy of the packaged model, CPU reference vectors)
    LONGTAIL_DATA_DIR=../shared/data .venv/bin/python bench/gpu_check.py prepare --folder .gpu
    # on the GPU machine (needs numpy, pandas, scipy, torch and sentence-transformers; not DuckDB or Dagster)
    PYTHONPATH=. python3 bench/gpu_check.py run --folder .gpu --json out.json
    # and the throughput of encode_texts there
    PYTHONPATH=. python3 bench/embedding_throughput.py --texts-file .gpu/instacart.txt --n 49688 --model .gpu/model

``prepare`` writes the item texts of Instacart's products and the Magazine metadata (``build_item_text`` of the cleaned
items, one per line), the packaged all-MiniLM-L6-v2 with float16 weights (45 MB: a machine that receives at most 64
MiB gets it whole; ``load_encoder`` upcasts it on a CPU), and the CPU pipeline's vectors (``encode_texts`` on the CPU)
of the first ``REFERENCE_TEXTS`` of each.

``run``, on a machine with CUDA:
- **embeddings**: ``encode_texts(load_encoder(model, "auto"))`` (float16 on CUDA) against the CPU reference vectors
  of the same texts: the lowest and mean cosine, and how many of each text's 10 nearest texts (among the reference
  texts) agree;
- **neighbours**: ``exact_top_k`` of every Instacart item (k 50) on CUDA (float16, its default there) and on the
  machine's CPU (float32), both timed (the best of two, after a warm-up on CUDA) and compared: the share of the
  top 50 they agree on, the rows whose order is identical and the largest score difference.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
import types
from pathlib import Path

import numpy as np

DATASETS = ("instacart", "magazine")
REFERENCE_TEXTS = {"instacart": 2000, "magazine": 500}
K = 50


def prepare(folder: Path) -> None:
    from embedding_throughput import real_items
    from safetensors.torch import load_file, save_file

    from longtail.recommend.embedding import encode_texts, load_encoder, resolve_model
    from longtail.recommend.text import build_item_text

    source = Path(resolve_model("default"))
    model = folder / "model"
    shutil.rmtree(model, ignore_errors=True)
    shutil.copytree(source, model, ignore=shutil.ignore_patterns("model.safetensors", "README.md", "data_config.json"))
    weights = {name: tensor.half().contiguous() for name, tensor in load_file(source / "model.safetensors").items()}
    save_file(weights, model / "model.safetensors", metadata={"format": "pt"})
    data_dir = Path(os.environ["LONGTAIL_DATA_DIR"])
    for dataset in DATASETS:
        texts = [" ".join(text.split()) for text in build_item_text(real_items(data_dir, dataset))["text"]]
        (folder / f"{dataset}.txt").write_text("".join(text + "\n" for text in texts if text), encoding="utf-8")
    np.save(folder / "cpu_reference.npy", encode_texts(load_encoder(str(model), "cpu"), reference_texts(folder)))
    print(f"wrote {folder}: model, texts of {', '.join(DATASETS)}, CPU reference vectors")


def reference_texts(folder: Path) -> list[str]:
    return [text for dataset in DATASETS for text in texts_of(folder, dataset)[: REFERENCE_TEXTS[dataset]]]


def texts_of(folder: Path, dataset: str) -> list[str]:
    return (folder / f"{dataset}.txt").read_text(encoding="utf-8").splitlines()


def top_10(vectors: np.ndarray) -> np.ndarray:
    scores = vectors @ vectors.T
    np.fill_diagonal(scores, -2.0)
    return np.argsort(-scores, axis=1)[:, :10]


def run(folder: Path) -> dict:
    # The GPU machine has no DuckDB; the neighbours package imports the warehouse module, which these paths never
    # call, so an empty stand-in satisfies the import.
    sys.modules.setdefault("duckdb", types.ModuleType("duckdb"))
    import torch

    from longtail.recommend.embedding import encode_texts, load_encoder
    from longtail.recommend.neighbours.exact import exact_top_k

    if not torch.cuda.is_available():
        raise SystemExit("no CUDA device: run this on a GPU machine")
    encoder = load_encoder(str(folder / "model"), "auto")
    gpu = encode_texts(encoder, reference_texts(folder))
    cpu = np.load(folder / "cpu_reference.npy")
    cosine = np.sum(gpu * cpu, axis=1)
    agree = np.mean([len(np.intersect1d(a, b)) / 10 for a, b in zip(top_10(gpu), top_10(cpu))])
    embeddings = {
        "texts": len(gpu),
        "encoder_dtype": str(next(encoder.parameters()).dtype),
        "min_cosine_cuda_vs_cpu": float(cosine.min()),
        "mean_cosine_cuda_vs_cpu": float(cosine.mean()),
        "top10_agreement": float(agree),
    }
    vectors = encode_texts(encoder, texts_of(folder, "instacart"))
    exact_top_k(vectors[:4096], K, device="cuda")
    seconds, found = {}, {}
    for device in ("cuda", "cpu"):
        times = []
        for _ in range(2):
            started = time.perf_counter()
            found[device] = exact_top_k(vectors, K, device=device)
            times.append(time.perf_counter() - started)
        seconds[device] = min(times)
    (cuda_ids, cuda_scores), (cpu_ids, cpu_scores) = found["cuda"], found["cpu"]
    neighbours = {
        "items": len(vectors),
        "k": K,
        "cpu_threads": torch.get_num_threads(),
        "seconds": seconds,
        "ratio_cpu_over_cuda": seconds["cpu"] / seconds["cuda"],
        "top50_agreement": float(np.mean([len(np.intersect1d(a, b)) / K for a, b in zip(cuda_ids, cpu_ids)])),
        "rows_in_identical_order": float(np.mean(np.all(cuda_ids == cpu_ids, axis=1))),
        "max_abs_score_difference": float(np.max(np.abs(cuda_scores - cpu_scores))),
    }
    return {"device": torch.cuda.get_device_name(), "embeddings": embeddings, "neighbours": neighbours}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("prepare", "run"))
    parser.add_argument("--folder", type=Path, default=Path(".gpu"))
    parser.add_argument("--json", type=Path, help="run: write the figures here too")
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    if args.step == "prepare":
        prepare(args.folder)
        return 0
    figures = run(args.folder)
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
