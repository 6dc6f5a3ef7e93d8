"""EASE's regularised Gram inverse with fewer users than items: the item-side Cholesky inverse (the baseline) against
the Woodbury identity over users (``longtail.recommend.models.ease._regularised_gram_inverse``), same matrix, same run.

    .venv/bin/python bench/ease_inverse.py [--users 593] [--items 14000] [--density 0.012]

The default shape is Instacart's sample under the next-basket protocol (593 users, about 14,000 items in training,
about 100,000 interactions). Prints both times, their ratio and the largest difference between the two inverses.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp

from longtail.recommend.models.ease import _regularised_gram_inverse, _spd_inverse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=593)
    parser.add_argument("--items", type=int, default=14_000)
    parser.add_argument("--density", type=float, default=0.012)
    parser.add_argument("--l2", type=float, default=200.0)
    args = parser.parse_args()
    X = sp.random(args.users, args.items, density=args.density, format="csr", random_state=0, dtype=np.float64)
    X.data[:] = 1.0

    started = time.perf_counter()
    gram = (X.T @ X).toarray()
    gram[np.diag_indices(args.items)] += args.l2
    item_side = _spd_inverse(gram)
    item_seconds = time.perf_counter() - started

    started = time.perf_counter()
    woodbury = _regularised_gram_inverse(X, args.l2)
    woodbury_seconds = time.perf_counter() - started

    print(f"{args.users:,} users x {args.items:,} items, {X.nnz:,} interactions, l2 {args.l2:g}")
    print(f"item-side Cholesky inverse: {item_seconds:.2f} s")
    print(f"Woodbury over users:        {woodbury_seconds:.2f} s")
    print(f"ratio (baseline / ours): {item_seconds / woodbury_seconds:.1f}x")
    print(f"largest difference: {np.abs(item_side - woodbury).max():.2e} (largest entry {np.abs(item_side).max():.2e})")


if __name__ == "__main__":
    main()
