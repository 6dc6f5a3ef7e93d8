"""Top-k recommendation metrics: accuracy (recall, NDCG, hit rate, tail recall, recall by popularity bucket) and
beyond-accuracy (APLT, catalogue coverage, Gini of exposure, novelty).

Shared conventions:
- ``recommended``: (n_users, K) integer item indices, best first; ``-1`` marks an empty slot (padding). A slot's
  rank is its column, so ``-1`` anywhere leaves that rank empty. An item may appear at most once per row.
- ``targets``: the test targets aligned with the rows of ``recommended``, either a list of (n_targets_u,) integer
  arrays or a sparse (n_users, n_items) matrix whose non-zero entries are targets (binary relevance).
- ``tail``: (n_items,) bool, ``popularity``: (n_items,) training interactions per item.
- ``k``: cutoff, ``1 <= k <= K``; only the first ``k`` columns are read.
- Accuracy metrics average over users with at least one (relevant) target; users without targets are skipped.
  Beyond-accuracy metrics use every row. A metric with no eligible user is ``nan``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from longtail.recommend.matrices import head_mask

BUCKET_SHARES = (0.5, 0.8)
BUCKET_NAMES = ("head", "mid", "tail")


def recall_at_k(recommended: np.ndarray, targets, k: int) -> float:
    """Mean over users with targets of |hits in top k| / |targets| (the standard definition: a user with more
    than ``k`` targets cannot reach 1)."""
    rec, tmat = _check(recommended, k, targets=targets)
    return _restricted_recall(rec, tmat, target_hits(rec, tmat), k, None)


def ndcg_at_k(recommended: np.ndarray, targets, k: int) -> float:
    """Mean over users with targets of DCG@k / IDCG@k, binary relevance.

    DCG@k = sum over hit ranks r (1-based) <= k of 1 / log2(r + 1); IDCG@k = the same sum over ranks
    1..min(k, |targets|).
    """
    rec, tmat = _check(recommended, k, targets=targets)
    return _ndcg(target_hits(rec, tmat), _n_targets(tmat), k)


def hit_rate_at_k(recommended: np.ndarray, targets, k: int) -> float:
    """Share of users with targets that have at least one target in their top k."""
    rec, tmat = _check(recommended, k, targets=targets)
    return _hit_rate(target_hits(rec, tmat), _n_targets(tmat), k)


def tail_recall_at_k(recommended: np.ndarray, targets, tail: np.ndarray, k: int) -> float:
    """Recall restricted to tail targets: |tail hits in top k| / |tail targets|, averaged over users with at least
    one tail target (``nan`` when no user has one)."""
    rec, tmat = _check(recommended, k, targets=targets, n_items=len(tail))
    return _restricted_recall(rec, tmat, target_hits(rec, tmat), k, _bool_mask(tail, "tail"))


def aplt_at_k(recommended: np.ndarray, tail: np.ndarray, k: int) -> float:
    """Average percentage of long tail: per user, tail items / non-empty slots in the top k, averaged over users
    whose top k is not empty."""
    rec, _ = _check(recommended, k, n_items=len(tail))
    return _aplt(rec, _bool_mask(tail, "tail"), k)


def coverage_at_k(recommended: np.ndarray, n_items: int, k: int) -> float:
    """Share of the ``n_items`` catalogue that appears in at least one top-k list."""
    rec, _ = _check(recommended, k, n_items=n_items)
    return _coverage(rec, n_items, k)


def gini_at_k(recommended: np.ndarray, n_items: int, k: int) -> float:
    """Gini coefficient of exposure over the whole catalogue, items never recommended included.

    Exposure x_i = number of top-k lists containing item i; with x sorted ascending and 1-based positions j,
    G = sum_j (2j - n - 1) x_j / (n sum_j x_j). 0 = every item equally exposed; the maximum, (n - 1) / n,
    means one item takes all exposure. ``nan`` when nothing is recommended.
    """
    rec, _ = _check(recommended, k, n_items=n_items)
    return _gini(rec, n_items, k)


def novelty_at_k(recommended: np.ndarray, popularity: np.ndarray, k: int) -> float:
    """Mean self-information of recommended items, in bits.

    p(i) = max(popularity_i, 1) / sum(popularity): the item's share of training interactions (an item never seen
    in training counts as seen once, so its information stays finite). Per user, the mean of -log2 p(i) over the
    non-empty top-k slots; then the mean over users whose top k is not empty.
    """
    rec, _ = _check(recommended, k, n_items=len(popularity))
    return _novelty(rec, _popularity(popularity), k)


def popularity_buckets(popularity: np.ndarray, shares: Sequence[float] = BUCKET_SHARES) -> np.ndarray:
    """(n_items,) int bucket per item, by cumulative share of training interactions.

    With ascending ``shares`` (s_1, ..., s_m): bucket 0 is the smallest most-popular set holding s_1 of
    interactions, bucket b the items added to reach s_{b+1}, bucket m everything else. The default (0.5, 0.8)
    gives head / mid / tail, where the tail equals ``tail_items(popularity, 0.8)``. Ties as in ``head_mask``.
    """
    if list(shares) != sorted(shares):
        raise ValueError(f"shares must be ascending, got {shares}")
    pop = _popularity(popularity)
    buckets = np.zeros(len(pop), dtype=np.int64)
    for share in shares:
        buckets += ~head_mask(pop, share)
    return buckets


def by_popularity_bucket(
    recommended: np.ndarray,
    targets,
    popularity: np.ndarray,
    k: int,
    shares: Sequence[float] = BUCKET_SHARES,
    names: Sequence[str] = BUCKET_NAMES,
) -> dict[str, float]:
    """Recall@k per popularity bucket (see ``popularity_buckets``): for each bucket, hits on targets in that bucket /
    targets in that bucket, averaged over users with at least one target in it. Returns {name: recall}."""
    if len(names) != len(shares) + 1:
        raise ValueError(f"need {len(shares) + 1} bucket names for shares {shares}, got {names}")
    rec, tmat = _check(recommended, k, targets=targets, n_items=len(popularity))
    return _by_bucket(rec, tmat, target_hits(rec, tmat), k, popularity_buckets(popularity, shares), names)


def evaluate(
    recommended: np.ndarray,
    targets,
    tail: np.ndarray,
    popularity: np.ndarray,
    ks: Sequence[int] = (10, 20),
) -> dict[str, float]:
    """All metrics at every k in ``ks``.

    Keys: ``recall@k``, ``ndcg@k``, ``hit_rate@k``, ``tail_recall@k``, ``aplt@k``, ``coverage@k``, ``gini@k``,
    ``novelty@k`` and ``recall@k[head|mid|tail]`` (``by_popularity_bucket`` with default buckets). ``tail`` and
    ``popularity`` are (n_items,) and fix the catalogue size.
    """
    if len(tail) != len(popularity):
        raise ValueError(f"tail has {len(tail)} items but popularity has {len(popularity)}")
    if not ks:
        raise ValueError("ks is empty: give at least one cutoff")
    n_items = len(tail)
    rec, tmat = _check(recommended, ks[0], targets=targets, n_items=n_items)
    for k in ks[1:]:
        _check_k(k, rec.shape[1])
    tail = _bool_mask(tail, "tail")
    pop = _popularity(popularity)
    buckets = popularity_buckets(pop)
    hits, n_targets = target_hits(rec, tmat), _n_targets(tmat)
    out: dict[str, float] = {}
    for k in ks:
        out[f"recall@{k}"] = _restricted_recall(rec, tmat, hits, k, None)
        out[f"ndcg@{k}"] = _ndcg(hits, n_targets, k)
        out[f"hit_rate@{k}"] = _hit_rate(hits, n_targets, k)
        out[f"tail_recall@{k}"] = _restricted_recall(rec, tmat, hits, k, tail)
        out[f"aplt@{k}"] = _aplt(rec, tail, k)
        out[f"coverage@{k}"] = _coverage(rec, n_items, k)
        out[f"gini@{k}"] = _gini(rec, n_items, k)
        out[f"novelty@{k}"] = _novelty(rec, pop, k)
        for name, value in _by_bucket(rec, tmat, hits, k, buckets, BUCKET_NAMES).items():
            out[f"recall@{k}[{name}]"] = value
    return out


# --- validation and shared pieces -------------------------------------------------------------------------------


def _check(recommended, k, *, targets=None, n_items=None) -> tuple[np.ndarray, sp.csr_matrix | None]:
    """Validate inputs; return ``recommended`` as int64 and the targets as a binary csr matrix (n_users, width)."""
    rec = np.asarray(recommended)
    if rec.ndim != 2:
        raise ValueError(f"recommended must be 2-D (n_users, K), got shape {rec.shape}")
    if not np.issubdtype(rec.dtype, np.integer):
        raise ValueError(f"recommended must hold integer item indices, got dtype {rec.dtype}")
    rec = rec.astype(np.int64, copy=False)
    _check_k(k, rec.shape[1])
    if rec.size and rec.min() < -1:
        raise ValueError("recommended holds indices below -1 (only -1 is allowed, as padding)")
    if n_items is not None and rec.size and rec.max() >= n_items:
        raise ValueError(f"recommended holds item index {rec.max()} but the catalogue has {n_items} items")
    ordered = np.sort(rec, axis=1)
    if np.any((ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] >= 0)):
        raise ValueError("a row of recommended lists the same item twice")
    if n_items is not None and sp.issparse(targets) and targets.shape[1] != n_items:
        raise ValueError(f"targets have {targets.shape[1]} columns but the catalogue has {n_items} items")
    tmat = None if targets is None else _target_matrix(targets, rec.shape[0])
    if tmat is not None and n_items is not None and tmat.nnz and tmat.indices.max() >= n_items:
        raise ValueError(f"targets hold item index {tmat.indices.max()} but the catalogue has {n_items} items")
    return rec, tmat


def _check_k(k, list_length: int) -> None:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if k > list_length:
        raise ValueError(f"k={k} exceeds the list length K={list_length}")


def _target_matrix(targets, n_rows: int) -> sp.csr_matrix:
    """Binary csr (n_rows, width) with sorted, unique indices per row, from a sparse matrix or a list of arrays."""
    if sp.issparse(targets):
        tmat = sp.csr_matrix(targets, copy=True)
        tmat.eliminate_zeros()
    else:
        if len(targets) != n_rows:
            raise ValueError(f"targets has {len(targets)} rows but recommended has {n_rows}")
        lists = [np.asarray(t).ravel() for t in targets]
        lengths = np.array([len(t) for t in lists], dtype=np.int64)
        cols = np.concatenate(lists).astype(np.int64) if lists else np.zeros(0, dtype=np.int64)
        if cols.size and cols.min() < 0:
            raise ValueError("targets hold negative item indices")
        rows = np.repeat(np.arange(n_rows), lengths)
        width = int(cols.max()) + 1 if cols.size else 0
        tmat = sp.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(n_rows, width))
    if tmat.shape[0] != n_rows:
        raise ValueError(f"targets has {tmat.shape[0]} rows but recommended has {n_rows}")
    tmat.sum_duplicates()
    tmat.data = np.ones_like(tmat.data, dtype=np.float32)
    return tmat


def _bool_mask(mask: np.ndarray, name: str) -> np.ndarray:
    mask = np.asarray(mask)
    if mask.ndim != 1 or mask.dtype != bool:
        raise ValueError(f"{name} must be a 1-D bool array (n_items,), got dtype {mask.dtype} shape {mask.shape}")
    return mask


def _popularity(popularity: np.ndarray) -> np.ndarray:
    pop = np.asarray(popularity, dtype=np.float64)
    if pop.ndim != 1 or not np.isfinite(pop).all() or (pop < 0).any():
        raise ValueError("popularity must be a 1-D array (n_items,) of finite, non-negative counts")
    return pop


def _n_targets(tmat: sp.csr_matrix) -> np.ndarray:
    return np.diff(tmat.indptr)


def target_hits(rec: np.ndarray, tmat: sp.csr_matrix) -> np.ndarray:
    """(n_users, K) bool: whether each slot holds one of that row's targets (one sorted-key lookup)."""
    n_users = rec.shape[0]
    if tmat.nnz == 0:
        return np.zeros(rec.shape, dtype=bool)
    width = max(tmat.shape[1], int(rec.max()) + 1)
    target_keys = np.repeat(np.arange(n_users, dtype=np.int64), _n_targets(tmat)) * width + tmat.indices
    slot_keys = np.arange(n_users, dtype=np.int64)[:, None] * width + rec
    pos = np.minimum(np.searchsorted(target_keys, slot_keys), len(target_keys) - 1)
    return (target_keys[pos] == slot_keys) & (rec >= 0)


