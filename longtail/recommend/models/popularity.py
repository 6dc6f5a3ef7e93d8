"""MostPopular: the non-personalised baseline."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from longtail.privacy.dp import PrivacySettings
from longtail.recommend.matrices import private_item_popularity
from longtail.recommend.models.base import Recommender


class MostPopular(Recommender):
    """Score every item by its training popularity: the number of distinct users who interacted with it.

    With ``privacy`` the counts are user-level differentially private (``private_item_popularity``: each user
    counts for at most ``privacy.max_keys_per_user`` items, sampled with ``seed``, plus OpenDP's noise); without
    it they are exact.

    Attributes after ``fit``: ``popularity_`` (``float32``, shape ``(n_items,)``).
    """

    def __init__(self, privacy: PrivacySettings | None = None, seed: int = 0):
        self.privacy = privacy
        self.seed = seed

    def _fit(self, X: sp.csr_matrix) -> None:
        if self.privacy is None:
            self.popularity_ = np.asarray(X.sum(axis=0), dtype=np.float32).ravel()
        else:
            self.popularity_ = private_item_popularity(X, self.privacy, seed=self.seed).astype(np.float32)

    def _score_batch(self, users: np.ndarray) -> np.ndarray:
        return np.tile(self.popularity_, (len(users), 1))
