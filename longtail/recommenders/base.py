"""The shared ``Recommender`` API: input checks, batched scoring and top-k selection."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError

DEFAULT_BATCH_SIZE = 1024


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


class Recommender(ABC):
    """Base class: subclasses implement ``_fit(X)`` and ``_score_batch(users)``.

    After ``fit`` every model has ``n_users_``, ``n_items_`` and ``interactions_`` (the binarised training
    matrix, used to exclude seen items).
    """

    def fit(self, X) -> Recommender:
        """Fit on ``X`` (sparse, ``(n_users, n_items)``, binarised: see ``check_interactions``). Returns self."""
        X = check_interactions(X)
        self._fit(X)
        self.interactions_ = X
        self.n_users_, self.n_items_ = X.shape
        return self

    def score(self, users, *, batch_size: int = DEFAULT_BATCH_SIZE) -> np.ndarray:
        """Scores of every item for ``users`` (1-D ints in ``[0, n_users)``); higher is better.

        Returns ``float32`` of shape ``(len(users), n_items)``. Computed ``batch_size`` users at a time.
        """
        users = self._check_users(users)
        batch_size = _check_positive_int(batch_size, "batch_size")
        out = np.empty((len(users), self.n_items_), dtype=np.float32)
        for start in range(0, len(users), batch_size):
            batch = users[start : start + batch_size]
            out[start : start + len(batch)] = self._score_batch(batch)
        return out

    def recommend(
        self, users, k: int, *, exclude_seen: bool = True, batch_size: int = DEFAULT_BATCH_SIZE
    ) -> np.ndarray:
        """Top-``k`` item indices for ``users``, best first: ``int64`` array of shape ``(len(users), k)``.

        With ``exclude_seen`` items the user interacted with in training are never recommended (turn it off for
        repeat-purchase shops). A row is padded with -1 only when fewer than ``k`` items are available. Users
        are scored ``batch_size`` at a time, so memory is ``O(batch_size * n_items)`` whatever ``len(users)``.
        Ties are broken by the lower item index, except at the k-th place where ``argpartition`` decides.
        """
        users = self._check_users(users)
        k = _check_positive_int(k, "k")
        batch_size = _check_positive_int(batch_size, "batch_size")
        out = np.full((len(users), k), -1, dtype=np.int64)
        for start in range(0, len(users), batch_size):
            batch = users[start : start + batch_size]
            scores = self._score_batch(batch)
            if exclude_seen:
                seen = self.interactions_[batch]
                rows = np.repeat(np.arange(len(batch)), np.diff(seen.indptr))
                scores[rows, seen.indices] = -np.inf
            out[start : start + len(batch), : min(k, self.n_items_)] = self._select(scores, batch, k)
        return out

    def _select(self, scores: np.ndarray, users: np.ndarray, k: int) -> np.ndarray:
        """The lists of ``users`` from their scores (seen items already at ``-inf``): by default the top ``k``.
        Re-ranking models override this."""
        return _top_k(scores, k)

    def _check_users(self, users) -> np.ndarray:
        if not hasattr(self, "n_items_"):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet; call fit(X) first")
        users = np.asarray(users)
        if users.ndim != 1 or not (np.issubdtype(users.dtype, np.integer) or users.size == 0):
            raise ValueError(f"users must be a 1-D array of integer user indices, got {users.dtype} {users.shape}")
        users = users.astype(np.int64, copy=False)
        bad = users[(users < 0) | (users >= self.n_users_)]
        if bad.size:
            raise ValueError(f"user indices must be in [0, {self.n_users_}), got {bad[:5].tolist()}")
        return users

    @abstractmethod
    def _fit(self, X: sp.csr_matrix) -> None:
        """Learn the model from the binarised, validated interactions ``X`` (n_users, n_items)."""

    @abstractmethod
    def _score_batch(self, users: np.ndarray) -> np.ndarray:
        """Writable ``float32`` scores of shape ``(len(users), n_items)`` for valid user indices."""


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``min(k, n_items)`` best finite scores per row, best first; -inf scores become -1."""
    n_items = scores.shape[1]
    if k < n_items:
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    else:
        top = np.broadcast_to(np.arange(n_items), scores.shape)
    top_scores = np.take_along_axis(scores, top, axis=1)
    order = np.lexsort((top, -top_scores), axis=1)
    top = np.take_along_axis(top, order, axis=1)
    top[np.take_along_axis(top_scores, order, axis=1) == -np.inf] = -1
    return top


def _check_positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)
