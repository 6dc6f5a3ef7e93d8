"""EASE (Steck 2019, "Embarrassingly Shallow Autoencoders for Sparse Data") and a helper to tune its l2."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack

from longtail.recommend.models.base import Recommender
from longtail.validation import check_positive_int


class EASE(Recommender):
    """Linear item-item model with the closed form ``B = I - P diag(1 / diag(P))``, ``P = (X^T X + l2 I)^-1``.

    The diagonal of ``B`` is 0 (an item cannot predict itself); scores are ``X[users] @ B`` on the binarised
    matrix. ``B`` is dense: fitting needs about ``3 * 8 * m ** 2`` bytes at peak (3.2 GB per copy at 20k items)
    and time cubic in ``m``. So ``B`` covers only the ``max_items`` most popular items (``m = min(n_items,
    max_items)``, ties to the lower index); every other item scores 0 and ranks below the positively scored
    ones. Items beyond the first few thousand have a handful of interactions, too few for EASE to learn from.

    The inverse is taken in float64 with LAPACK's Cholesky routines (``dpotrf`` + ``dpotri`` via scipy):
    ``X^T X + l2 I`` is symmetric positive definite for ``l2 > 0``, so Cholesky is stable and needs about half
    the flops of the LU-based ``numpy.linalg.inv`` (about 2x faster at 4k items on CPU). ``B`` is stored as
    float32. A float32 inverse, twice as fast on binary data, filled its Cholesky factor with subnormal numbers on
    Instacart's recency weights and took 31 s against float64's 1.5 s at 8,000 items.

    Attributes after ``fit``: ``weights_`` (``float32``, shape ``(m, m)``) and ``modelled_items_`` (``(m,)`` item
    indices, ascending, that the rows and columns of ``weights_`` stand for).
    """

    def __init__(self, l2: float = 200.0, *, max_items: int = 20_000):
        if not np.isfinite(l2) or l2 <= 0:
            raise ValueError(f"l2 must be a finite number > 0, got {l2!r}")
        self.l2 = float(l2)
        self.max_items = check_positive_int(max_items, "max_items")

    def _fit(self, X: sp.csr_matrix) -> None:
        n_items = X.shape[1]
        self.modelled_items_ = np.arange(n_items)
        if n_items > self.max_items:
            popularity = np.asarray((X > 0).sum(axis=0)).ravel()
            self.modelled_items_ = np.sort(np.argsort(-popularity, kind="stable")[: self.max_items])
        precision = _regularised_gram_inverse(X[:, self.modelled_items_].astype(np.float64), self.l2)
        precision /= -np.diag(precision)
        precision[np.diag_indices(len(precision))] = 0.0
        self.weights_ = precision.astype(np.float32)

    def score_history(self, history: sp.csr_matrix) -> np.ndarray:
        """``(n_rows, n_items)`` float32 scores of arbitrary user histories (rows of weights over items)."""
        modelled = np.asarray(history[:, self.modelled_items_] @ self.weights_, dtype=np.float32)
        if len(self.modelled_items_) == history.shape[1]:
            return modelled
        scores = np.zeros((history.shape[0], history.shape[1]), dtype=np.float32)
        scores[:, self.modelled_items_] = modelled
        return scores

    def pair_weights(self, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """``B[sources[i], targets[i]]`` for each pair, float32 ``(n,)``; 0 where either item is unmodelled."""
        position = np.full(self.n_items_, -1)
        position[self.modelled_items_] = np.arange(len(self.modelled_items_))
        rows, cols = position[np.asarray(sources)], position[np.asarray(targets)]
        modelled = (rows >= 0) & (cols >= 0)
        return np.where(modelled, self.weights_[np.maximum(rows, 0), np.maximum(cols, 0)], np.float32(0))

    def _score_batch(self, users: np.ndarray) -> np.ndarray:
        return self.score_history(self.interactions_[users])


def _regularised_gram_inverse(X: sp.csr_matrix, l2: float) -> np.ndarray:
    """``(X^T X + l2 I)^-1`` as a dense float64 ``(n_items, n_items)`` array, for float64 ``X`` of shape ``(n_users,
    n_items)``. With fewer users than items (Instacart's sample: 593 users, 14k items) it inverts the small
    ``(n_users, n_users)`` matrix instead, by the Woodbury identity ``(l2 I + X^T X)^-1 = (I - X^T (l2 I + X
    X^T)^-1 X) / l2``: the same matrix up to rounding, 7.5x faster at that size (cubic in users, not in items;
    ``bench/ease_inverse.py``)."""
    n_users, n_items = X.shape
    if n_users >= n_items:
        gram = (X.T @ X).toarray()
        gram[np.diag_indices(n_items)] += l2
        return _spd_inverse(gram)
    kernel = (X @ X.T).toarray()
    kernel[np.diag_indices(n_users)] += l2
    inverse = -(X.T @ (_spd_inverse(kernel) @ X))
    inverse[np.diag_indices(n_items)] += 1.0
    inverse /= l2
    return inverse


def _spd_inverse(a: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive definite float64 matrix via Cholesky (overwrites ``a``)."""
    factor, info = lapack.dpotrf(a, lower=True, overwrite_a=True, clean=False)
    if info != 0:
        raise np.linalg.LinAlgError(f"Cholesky factorisation failed (LAPACK dpotrf info={info})")
    inverse, info = lapack.dpotri(factor, lower=True, overwrite_c=True)
    if info != 0:
        raise np.linalg.LinAlgError(f"Cholesky inverse failed (LAPACK dpotri info={info})")
    _mirror_lower(inverse)
    return inverse


def _mirror_lower(a: np.ndarray, block: int = 512) -> None:
    """Copy the lower triangle of the square ``a`` onto its upper triangle, in place. Done block by block: whole
    ``np.tril`` copies and a transposed add over a matrix of hundreds of MB took seconds per EASE fit."""
    n = len(a)
    for start in range(0, n, block):
        rows = slice(start, min(start + block, n))
        diagonal = a[rows, rows]
        upper = np.triu_indices(len(diagonal), 1)
        diagonal[upper] = diagonal.T[upper]
        a[rows, start + block :] = a[start + block :, rows].T


def tune_l2(
    X_train,
    validation_fn: Callable[[EASE], float],
    grid: Iterable[float] = (50, 100, 200, 500, 1000),
    *,
    max_items: int = 20_000,
) -> tuple[float, dict[float, float]]:
    """Pick EASE's ``l2`` by validation: fit ``EASE(l2)`` on ``X_train`` for each value in ``grid``.

    ``validation_fn(model) -> float`` is supplied by the caller and should score the fitted model on a held-out
    validation split (e.g. NDCG@10 of ``model.recommend`` against validation targets); higher is better.
    Returns ``(best_l2, scores)`` where ``scores`` maps every ``l2`` in ``grid`` to its validation score; ties
    go to the earliest value in ``grid``. Refit on train + validation with ``best_l2`` before testing.
    """
    grid = [float(value) for value in grid]
    if not grid:
        raise ValueError("grid must contain at least one l2 value")
    scores: dict[float, float] = {}
    for l2 in grid:
        score = float(validation_fn(EASE(l2, max_items=max_items).fit(X_train)))
        if not np.isfinite(score):
            raise ValueError(f"validation_fn returned a non-finite score {score!r} for l2={l2}")
        scores[l2] = score
    best_l2 = max(scores, key=scores.__getitem__)
    return best_l2, scores
