"""Collaborative nearest neighbours: item-item cosine over the users who interacted with both items, and RP3beta's
popularity-discounted random walk."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from longtail.recommend.matrices import check_interactions
from longtail.validation import check_positive_int

# A block's top k is selected from its stored entries (one sort of them) rather than from its dense rows (a partition
# of every entry) when it stores fewer than one entry in this many. On the blocks of ``bench/block_top_k.py`` the sort
# took 0.2x the dense rows' time with 3% to 5.5% of the entries stored, about as long with 22.5%, and 2x to 6x with
# 69%.
SPARSE_SELECTION_COST = 5


def collaborative_top_k(X, k: int, *, shrink: float = 0.0, block_size: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Each item's ``k`` most similar other items by cosine over the users who interacted with them.

    ``X`` is a ``scipy.sparse`` ``(n_users, n_items)`` implicit-feedback matrix, binarised first (see
    ``longtail.recommend.matrices.check_interactions``). ``sim(i, j) = |U_i & U_j| / (sqrt(|U_i|) * sqrt(|U_j|) +
    shrink)`` where ``U_i`` is the set of users of item ``i``; ``shrink >= 0`` damps similarities resting on
    few users. Only positive similarities count as neighbours: an item without users, or sharing users with
    fewer than ``k`` items, has its row padded with index -1 and score 0. Ties are broken by the lower item
    index, at the k-th place too: of several items tied there, those with the lower indices are kept.

    Only items with at least one user are compared (the others have no neighbour and none of them is one), so a
    catalogue whose tail nobody bought costs what its bought part costs: on Instacart's sample, 14k of 50k items.
    Computed ``block_size`` of those items at a time: working memory is about ``block_size * n_active`` floats,
    never ``n_items ** 2``. Returns ``(indices, scores)`` of shape ``(n_items, min(k, n_items - 1))``.
    """
    X = check_interactions(X)
    k = check_positive_int(k, "k")
    if not np.isfinite(shrink) or shrink < 0:
        raise ValueError(f"shrink must be a finite number >= 0, got {shrink!r}")
    block_size = check_positive_int(block_size, "block_size")
    indices, scores = _no_neighbours(X.shape[1], k)
    k = indices.shape[1]
    if k == 0:
        return indices, scores
    active = np.flatnonzero(X.getnnz(axis=0))
    X = X[:, active]
    item_users = X.T.tocsr()
    norms = np.sqrt(np.asarray(item_users.sum(axis=1), dtype=np.float32).ravel())
    # Neighbours among the active items only: at most len(active) - 1 of them.
    k_active = min(k, len(active) - 1)
    if k_active <= 0:
        return indices, scores
    for start in range(0, len(active), block_size):
        stop = min(start + block_size, len(active))
        sims = item_users[start:stop] @ X
        # Co-occurrence counts are positive, and so are the cosines; an entry not stored is no neighbour.
        rows = np.repeat(np.arange(start, stop), np.diff(sims.indptr))
        denom = norms[rows] * norms[sims.indices] + np.float32(shrink)
        sims.data = np.divide(sims.data, denom, out=np.zeros_like(sims.data), where=denom > 0)
        _keep_top_k(sims, start, active, k_active, indices, scores)
    return indices, scores


def rp3beta_top_k(
    X, k: int, *, alpha: float = 1.0, beta: float = 0.5, block_size: int = 1024
) -> tuple[np.ndarray, np.ndarray]:
    """Each item's ``k`` strongest neighbours by RP3beta (Paudel et al. 2017; Dacrema et al. 2019), a three-step
    random walk item -> user -> item with the target's popularity discounted.

    On the binarised ``X`` (``(n_users, n_items)``), ``P_iu`` is the item-to-user transition (each item's users,
    uniformly) and ``P_ui`` the user-to-item one, both raised elementwise to ``alpha > 0``; ``w(i, j) =
    (P_iu ** alpha @ P_ui ** alpha)[i, j] / popularity(j) ** beta`` with ``beta >= 0`` (0: plain P3alpha; higher
    pushes the walk towards the tail). Returns ``(indices, scores)`` as ``collaborative_top_k`` does, computed
    ``block_size`` of the bought items at a time.
    """
    X = check_interactions(X)
    k = check_positive_int(k, "k")
    if not np.isfinite(alpha) or alpha <= 0:
        raise ValueError(f"alpha must be a finite number > 0, got {alpha!r}")
    if not np.isfinite(beta) or beta < 0:
        raise ValueError(f"beta must be a finite number >= 0, got {beta!r}")
    block_size = check_positive_int(block_size, "block_size")
    indices, scores = _no_neighbours(X.shape[1], k)
    k = indices.shape[1]
    active = np.flatnonzero(X.getnnz(axis=0))
    k_active = min(k, len(active) - 1)
    if k_active <= 0:
        return indices, scores
    X = X[:, active].astype(np.float32).tocsr()
    popularity = np.asarray(X.sum(axis=0), dtype=np.float32).ravel()
    user_degree = np.asarray(X.sum(axis=1), dtype=np.float32).ravel()
    user_to_item = sp.diags(1.0 / np.maximum(user_degree, 1.0)) @ X
    item_to_user = (sp.diags(1.0 / popularity) @ X.T.tocsr()).tocsr()
    user_to_item.data **= alpha
    item_to_user.data **= alpha
    discount = np.power(popularity, -beta, dtype=np.float32)
    for start in range(0, len(active), block_size):
        stop = min(start + block_size, len(active))
        weights = item_to_user[start:stop] @ user_to_item
        weights.data *= discount[weights.indices]
        _keep_top_k(weights, start, active, k_active, indices, scores)
    return indices, scores


