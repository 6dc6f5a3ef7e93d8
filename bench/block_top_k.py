"""Each item's top k in one block of item-item scores, four ways on the same blocks: the partition-then-cumsum
baseline, ``_keep_block_top_k`` (a partition of the dense rows, entries <= 0 shifted apart), the sort of the block's
stored entries alone (``_keep_top_k`` made to take it at any density), and ``_keep_top_k`` as ItemKNN and RP3beta
call it (that sort where the stored entries are fewer than one in ``SPARSE_SELECTION_COST``, else the dense path).

    .venv/bin/python bench/block_top_k.py [--users 593] [--items 14000] [--interactions 100000] [--exponent 1.0]
        [--k 50,200] [--blocks 4] [--block-size 1024] [--repeats 3]

Data: a random users x items matrix whose item popularity follows a power law (the i-th most popular item is
drawn with probability proportional to ``i ** -exponent``; items are shuffled so that popularity does not follow
the item index), every item bought at least once, so that a block has one column per item; repeats count once. The
default shape is close to Instacart's sample under the next-basket protocol. The blocks are captured from
``collaborative_top_k`` (cosine over co-occurrence counts) and ``rp3beta_top_k`` (defaults alpha 1, beta 0.5) as
they call ``_keep_top_k``: the first ``--blocks`` blocks of ``--block-size`` items each.

For each model and k, prints the seconds each implementation takes over those blocks (each block timed
``--repeats`` times on a fresh copy, the fastest kept) and the ratios to the baseline, after checking that all
four write identical indices and scores. Online Retail II's blocks are closer to ``--users 3731 --items 3867
--interactions 300000``.
"""

from __future__ import annotations

import argparse
import time
from unittest import mock

import numpy as np
import scipy.sparse as sp

from longtail.recommend.neighbours import collaborative


def baseline_keep_block_top_k(sims, start: int, active, k: int, indices, scores) -> None:
    """``_keep_block_top_k`` as it was: np.partition over whole rows of mostly zeros, then a cumsum over whole
    rows of the entries tied at the k-th best."""
    n_rows, n_columns = sims.shape
    rows = np.arange(n_rows)
    sims[rows, start + rows] = 0.0
    kth_best = np.partition(sims, n_columns - k, axis=1)[:, n_columns - k, None]
    above = sims > kth_best
    tied = sims == kth_best
    # The tied entries a row still needs, taken in column order; then every row holds exactly k entries.
    needed = k - above.sum(axis=1, keepdims=True)
    kept = above | (tied & (np.cumsum(tied, axis=1, dtype=np.int32) <= needed))
    top = np.nonzero(kept)[1].reshape(n_rows, k)
    top_scores = np.take_along_axis(sims, top, axis=1)
    order = np.lexsort((top, -top_scores), axis=1)
    top = np.take_along_axis(top, order, axis=1)
    top_scores = np.take_along_axis(top_scores, order, axis=1)
    positive = top_scores > 0
    indices[active[start : start + n_rows], :k] = np.where(positive, active[top], -1)
    scores[active[start : start + n_rows], :k] = np.where(positive, top_scores, 0.0)


def power_law_interactions(n_users: int, n_items: int, n_interactions: int, exponent: float) -> sp.csr_matrix:
    """``(n_users, n_items)`` counts (the models binarise them): each item once by a random user, the rest drawn by
    item popularity."""
    rng = np.random.default_rng(0)
    popularity = rng.permutation(np.arange(1, n_items + 1, dtype=np.float64) ** -exponent)
    n_drawn = max(0, n_interactions - n_items)
    users = np.concatenate([rng.integers(n_users, size=n_items), rng.integers(n_users, size=n_drawn)])
    items = np.concatenate([np.arange(n_items), rng.choice(n_items, size=n_drawn, p=popularity / popularity.sum())])
    return sp.csr_matrix((np.ones(users.size, dtype=np.float32), (users, items)), shape=(n_users, n_items))