def _mean_over(values: np.ndarray, users: np.ndarray) -> float:
    return float(values[users].mean()) if users.any() else float("nan")


def _restricted_recall(rec, tmat, hits, k, item_mask) -> float:
    """Recall@k on the targets inside ``item_mask`` (all targets when None), over users with such a target."""
    if item_mask is None:
        n_relevant = _n_targets(tmat).astype(np.float64)
        n_hits = hits[:, :k].sum(axis=1)
    else:
        rows = np.repeat(np.arange(rec.shape[0]), _n_targets(tmat))
        n_relevant = np.bincount(rows, weights=item_mask[tmat.indices], minlength=rec.shape[0])
        n_hits = (hits[:, :k] & item_mask[rec[:, :k]]).sum(axis=1)
    users = n_relevant > 0
    return _mean_over(n_hits / np.maximum(n_relevant, 1), users)


def _ndcg(hits, n_targets, k) -> float:
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = hits[:, :k] @ discounts
    ideal = np.cumsum(discounts)[np.clip(np.minimum(n_targets, k) - 1, 0, None)]
    return _mean_over(dcg / ideal, n_targets > 0)


def _hit_rate(hits, n_targets, k) -> float:
    return _mean_over(hits[:, :k].any(axis=1).astype(np.float64), n_targets > 0)


