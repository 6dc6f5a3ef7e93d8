"""Neighbour lists as sparse similarity matrices and as table rows, and the blend of two sources."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from longtail.validation import check_positive_int

SOURCES = ("content", "collaborative", "blended")


def neighbours_to_csr(indices: np.ndarray, scores: np.ndarray, n_items: int) -> sp.csr_matrix:
    """Neighbour lists as a sparse similarity matrix: ``S[i, indices[i, j]] = scores[i, j]``.

    ``indices`` (int, values in ``[-1, n_items)``) and ``scores`` have shape ``(n_items, k)``. Missing
    neighbours (-1) and non-positive scores are dropped: a recommender sums similarities over a user's items
    (``X @ S``), where a negative one would count against an item rather than for it. Returns a ``float32``
    ``csr_matrix`` of shape ``(n_items, n_items)`` with sorted indices; rows are not symmetric.
    """
    n_items = check_positive_int(n_items, "n_items")
    indices, scores = _check_neighbours(indices, scores, n_items)
    keep = (indices >= 0) & (scores > 0)
    indptr = np.concatenate([[0], np.cumsum(keep.sum(axis=1))])
    similarity = sp.csr_matrix(
        (scores[keep].astype(np.float32), indices[keep], indptr), shape=(n_items, n_items), dtype=np.float32
    )
    similarity.sort_indices()
    return similarity


def blend_neighbours(content, collaborative, weight: float, k: int) -> sp.csr_matrix:
    """``weight * content + (1 - weight) * collaborative``, each row cut back to its ``k`` best positive entries.

    Both inputs are ``(n_items, n_items)`` sparse similarity matrices on the same item indices, as made by
    ``neighbours_to_csr``. They are added without rescaling because both are cosines of non-negative kept
    values in (0, 1]: content cosine of L2-normalised embeddings (non-positive ones dropped) and collaborative
    cosine of binarised interactions. Their spreads differ (embedding neighbours often score 0.5-0.9,
    co-interaction neighbours 0.05-0.3), which ``weight`` (in [0, 1]) absorbs: tune it on validation data. An
    item missing from one list counts as 0 there, so items in both lists rank higher. Ties at the k-th place
    keep the lower item index. Returns a ``float32`` ``csr_matrix``.
    """
    if not (np.isfinite(weight) and 0.0 <= weight <= 1.0):
        raise ValueError(f"weight must be a number in [0, 1], got {weight!r}")
    k = check_positive_int(k, "k")
    for name, matrix in (("content", content), ("collaborative", collaborative)):
        if not sp.issparse(matrix) or matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
            raise ValueError(f"{name} must be a square scipy.sparse similarity matrix, got {type(matrix).__name__}")
    if content.shape != collaborative.shape:
        raise ValueError(f"content has shape {content.shape} but collaborative has {collaborative.shape}")
    blended = sp.csr_matrix(weight * content + (1.0 - weight) * collaborative, dtype=np.float32)
    rows, cols, values, rank = _ranked_entries(blended)
    keep = (rank < k) & (values > 0)
    truncated = sp.csr_matrix((values[keep], (rows[keep], cols[keep])), shape=blended.shape, dtype=np.float32)
    truncated.sort_indices()
    return truncated


def neighbour_table(item_ids: np.ndarray, similarity, source: str) -> pd.DataFrame:
    """Neighbour lists as rows ``item_id, neighbour_id, rank, score, source`` for storage and inspection.

    ``item_ids`` (1-D, any dtype, length ``n_items``) maps item indices to ids. ``similarity`` is either a
    square sparse matrix (every stored non-zero entry is a neighbour, ranked by score, ties by lower index)
    or an ``(indices, scores)`` pair as returned by the searches here (-1 entries are left out, the order
    kept). ``source`` is ``"content"``, ``"collaborative"`` or ``"blended"``. Columns: ``item_id`` and
    ``neighbour_id`` (the dtype of ``item_ids``), ``rank`` (``int32``, 1 = most similar), ``score``
    (``float32``), ``source`` (str); sorted by item then rank.
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    item_ids = np.asarray(item_ids)
    if item_ids.ndim != 1:
        raise ValueError(f"item_ids must be 1-D, got shape {item_ids.shape}")
    n_items = len(item_ids)
    if sp.issparse(similarity):
        if similarity.shape != (n_items, n_items):
            raise ValueError(f"similarity has shape {similarity.shape}, expected ({n_items}, {n_items})")
        rows, cols, values, rank = _ranked_entries(sp.csr_matrix(similarity))
    else:
        if not (isinstance(similarity, tuple) and len(similarity) == 2):
            raise ValueError("similarity must be a scipy.sparse matrix or an (indices, scores) pair")
        indices, scores = _check_neighbours(*similarity, n_items)
        valid = indices >= 0
        rows = np.nonzero(valid)[0]
        cols, values = indices[valid], scores[valid]
        rank = np.cumsum(valid, axis=1)[valid] - 1
    return pd.DataFrame(
        {
            "item_id": item_ids[rows],
            "neighbour_id": item_ids[cols],
            "rank": (rank + 1).astype(np.int32),
            "score": values.astype(np.float32),
            "source": source,
        }
    )


def neighbour_matrix(rows: pd.DataFrame, item_ids: np.ndarray) -> sp.csr_matrix | None:
    """Stored neighbour rows back as a similarity matrix on a model's item axis: the inverse of
    ``neighbour_table`` for one source.

    ``rows`` has ``item_id``, ``neighbour_id`` and ``score``; ``item_ids`` (1-D, length ``n_items``) are the
    model's items. Returns a ``(n_items, n_items)`` csr with ``S[i, j]`` the score of ``item_ids[j]`` as a
    neighbour of ``item_ids[i]``; rows naming other items are left out. None when ``rows`` is empty.
    """
    if rows.empty:
        return None
    index = pd.Index(item_ids)
    source, target = index.get_indexer(rows["item_id"]), index.get_indexer(rows["neighbour_id"])
    keep = (source >= 0) & (target >= 0)
    return sp.csr_matrix(
        (rows["score"].to_numpy()[keep], (source[keep], target[keep])), shape=(len(item_ids), len(item_ids))
    )


def _ranked_entries(matrix: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Non-zero entries sorted by row, then score (high first), then column, with their 0-based rank in the row."""
    matrix = matrix.copy()
    matrix.sum_duplicates()
    matrix.eliminate_zeros()
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    order = np.lexsort((matrix.indices, -matrix.data, rows))
    rows, cols, values = rows[order], matrix.indices[order].astype(np.int64), matrix.data[order]
    rank = np.arange(len(rows)) - matrix.indptr[rows]
    return rows, cols, values, rank


def _check_neighbours(indices, scores, n_items: int) -> tuple[np.ndarray, np.ndarray]:
    indices = np.asarray(indices)
    scores = np.asarray(scores)
    if indices.ndim != 2 or not (np.issubdtype(indices.dtype, np.integer) or indices.size == 0):
        raise ValueError(f"indices must be a 2-D integer array, got {indices.dtype} {indices.shape}")
    indices = indices.astype(np.int64, copy=False)
    if scores.shape != indices.shape:
        raise ValueError(f"scores has shape {scores.shape} but indices has {indices.shape}")
    if indices.shape[0] != n_items:
        raise ValueError(f"indices has {indices.shape[0]} rows, expected one per item ({n_items})")
    if indices.size and (indices.min() < -1 or indices.max() >= n_items):
        raise ValueError(f"indices must be in [-1, {n_items})")
    return indices, scores
