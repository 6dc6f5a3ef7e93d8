"""The item-neighbour recommenders' shared part: scoring by a sparse matrix of each item's best neighbours, and one
neighbour search for every neighbour count a grid tries."""

from __future__ import annotations

import copy
from abc import abstractmethod
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from longtail.recommend.matrices import check_interactions
from longtail.recommend.models.base import Recommender
from longtail.recommend.neighbours import neighbours_to_csr
from longtail.validation import check_positive_int


class NeighbourModel(Recommender):
    """A recommender whose ``similarity_`` row ``i`` holds item ``i``'s ``k_neighbors`` best neighbours:
    ``scores = X[users] @ similarity_``. Subclasses implement ``_neighbours(X, k)``, which returns ``(indices,
    scores)`` of shape ``(n_items, k)``, each row best first with ties by the lower index (as
    ``longtail.recommend.neighbours.collaborative_top_k`` does).

    Attributes after ``fit``: ``similarity_`` (``float32`` ``csr_matrix``, shape ``(n_items, n_items)``).
    """

    k_neighbors: int

    @abstractmethod
    def _neighbours(self, X: sp.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]: ...

    def _fit(self, X: sp.csr_matrix) -> None:
        self.similarity_ = neighbours_to_csr(*self._neighbours(X, self.k_neighbors), X.shape[1])

    def _score_batch(self, users: np.ndarray) -> np.ndarray:
        return (self.interactions_[users] @ self.similarity_).toarray()

    def fit_each_k(self, X, ks: Sequence[int]) -> list[NeighbourModel]:
        """Copies of this model fitted on ``X``, one per neighbour count of ``ks``, each equal to
        ``copy(k_neighbors=k).fit(X)``. The neighbour search, most of a fit's time, runs once at the largest
        ``k``: as each row ranks its neighbours best first, ties by the lower index, the first ``k`` columns are
        what a search at ``k`` returns. For tuning ``k_neighbors`` over a grid."""
        X = check_interactions(X)
        ks = [check_positive_int(k, "k") for k in ks]
        if not ks:
            return []
        indices, scores = self._neighbours(X, max(ks))
        fitted = []
        for k in ks:
            model = copy.copy(self)
            model.k_neighbors = k
            model.similarity_ = neighbours_to_csr(indices[:, :k], scores[:, :k], X.shape[1])
            fitted.append(model._fitted_on(X))
        return fitted
