"""Sentence-embedding throughput: our ``encode_texts`` path against the bare sentence-transformers loop, same run.

    LONGTAIL_DATA_DIR=../shared/data .venv/bin/python bench/embedding_throughput.py [--n 2000] [--device auto]
    PYTHONPATH=. python bench/embedding_throughput.py --texts-file texts.txt --model /path/to/model --json out.json

Texts: one per line from ``--texts-file``; else item texts (``longtail.recommend.text.build_item_text``) of the cleaned
Magazine metadata or Instacart products (``--dataset``) under ``$LONGTAIL_DATA_DIR``; else synthetic product texts.
``--save-texts`` writes the texts used, to carry them to a machine without the data (or Dagster and DuckDB: this
script needs only pandas, numpy, torch and sentence-transformers unless it reads the data itself).

Baseline: ``SentenceTransformer(path, device=device).encode(texts, batch_size=...)`` with float32 weights (a
float16 checkpoint is upcast) and ``--batch-size`` (64, the pipeline's batch size before ``encode_texts`` made its
own batches). Ours: ``load_encoder`` + ``encode_texts`` with its defaults (each distinct text once, batches sorted
by token count within a token budget, bfloat16 matrix products on a CPU that has them natively, float16 weights
on CUDA, a progress callback). On CUDA the bare loop is also timed on our float16 model ("bare fp16"), which
separates the gain of float16 from that of our batching. Model loading is not timed. Each is warmed up on
one batch, then timed twice, interleaved; the best time counts. Prints texts/s for each, the ratio ours/bare
(target >= 0.9) and the lowest cosine between the bare and our vector of one text.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from longtail.device import pick_device
from longtail.recommend.embedding import encode_texts, load_encoder, resolve_model
from longtail.recommend.text import build_item_text

DATASET_FILES = {
    "magazine": "amazon2018_magazine/meta_Magazine_Subscriptions.json.gz",
    "instacart": "instacart_sample/products.csv",
}


def real_items(data_dir: Path, dataset: str) -> pd.DataFrame:
    """Cleaned items of one shared dataset, read and cleaned as the pipeline does."""
    from longtail.data.adapters import read_file
    from longtail.data.cleaning import clean_items

    path = data_dir / DATASET_FILES[dataset]
    raw = read_file(path).items.assign(dataset=dataset, file_id="bench", source_file=path.name)
    raw["loaded_at"] = pd.Timestamp.now(tz="UTC")
    return clean_items(raw).cleaned


def synthetic_items(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` product-like items whose descriptions run from none to a few hundred words, as in real catalogues."""
    rng = np.random.default_rng(seed)
    adjectives = "organic classic compact wireless stainless vintage premium lightweight handmade waterproof".split()
    nouns = "coffee mug headphones backpack tea kettle notebook lamp blender sneakers magazine cookbook".split()
    brands = ["Acme", "Northwind", "Contoso", "Globex", "Initech", None]
    categories = ["Home > Kitchen", "Electronics > Audio", "Books > Cooking", "Sports > Running", "Grocery > Tea"]
    words = np.array((" ".join(adjectives + nouns) + " with for and the of a in made from quality gift").split())
    rows = []
    for i in range(n):
        words_in_description = int(rng.choice([0, 10, 40, 150, 400], p=[0.2, 0.3, 0.3, 0.15, 0.05]))
        rows.append(
            {
                "item_id": f"S{i:07d}",
                "title": f"{rng.choice(adjectives)} {rng.choice(adjectives)} {rng.choice(nouns)}".title(),
                "description": " ".join(rng.choice(words, words_in_description)) or None,
                "category": rng.choice(categories),
                "brand": brands[rng.integers(len(brands))],
            }
        )
    return pd.DataFrame(rows)


def load_texts(args: argparse.Namespace) -> tuple[list[str], str]:
    if args.texts_file:
        lines = Path(args.texts_file).read_text(encoding="utf-8").splitlines()
        return [line for line in lines if line.strip()][: args.n], f"file {args.texts_file}"
    data_dir = os.environ.get("LONGTAIL_DATA_DIR")
    if data_dir:
        texts = build_item_text(real_items(Path(data_dir), args.dataset))["text"].tolist()
        return texts[: args.n], f"{args.dataset} items"
    return build_item_text(synthetic_items(args.n))["text"].tolist(), "synthetic items"


def timed(encode, texts: list[str]) -> tuple[float, np.ndarray]:
    started = time.perf_counter()
    vectors = encode(texts)
    return time.perf_counter() - started, vectors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, help="number of texts (default: 2000 on CUDA, 256 on CPU)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--model", default="default", help="'default', a local model folder or a Hub id")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--dataset", choices=sorted(DATASET_FILES), default="magazine")
    parser.add_argument("--texts-file", help="a UTF-8 file with one text per line")
    parser.add_argument("--save-texts", help="write the texts used here, one per line")
    parser.add_argument("--json", help="write the figures here as JSON")
    args = parser.parse_args()
    device = pick_device(args.device)
    # A 2-core CPU embeds ~10 long texts/s, so the CPU default keeps a run to a few minutes.
    args.n = args.n or (2000 if device.startswith("cuda") else 256)
    texts, source = load_texts(args)
    if args.save_texts:
        Path(args.save_texts).write_text("".join(text + "\n" for text in texts), encoding="utf-8")
    lengths = np.array([len(text) for text in texts])
    print(f"{len(texts)} texts ({source}), {lengths.mean():.0f} characters on average, max {lengths.max()}")

    from sentence_transformers import SentenceTransformer

    path = resolve_model(args.model)
    bare_model = SentenceTransformer(path, device=device).float()
    our_model = load_encoder(args.model, device)
    print(f"model {path} on {device}, batch size {args.batch_size}")

    batch_size = args.batch_size
    runs = {
        "bare": lambda batch: bare_model.encode(batch, batch_size=batch_size, show_progress_bar=False),
        "ours": lambda batch: encode_texts(our_model, batch, progress=lambda done, n: None),
    }
    if device.startswith("cuda"):
        runs["bare fp16"] = lambda batch: our_model.encode(batch, batch_size=batch_size, show_progress_bar=False)
    # Warm-up: the first batches pay for allocations and kernel selection.
    for encode in runs.values():
        encode(texts[:batch_size])
    times: dict[str, list[float]] = {name: [] for name in runs}
    vectors = {}
    # Interleaved, so that a change in machine load hits all alike.
    for _ in range(2):
        for name, encode in runs.items():
            seconds, vectors[name] = timed(encode, texts)
            times[name].append(seconds)
    rates = {name: len(texts) / min(seconds) for name, seconds in times.items()}
    bare_vectors = vectors["bare"] / np.linalg.norm(vectors["bare"], axis=1, keepdims=True)
    min_cosine = float(np.min(np.sum(bare_vectors * vectors["ours"], axis=1)))
    for name, rate in rates.items():
        print(f"{name:9}: {rate:8.1f} texts/s  (runs: {', '.join(f'{t:.2f}' for t in times[name])} s)")
    ratio = rates["ours"] / rates["bare"]
    print(f"ratio ours/bare: {ratio:.2f} (target >= 0.9); lowest cosine ours vs bare: {min_cosine:.5f}")
    if args.json:
        summary = {
            "texts": len(texts),
            "source": source,
            "mean_chars": float(lengths.mean()),
            "model": path,
            "device": device,
            "batch_size": args.batch_size,
            "texts_per_s": rates,
            "seconds": times,
            "ratio_ours_over_bare": ratio,
            "min_cosine_ours_vs_bare": min_cosine,
        }
        Path(args.json).write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
