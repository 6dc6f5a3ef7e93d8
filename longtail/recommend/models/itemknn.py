"""ItemKNN: item-item cosine similarity, truncated to each item's nearest neighbours."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from longtail.recommend.models.neighbour_model import NeighbourModel
from longtail.recommend.neighbours import collaborative_top_k
from longtail.validation import check_positive_int


class ItemKNN(NeighbourModel):
    """Item-based collaborative filtering with a sparse top-k cosine similarity matrix.

    ``sim(i, j) = |U_i & U_j| / (sqrt(|U_i|) * sqrt(|U_j|) + shrink)`` on the binarised matrix, where ``U_i``
    is the set of users of item ``i``; ``sim(i, i) = 0`` and items without users have no neighbours. Row ``i``
    of ``similarity_`` keeps only item ``i``'s ``k_neighbors`` most similar items (positive similarities only;
    ties at the k-th neighbour are broken by the lower index), so it is not symmetric. A user's score for item ``j``
    is ``sum(sim(i, j))`` over the items ``i`` the user interacted with whose neighbours include ``j``:
    ``scores = X[users] @ similarity_``.

    Similarities are computed by ``longtail.recommend.neighbours.collaborative_top_k``, ``block_size`` items at a
    time: peak memory is about ``block_size * n_items`` floats for the dense block plus ``n_items * k_neighbors``
    for the result, never ``n_items ** 2``.

    Attributes after ``fit``: ``similarity_`` (``float32`` ``csr_matrix``, shape ``(n_items, n_items)``).
    """

    def __init__(self, k_neighbors: int = 100, shrink: float = 0.0, *, block_size: int = 1024):
        self.k_neighbors = check_positive_int(k_neighbors, "k_neighbors")
        if not np.isfinite(shrink) or shrink < 0:
            raise ValueError(f"shrink must be a finite number >= 0, got {shrink!r}")
        self.shrink = float(shrink)
        self.block_size = check_positive_int(block_size, "block_size")

    def _neighbours(self, X: sp.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
        return collaborative_top_k(X, k, shrink=self.shrink, block_size=self.block_size)
