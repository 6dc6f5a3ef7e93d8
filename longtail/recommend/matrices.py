"""The users x items matrices every recommender shares: input validation, item popularity, the head/tail split
and the top-k of score rows. The lowest layer of ``longtail.recommend``: it imports no other part of it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from longtail.privacy.dp import PrivacySettings, private_totals


def check_interactions(X) -> sp.csr_matrix:
    """Validate an implicit-feedback matrix and return it binarised.

    ``X`` must be a ``scipy.sparse`` matrix or array of shape ``(n_users, n_items)`` with at least one user and
    one item, holding finite, non-negative values (counts or 1s). Returns a new ``float32`` ``csr_matrix`` with
    a 1 wherever ``X > 0`` (explicit zeros are dropped, duplicates summed first).
    """
    if not sp.issparse(X):
        raise TypeError(f"X must be a scipy.sparse matrix of shape (n_users, n_items), got {type(X).__name__}")
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_users, n_items), got shape {X.shape}")
    n_users, n_items = X.shape
    if n_users < 1 or n_items < 1:
        raise ValueError(f"X must have at least one user and one item, got shape {X.shape}")
    X = sp.csr_matrix(X, copy=True)
    X.sum_duplicates()
    if not np.all(np.isfinite(X.data)):
        raise ValueError("X contains NaN or infinite values")
    if np.any(X.data < 0):
        raise ValueError("X contains negative values; implicit feedback must be counts or 1s")
    X.eliminate_zeros()
    X.data = np.ones_like(X.data, dtype=np.float32)
    return X.astype(np.float32)


def item_popularity(train: sp.spmatrix) -> np.ndarray:
    """(n_items,) float64: how many users interacted with each item of the users x items ``train``, however often
    (its non-zero entries per column): popularity as every model fits it (binarised) and as the lists' "bought by N
    customers" states it. Counted in events, one wholesaler's or grocer's repeat orders made an item popular."""
    counted = sp.csc_matrix(train, copy=True)
    counted.sum_duplicates()
    counted.eliminate_zeros()
    return np.diff(counted.indptr).astype(np.float64)


def private_item_popularity(
    X: sp.spmatrix, privacy: PrivacySettings, *, resolution: int = 1, seed: int = 0
) -> np.ndarray:
    """(n_items,) float64: user-level differentially private column sums of the users x items ``X`` (one row per
    user, weights in [0, 1]: 1s, or recency weights), by ``longtail.privacy.dp.private_totals``: each user keeps at
    most ``privacy.max_keys_per_user`` items (a sample drawn with ``seed``), weights are rounded to multiples of
    ``1 / resolution`` (integer noise works on integer counts), and the noise is OpenDP's (not seeded)."""
    X = sp.coo_matrix(X)
    pairs = pd.DataFrame({"user_id": X.row, "item_id": X.col, "weight": X.data * resolution})
    items = pd.RangeIndex(X.shape[1], name="item_id")
    totals = private_totals(pairs, items, privacy, weight_column="weight", max_weight=resolution, seed=seed)
    return totals / resolution


def head_mask(popularity: np.ndarray, head_share: float) -> np.ndarray:
    """(n_items,) bool: the smallest set of most popular items that together hold ``head_share`` of interactions.

    Items are ranked by popularity, descending; ties are broken by item index (lower index first), so the head is
    a deterministic prefix of that order and two equally popular items can fall on different sides of the
    boundary. Items with zero popularity are never in the head.
    """
    popularity = np.asarray(popularity, dtype=np.float64)
    if popularity.ndim != 1 or (popularity < 0).any():
        raise ValueError("popularity must be a 1-D array of non-negative counts")
    if not 0.0 < head_share <= 1.0:
        raise ValueError(f"head_share must be in (0, 1], got {head_share}")
    order = np.argsort(-popularity, kind="stable")
    cumulative = np.cumsum(popularity[order])
    total = cumulative[-1] if len(cumulative) else 0.0
    head = np.zeros(len(popularity), dtype=bool)
    if total == 0:
        return head
    # Relative tolerance so that e.g. 0.7 * 10 == 7.000000000000001 still counts as reached by a sum of 7.
    n_head = int(np.searchsorted(cumulative, head_share * total * (1 - 1e-12), side="left")) + 1
    head[order[:n_head]] = True
    return head


def tail_items(train: sp.spmatrix | np.ndarray, head_share: float = 0.8) -> np.ndarray:
    """(n_items,) bool, True for tail items: everything outside the head that makes ``head_share`` of training
    interactions (see ``head_mask`` for tie handling).

    ``train`` is the users x items training matrix (its ``item_popularity``: buyers, not events), or directly a 1-D
    (n_items,) popularity vector.
    """
    popularity = item_popularity(train) if sp.issparse(train) else np.asarray(train, dtype=np.float64)
    return ~head_mask(popularity, head_share)


def top_k_indices(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``min(k, n_items)`` best finite scores per row, best first, ties by the lower index; -inf
    scores become -1.

    So a list is the first ``k`` of its row sorted by score, then index. The k-th best score of each row comes
    from ``torch.topk``; the items above it and, in index order, as many of those tied with it as the row still
    needs make the list. numpy's ``argpartition`` took 2.4x to 3.4x the time on hybrid-like scores and left the
    ties at the k-th place to chance (``bench/tail_calibration.py``).
    """
    n_rows, n_items = scores.shape
    if k < n_items:
        import torch

        rows = torch.from_numpy(np.require(scores, requirements=["C", "W"]))  # a copy only where torch needs one
        kth = torch.topk(rows, k, dim=1, sorted=False).values.min(dim=1, keepdim=True).values.numpy()
        kept = scores >= kth
        # Mostly one item scores the k-th best; where more tie with it, the lowest-index ones fill the list.
        crowded = np.flatnonzero(kept.sum(axis=1) > k)
        if len(crowded):
            row_scores, row_kth = scores[crowded], kth[crowded]
            above, tied = row_scores > row_kth, row_scores == row_kth
            needed = k - above.sum(axis=1, keepdims=True)
            kept[crowded] = above | (tied & (np.cumsum(tied, axis=1, dtype=np.int32) <= needed))
        top = np.nonzero(kept)[1].reshape(n_rows, k)
    else:
        top = np.broadcast_to(np.arange(n_items), scores.shape)
    return best_first(scores, top)


def best_first(scores: np.ndarray, top: np.ndarray) -> np.ndarray:
    """The item indices ``top`` (n_rows, width) of each row of ``scores``, sorted by score, then index; items
    scored -inf become -1."""
    top_scores = np.take_along_axis(scores, top, axis=1)
    order = np.lexsort((top, -top_scores), axis=1)
    top = np.take_along_axis(top, order, axis=1)
    top[np.take_along_axis(top_scores, order, axis=1) == -np.inf] = -1
    return top