def _no_neighbours(n_items: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``(indices, scores)`` of ``n_items`` items without neighbours yet: ``min(k, n_items - 1)`` columns of -1 and
    0."""
    k = min(k, n_items - 1)
    return np.full((n_items, k), -1, dtype=np.int64), np.zeros((n_items, k), dtype=np.float32)


def _keep_top_k(block: sp.csr_matrix, start: int, active, k: int, indices, scores) -> None:
    """``_keep_block_top_k`` of ``block`` (rows: active items ``start`` onwards; columns: all active items; entries
    not stored are 0), from its stored entries alone where they are few: Instacart's co-occurrence rows hold 3% of
    the items, and partitioning whole dense rows was most of its collaborative neighbours' time. The same output,
    ties and all (``bench/block_top_k.py``)."""
    n_rows, n_columns = block.shape
    if block.nnz * SPARSE_SELECTION_COST >= n_rows * n_columns:
        _keep_block_top_k(block.toarray(), start, active, k, indices, scores)
        return
    column_bits = max(int(n_columns - 1).bit_length(), 1)
    max_rows = 1 << (ROW_AND_COLUMN_BITS - column_bits)
    if n_rows > max_rows:  # a catalogue of millions: the rows' numbers would not fit the sort key beside the columns
        for first in range(0, n_rows, max_rows):
            _keep_top_k(block[first : first + max_rows], start + first, active, k, indices, scores)
        return
    rows = np.repeat(np.arange(n_rows), np.diff(block.indptr))
    keep = (block.data > 0) & (block.indices != start + rows)
    rows, columns, values = _best_first_by_row(rows[keep], block.indices[keep], block.data[keep], column_bits)
    per_row = np.bincount(rows, minlength=n_rows)
    rank = np.arange(len(rows)) - (np.cumsum(per_row) - per_row)[rows]
    top = rank < k
    items = active[start + rows[top]]
    indices[items, rank[top]] = active[columns[top]]
    scores[items, rank[top]] = values[top]


# The bits of ``_best_first_by_row``'s key left for the row and the column numbers, beside a float32 value's 31.
ROW_AND_COLUMN_BITS = 32


def _best_first_by_row(rows, columns, values, column_bits: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(rows, columns, values)`` sorted by row, the best value first, ties by the lower column, with ``values``
    positive ``float32`` and ``columns < 2 ** column_bits``.

    One sort of an ``int64`` key, the row above the value above the column, in place of a three-key ``lexsort``
    (``bench/block_top_k.py``): a positive float32's bits, read as an integer, order as its value does, so 31 bits
    less those bits rank the best first. The row needs at most ``ROW_AND_COLUMN_BITS - column_bits`` bits."""
    value_bits = np.int64(0x7FFFFFFF) - values.astype(np.float32).view(np.int32)
    key = (rows.astype(np.int64) << (31 + column_bits)) | (value_bits << column_bits) | columns
    key.sort()
    column_mask = (1 << column_bits) - 1
    best_first = (key >> column_bits) & 0x7FFFFFFF
    values = (0x7FFFFFFF - best_first).astype(np.int32).view(np.float32)
    return key >> (31 + column_bits), key & column_mask, values


def _keep_block_top_k(sims, start: int, active, k: int, indices, scores) -> None:
    """Write the ``k`` best positive entries of each row of ``sims`` (rows: active items ``start`` onwards;
    columns: all active items; the item itself excluded) into ``indices`` and ``scores``, best first, ties by the
    lower index, also at the k-th place: each row keeps every entry above its k-th best value, then the entries
    equal to it in column order until it holds ``k``. The kept entries that are not positive come out as index -1
    and score 0. Overwrites ``sims``; working memory is a few ``sims``-sized arrays."""
    n_rows, n_columns = sims.shape
    rows = np.arange(n_rows)
    sims[rows, start + rows] = 0.0
    # Entries <= 0 never come out, so shifting each down by a different amount (its column number + 1) changes no
    # output, and it spares np.partition its slow case: rows that are mostly one value (co-occurrence rows are
    # mostly zeros) take it about ten times longer. Positive entries are left exactly as they are.
    sims += (sims <= 0) * -np.arange(1, n_columns + 1, dtype=sims.dtype)
    kth_best = np.partition(sims, n_columns - k, axis=1)[:, n_columns - k, None]
    kept = sims > kth_best
    # The entries tied at the k-th best fill the places left, in column order. Ties are few (after the shift the
    # entries <= 0 mostly differ), so they are ranked among themselves rather than by a cumsum over whole rows.
    tied = np.flatnonzero(sims == kth_best)  # flat positions: by row, then by column
    tied_rows = tied // n_columns
    n_tied = np.bincount(tied_rows, minlength=n_rows)
    rank_in_row = np.arange(tied.size) - (np.cumsum(n_tied) - n_tied)[tied_rows]
    needed = k - kept.sum(axis=1)
    np.put(kept, tied[rank_in_row < needed[tied_rows]], True)
    # Every row now keeps exactly k entries; sort them by score, ties by the lower column.
    top = (np.flatnonzero(kept) % n_columns).reshape(n_rows, k)
    top_scores = np.take_along_axis(sims, top, axis=1)
    order = np.lexsort((top, -top_scores), axis=1)
    top = np.take_along_axis(top, order, axis=1)
    top_scores = np.take_along_axis(top_scores, order, axis=1)
    positive = top_scores > 0
    indices[active[start : start + n_rows], :k] = np.where(positive, active[top], -1)
    scores[active[start : start + n_rows], :k] = np.where(positive, top_scores, 0.0)
