"""ItemKNN: item-item cosine similarity, truncated to each item's nearest neighbours."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from longtail.recommenders.base import Recommender, _check_positive_int


class ItemKNN(Recommender):
    """Item-based collaborative filtering with a sparse top-k cosine similarity matrix.

    ``sim(i, j) = |U_i & U_j| / (sqrt(|U_i|) * sqrt(|U_j|) + shrink)`` on the binarised matrix, where ``U_i``
    is the set of users of item ``i``; ``sim(i, i) = 0`` and items without users have no neighbours. Row ``i``
    of ``similarity_`` keeps only item ``i``'s ``k_neighbors`` most similar items (positive similarities only;
    ties at the k-th neighbour are broken arbitrarily), so it is not symmetric. A user's score for item ``j``
    is ``sum(sim(i, j))`` over the items ``i`` the user interacted with whose neighbours include ``j``:
    ``scores = X[users] @ similarity_``.

    Similarities are computed ``block_size`` items at a time: peak memory is about
    ``block_size * n_items`` floats for the dense block plus ``n_items * k_neighbors`` for the result, never
    ``n_items ** 2``.

    Attributes after ``fit``: ``similarity_`` (``float32`` ``csr_matrix``, shape ``(n_items, n_items)``).
    """

    def __init__(self, k_neighbors: int = 100, shrink: float = 0.0, *, block_size: int = 1024):
        self.k_neighbors = _check_positive_int(k_neighbors, "k_neighbors")
        if not np.isfinite(shrink) or shrink < 0:
            raise ValueError(f"shrink must be a finite number >= 0, got {shrink!r}")
        self.shrink = float(shrink)
        self.block_size = _check_positive_int(block_size, "block_size")

    def _fit(self, X: sp.csr_matrix) -> None:
        n_items = X.shape[1]
        k = min(self.k_neighbors, n_items - 1)
        item_users = X.T.tocsr()
        norms = np.sqrt(np.asarray(item_users.sum(axis=1), dtype=np.float32).ravel())
        indices, values = [], []
        for start in range(0, n_items, self.block_size):
            stop = min(start + self.block_size, n_items)
            sims = (item_users[start:stop] @ X).toarray()
            denom = norms[start:stop, None] * norms[None, :] + np.float32(self.shrink)
            np.divide(sims, denom, out=sims, where=denom > 0)
            sims[np.arange(stop - start), np.arange(start, stop)] = 0.0
            top = np.argpartition(-sims, max(k - 1, 0), axis=1)[:, :k]
            indices.append(top)
            values.append(np.take_along_axis(sims, top, axis=1))
        rows = np.repeat(np.arange(n_items), k)
        similarity = sp.csr_matrix(
            (np.concatenate(values).ravel(), (rows, np.concatenate(indices).ravel())),
            shape=(n_items, n_items),
            dtype=np.float32,
        )
        similarity.eliminate_zeros()
        self.similarity_ = similarity

    def _score_batch(self, users: np.ndarray) -> np.ndarray:
        return (self.interactions_[users] @ self.similarity_).toarray()
