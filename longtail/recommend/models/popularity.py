"""MostPopular: the non-personalised baseline."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from longtail.recommend.models.base import Recommender


class MostPopular(Recommender):
    """Score every item by its training popularity: the number of distinct users who interacted with it.

    Attributes after ``fit``: ``popularity_`` (``float32``, shape ``(n_items,)``).
    """

    def _fit(self, X: sp.csr_matrix) -> None:
        self.popularity_ = np.asarray(X.sum(axis=0), dtype=np.float32).ravel()

    def _score_batch(self, users: np.ndarray) -> np.ndarray:
        return np.tile(self.popularity_, (len(users), 1))