def _aplt(rec, tail, k) -> float:
    top = rec[:, :k]
    filled = (top >= 0).sum(axis=1)
    n_tail = (tail[top] & (top >= 0)).sum(axis=1)
    return _mean_over(n_tail / np.maximum(filled, 1), filled > 0)


def _exposure(rec, n_items, k) -> np.ndarray:
    top = rec[:, :k]
    return np.bincount(top[top >= 0], minlength=n_items)


def _coverage(rec, n_items, k) -> float:
    return float((_exposure(rec, n_items, k) > 0).sum() / n_items) if n_items else float("nan")


def _gini(rec, n_items, k) -> float:
    exposure = np.sort(_exposure(rec, n_items, k)).astype(np.float64)
    total = exposure.sum()
    if total == 0:
        return float("nan")
    weights = 2 * np.arange(1, n_items + 1) - n_items - 1
    return float(weights @ exposure / (n_items * total))


def _novelty(rec, popularity, k) -> float:
    total = popularity.sum()
    if total == 0:
        raise ValueError("popularity sums to 0: novelty needs training interactions")
    information = -np.log2(np.maximum(popularity, 1.0) / total)
    top = rec[:, :k]
    filled = (top >= 0).sum(axis=1)
    per_user = np.where(top >= 0, information[top], 0.0).sum(axis=1) / np.maximum(filled, 1)
    return _mean_over(per_user, filled > 0)


def _by_bucket(rec, tmat, hits, k, buckets, names) -> dict[str, float]:
    return {name: _restricted_recall(rec, tmat, hits, k, buckets == b) for b, name in enumerate(names)}
