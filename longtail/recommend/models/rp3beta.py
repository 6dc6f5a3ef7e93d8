"""RP3beta: item-item weights of a popularity-discounted three-step random walk (Paudel et al. 2017), one of the
strongest simple baselines in Dacrema et al. (2019), and one known to reach the tail."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from longtail.recommend.models.neighbour_model import NeighbourModel
from longtail.recommend.neighbours import rp3beta_top_k
from longtail.validation import check_positive_int


class RP3Beta(NeighbourModel):
    """Graph-based item kNN: ``w(i, j) = (P_iu ** alpha @ P_ui ** alpha)[i, j] / popularity(j) ** beta``, each item
    keeping its ``k_neighbors`` strongest neighbours (``longtail.recommend.neighbours.rp3beta_top_k``); scoring is
    that of ``ItemKNN``: ``scores = X[users] @ similarity_``.

    Parameters: ``alpha`` (> 0) sharpens or flattens the transition probabilities; ``beta`` (>= 0) discounts
    popular targets (0 is P3alpha); ``k_neighbors`` per item.

    Attributes after ``fit``: ``similarity_`` (``float32`` ``csr_matrix``, shape ``(n_items, n_items)``).
    """

    def __init__(self, alpha: float = 1.0, beta: float = 0.5, k_neighbors: int = 200, *, block_size: int = 1024):
        if not np.isfinite(alpha) or alpha <= 0:
            raise ValueError(f"alpha must be a finite number > 0, got {alpha!r}")
        if not np.isfinite(beta) or beta < 0:
            raise ValueError(f"beta must be a finite number >= 0, got {beta!r}")
        self.alpha = float(alpha)
        self.beta = float(beta)
        self.k_neighbors = check_positive_int(k_neighbors, "k_neighbors")
        self.block_size = check_positive_int(block_size, "block_size")

    def _neighbours(self, X: sp.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
        return rp3beta_top_k(X, k, alpha=self.alpha, beta=self.beta, block_size=self.block_size)
