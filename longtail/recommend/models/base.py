"""The shared ``Recommender`` API: input checks, batched scoring and top-k selection."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
import scipy.sparse as sp

from longtail.recommend.matrices import check_interactions, top_k_indices
from longtail.validation import check_positive_int

DEFAULT_BATCH_SIZE = 1024


class Recommender(ABC):
    """Base class: subclasses implement ``_fit(X)`` and ``_score_batch(users)``.

    After ``fit`` every model has ``n_users_``, ``n_items_`` and ``interactions_`` (the binarised training
    matrix, used to exclude seen items).
    """

    def fit(self, X) -> Recommender:
        """Fit on ``X`` (sparse, ``(n_users, n_items)``, binarised: see ``check_interactions``). Returns self."""
        X = check_interactions(X)
        self._fit(X)
        return self._fitted_on(X)

    def _fitted_on(self, X: sp.csr_matrix) -> Recommender:
        """Self, with the attributes every fitted model has, for the checked ``X`` it was fitted on."""
        self.interactions_ = X
        self.n_users_, self.n_items_ = X.shape
        return self

    def score(self, users, *, batch_size: int = DEFAULT_BATCH_SIZE) -> np.ndarray:
        """Scores of every item for ``users`` (1-D ints in ``[0, n_users)``); higher is better.

        Returns ``float32`` of shape ``(len(users), n_items)``. Computed ``batch_size`` users at a time.
        """
        users = self._check_users(users)
        batch_size = check_positive_int(batch_size, "batch_size")
        out = np.empty((len(users), self.n_items_), dtype=np.float32)
        for start in range(0, len(users), batch_size):
            batch = users[start : start + batch_size]
            out[start : start + len(batch)] = self._score_batch(batch)
        return out

    def recommend(
        self,
        users,
        k: int,
        *,
        exclude_seen: bool = True,
        batch_size: int = DEFAULT_BATCH_SIZE,
        return_scores: bool = False,
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Top-``k`` item indices for ``users``, best first: ``int64`` array of shape ``(len(users), k)``.

        With ``exclude_seen`` items the user interacted with in training are never recommended (turn it off for
        repeat-purchase shops). A row is padded with -1 only when fewer than ``k`` items are available. Users
        are scored ``batch_size`` at a time, so memory is ``O(batch_size * n_items)`` whatever ``len(users)``.
        Ties are broken by the lower item index (``longtail.recommend.matrices.top_k_indices``).
        With ``return_scores`` it returns ``(items, scores)``: ``scores`` float32 of the same shape, each
        item's ``score`` (NaN in empty slots), from the same pass over the users.
        """
        users = self._check_users(users)
        k = check_positive_int(k, "k")
        batch_size = check_positive_int(batch_size, "batch_size")
        out = np.full((len(users), k), -1, dtype=np.int64)
        out_scores = np.full((len(users), k), np.nan, dtype=np.float32) if return_scores else None
        for start in range(0, len(users), batch_size):
            batch = users[start : start + batch_size]
            scores = self._score_batch(batch)
            lists = self._lists(scores, batch, k, exclude_seen)
            out[start : start + len(batch)] = lists
            if return_scores:
                # Seen items are at -inf in ``scores`` now, but no list holds a seen item.
                chosen = np.take_along_axis(scores, np.maximum(lists, 0), axis=1)
                out_scores[start : start + len(batch)] = np.where(lists >= 0, chosen, np.nan)
        return (out, out_scores) if return_scores else out

    def _lists(self, scores: np.ndarray, users: np.ndarray, k: int, exclude_seen: bool) -> np.ndarray:
        """``(len(users), k)`` lists from the writable ``scores`` of ``users``: seen items removed when asked,
        ``_select``ed, padded with -1."""
        if exclude_seen:
            seen = self.interactions_[users]
            rows = np.repeat(np.arange(len(users)), np.diff(seen.indptr))
            scores[rows, seen.indices] = -np.inf
        out = np.full((len(users), k), -1, dtype=np.int64)
        # Plain top-k gives min(k, n_items) columns; a re-ranker may give all k, padded with -1 itself.
        selected = self._select(scores, users, k)
        out[:, : selected.shape[1]] = selected
        return out

    def _select(self, scores: np.ndarray, users: np.ndarray, k: int) -> np.ndarray:
        """The lists of ``users`` from their scores (seen items already at ``-inf``): by default the top ``k``.
        Re-ranking models override this."""
        return top_k_indices(scores, k)

    def _check_users(self, users) -> np.ndarray:
        if not hasattr(self, "n_items_"):
            raise not_fitted_error(self)
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


def not_fitted_error(model) -> Exception:
    """scikit-learn's ``NotFittedError`` for ``model``, imported only when raised: importing scikit-learn takes about
    half a second, which every process that loads the asset definitions would otherwise pay."""
    from sklearn.exceptions import NotFittedError

    return NotFittedError(f"This {type(model).__name__} is not fitted yet; call fit(X) first")
