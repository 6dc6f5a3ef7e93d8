"""Would int8 weights make item embeddings cheap enough to matter? ``encode_texts`` as the pipeline runs it (float32
weights, bfloat16 products where the CPU has them) against the same model with its linear layers quantised to int8
(``torch.ao.quantization.quantize_dynamic``), on the same texts in the same run: the time ratio and how far the
vectors move (cosine to the pipeline's vector, and the overlap of each item's 10 nearest neighbours).

    .venv/bin/python bench/int8_encoding.py --home "$LONGTAIL_HOME" [--dataset instacart_sample] [--items 8000]

The texts are ``item_text`` of a finished demo's warehouse, the first ``--items`` by item id. A study, not a
setting: the pipeline does not quantise. 2026-12-03, 8,000 Instacart texts: 7.8 s as the pipeline encodes, 8.7 s
with int8 weights (1.11x the time: this CPU's bfloat16 products are already faster than its int8 ones), and the
int8 vectors moved (mean cosine 0.944 to the pipeline's, 1st percentile 0.916; 10-nearest-neighbour overlap 0.764).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from longtail.data.warehouse import connect, read_table  # noqa: E402
from longtail.recommend import embedding  # noqa: E402
from longtail.recommend.embedding import encode_texts, load_encoder  # noqa: E402


def neighbour_overlap(reference: np.ndarray, other: np.ndarray, k: int = 10) -> float:
    """Mean share of each row's ``k`` nearest rows (cosine, unit rows) under ``reference`` also found under
    ``other``."""

    def nearest(vectors: np.ndarray) -> np.ndarray:
        similarity = vectors @ vectors.T
        np.fill_diagonal(similarity, -np.inf)
        return np.argpartition(-similarity, k, axis=1)[:, :k]

    ours, theirs = nearest(reference), nearest(other)
    return float(np.mean([len(set(a) & set(b)) / k for a, b in zip(ours, theirs)]))


def main() -> int:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="LONGTAIL_HOME of a finished demo")
    parser.add_argument("--dataset", default="instacart_sample")
    parser.add_argument("--items", type=int, default=8000)
    args = parser.parse_args()
    with connect(str(args.home / "warehouse.duckdb"), read_only=True) as connection:
        texts = read_table(connection, "item_text", "dataset = ?", [args.dataset]).sort_values("item_id")
    texts = texts["text"].head(args.items).tolist()
    print(f"{len(texts):,} texts of {args.dataset}, {np.mean([len(t) for t in texts]):.0f} characters on average")
    model = load_encoder()
    encode_texts(model, texts[:256])  # warm-up: the first batches pay for lazy initialisation
    started = time.perf_counter()
    reference = encode_texts(model, texts)
    pipeline_seconds = time.perf_counter() - started
    quantised = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    # encode_texts would autocast to bfloat16 around int8 kernels that take float32; the int8 model runs without it.
    embedding._native_bfloat16 = lambda: False
    encode_texts(quantised, texts[:256])
    started = time.perf_counter()
    int8 = encode_texts(quantised, texts)
    int8_seconds = time.perf_counter() - started
    cosine = np.sum(reference * int8, axis=1)
    print(f"pipeline encoding: {pipeline_seconds:.1f} s; int8 weights: {int8_seconds:.1f} s")
    print(f"ratio int8 / pipeline: {int8_seconds / pipeline_seconds:.2f}x the time")
    print(f"cosine to the pipeline's vectors: mean {cosine.mean():.4f}, 1st percentile {np.percentile(cosine, 1):.4f}")
    print(f"10-nearest-neighbour overlap with the pipeline's: {neighbour_overlap(reference, int8):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