def captured_blocks(top_k, X, n_blocks: int, block_size: int) -> list[tuple[sp.csr_matrix, int, np.ndarray]]:
    """The first ``n_blocks`` ``(block, start, active)`` that ``top_k`` passes to ``_keep_top_k``."""
    blocks = []

    def record(block, start, active, k, indices, scores):
        if len(blocks) < n_blocks:
            blocks.append((block.copy(), start, active))

    with mock.patch.object(collaborative, "_keep_top_k", record):
        top_k(X, 1, block_size=block_size)
    return blocks


def dense(keep_top_k):
    """``keep_top_k`` of a dense block, given the stored block."""

    def keep(block, start, active, k, indices, scores):
        keep_top_k(block.toarray(), start, active, k, indices, scores)

    return keep


def stored_entries(block, start, active, k, indices, scores):
    """``_keep_top_k`` by the sort of the stored entries, however many there are."""
    with mock.patch.object(collaborative, "SPARSE_SELECTION_COST", 0):
        collaborative._keep_top_k(block, start, active, k, indices, scores)


def fastest(keep_top_k, block, k: int, n_items: int, repeats: int) -> tuple[float, np.ndarray, np.ndarray]:
    """The fastest of ``repeats`` runs of ``keep_top_k`` on fresh copies of ``block``, and what it wrote (the
    conversion of the stored block to dense rows, where an implementation needs them, is timed too: ItemKNN and
    RP3beta pay it)."""
    block, start, active = block
    best = np.inf
    for _ in range(repeats):
        indices, scores = np.full((n_items, k), -1, dtype=np.int64), np.zeros((n_items, k), dtype=np.float32)
        scratch = block.copy()
        started = time.perf_counter()
        keep_top_k(scratch, start, active, k, indices, scores)
        best = min(best, time.perf_counter() - started)
    return best, indices, scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=593)
    parser.add_argument("--items", type=int, default=14_000)
    parser.add_argument("--interactions", type=int, default=100_000)
    parser.add_argument("--exponent", type=float, default=1.0)
    parser.add_argument("--k", default="50,200", help="comma-separated")
    parser.add_argument("--blocks", type=int, default=4)
    parser.add_argument("--block-size", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    X = power_law_interactions(args.users, args.items, args.interactions, args.exponent)
    print(f"{args.users:,} users x {args.items:,} items, {X.nnz:,} interactions, popularity rank ** -{args.exponent:g}")

    models = {"ItemKNN (cosine)": collaborative.collaborative_top_k, "RP3beta": collaborative.rp3beta_top_k}
    ways = {
        "baseline": dense(baseline_keep_block_top_k),
        "dense rows": dense(collaborative._keep_block_top_k),
        "stored entries": stored_entries,
        "_keep_top_k": collaborative._keep_top_k,
    }
    for model, top_k in models.items():
        blocks = captured_blocks(top_k, X, args.blocks, args.block_size)
        n_rows, n_columns = blocks[0][0].shape
        stored = np.mean([block.nnz / (n_rows * n_columns) for block, _, _ in blocks])
        print(f"{model}: {len(blocks)} blocks of {n_rows:,} x {n_columns:,}, {stored:.1%} of the entries stored")
        for k in (int(value) for value in args.k.split(",")):
            seconds = dict.fromkeys(ways, 0.0)
            for block in blocks:
                written = {}
                for name, keep in ways.items():
                    took, *written[name] = fastest(keep, block, k, args.items, args.repeats)
                    seconds[name] += took
                for name in ways:
                    for expected, found in zip(written["baseline"], written[name]):
                        np.testing.assert_array_equal(found, expected, err_msg=f"{model}, k={k}, {name}: differs")
            print(
                f"  k={k:>3}: "
                + ", ".join(f"{name} {took:.3f} s" for name, took in seconds.items())
                + "; / baseline: "
                + ", ".join(f"{name} {seconds[name] / seconds['baseline']:.2f}" for name in list(ways)[1:])
                + " (identical indices and scores)"
            )


if __name__ == "__main__":
    main()
