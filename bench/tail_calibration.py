"""The top k of a batch of scores (``top_k_indices``) and the hybrid's tail calibration (``calibrate_tail_share``),
as they were and as they are, same run.

    .venv/bin/python bench/tail_calibration.py [--users 1024] [--items 13880] [--tail-share 0.63] [--k 20,100]
        [--weight 0.5] [--repeats 3]

Data: one batch of ``--users`` rows of float32 scores shaped like ``LongTailHybrid``'s relevance: each user's
linked items (2%) score in (1, 2]; the rest take one shared new-user score vector in [0, 1], drawn from a
power law and rounded, so that rows hold many ties, as cold scores of equally bought items do; 1% of the items
are seen (``-inf``). ``--tail-share`` of the items, at random, are tail. The default shape is Instacart's training
catalogue under the next-basket protocol and the hybrid's batch size.

Baselines, as they were before 2026-12-07: the top k from numpy's ``argpartition``; the calibration with the scores
copied to float64, then each group (head, tail) ranked over every item, the other group masked to ``-inf``. Ours:
the k-th best score from ``torch.topk``, then the items above it and the lowest-index ties; the calibration ranks
the scores in their own dtype, each group over its own columns. Prints the seconds of each (the fastest of
``--repeats``), the ratio ours/baseline, whether the lists are identical, and whether ours are the first k of each
row sorted by score, then index (checked on the first 64 rows).
"""

from __future__ import annotations

import argparse
import time
from unittest import mock

import numpy as np

from longtail.recommend import matrices, reranking


def baseline_top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """``top_k_indices`` as it was: ``argpartition`` chose among the scores tied at the k-th place."""
    n_items = scores.shape[1]
    if k < n_items:
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    else:
        top = np.broadcast_to(np.arange(n_items), scores.shape)
    return matrices.best_first(scores, top)


def baseline_ranked(relevance: np.ndarray, allowed: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``_ranked`` as it was: the other group masked to -inf, then a top-k over every item."""
    masked = np.where(allowed[None, :], relevance, -np.inf)
    items = baseline_top_k(masked, k)
    scores = np.where(items >= 0, np.take_along_axis(masked, np.maximum(items, 0), axis=1), -np.inf)
    sentinel = np.full((len(items), 1), -np.inf)
    return np.hstack([items, np.full((len(items), 1), -1)]), np.hstack([scores, sentinel])


def baseline_calibration(relevance, tail, appetite, k, weight) -> np.ndarray:
    with (
        mock.patch.object(reranking, "_ranked", baseline_ranked),
        mock.patch.object(reranking, "top_k_indices", baseline_top_k),
    ):
        return reranking.calibrate_tail_share(relevance.astype(np.float64), tail, appetite, k, weight)


def by_score_then_index(scores: np.ndarray, k: int) -> np.ndarray:
    """The first ``k`` of each row sorted by score, then index; -inf as -1 (the definition, by a full sort)."""
    order = np.lexsort((np.broadcast_to(np.arange(scores.shape[1]), scores.shape), -scores), axis=1)[:, :k]
    return np.where(np.take_along_axis(scores, order, axis=1) == -np.inf, -1, order)


def hybrid_like_scores(n_users: int, n_items: int, rng: np.random.Generator) -> np.ndarray:
    cold = np.round(rng.pareto(1.5, n_items) / 20, 3).clip(0, 1)
    scores = np.repeat(cold[None, :].astype(np.float32), n_users, axis=0)
    linked = rng.random((n_users, n_items)) < 0.02
    scores[linked] = 1 + rng.random(linked.sum(), dtype=np.float32)
    scores[rng.random((n_users, n_items)) < 0.01] = -np.inf
    return scores


def best_time(function, repeats: int) -> tuple[float, np.ndarray]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        out = function()
        times.append(time.perf_counter() - started)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1024)
    parser.add_argument("--items", type=int, default=13_880)
    parser.add_argument("--tail-share", type=float, default=0.63)
    parser.add_argument("--k", default="20,100", help="list lengths, comma separated")
    parser.add_argument("--weight", type=float, default=0.5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    relevance = hybrid_like_scores(args.users, args.items, rng)
    tail = rng.random(args.items) < args.tail_share
    appetite = rng.random(args.users)
    print(f"{args.users:,} users x {args.items:,} items, {tail.mean():.0%} tail, weight {args.weight}")
    for k in (int(value) for value in args.k.split(",")):
        for name, base, ours in (
            ("top k", lambda: baseline_top_k(relevance, k), lambda: matrices.top_k_indices(relevance, k)),
            (
                "calibration",
                lambda: baseline_calibration(relevance, tail, appetite, k, args.weight),
                lambda: reranking.calibrate_tail_share(relevance, tail, appetite, k, args.weight),
            ),
        ):
            base_s, base_lists = best_time(base, args.repeats)
            ours_s, lists = best_time(ours, args.repeats)
            print(
                f"k {k}, {name}: baseline {base_s:.3f} s, ours {ours_s:.3f} s, ratio {ours_s / base_s:.2f}x; "
                f"identical lists: {np.array_equal(lists, base_lists)}"
            )
        defined = np.array_equal(matrices.top_k_indices(relevance[:64], k), by_score_then_index(relevance[:64], k))
        print(f"k {k}: top k by score, then index: {defined}")


if __name__ == "__main__":
    main()
