"""ContentKNN: item-item cosine similarity of item embeddings, truncated to each item's nearest neighbours."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from longtail.recommend.models.base import Recommender
from longtail.recommend.neighbours import neighbours_to_csr, top_k_similarity
from longtail.validation import check_positive_int


class ContentKNN(Recommender):
    """Content-only kNN: recommend items whose embeddings are close to those of the user's items.

    ``item_vectors`` is a float array of shape ``(n_items, dim)`` whose row ``i`` describes item ``i``, the
    item of column ``i`` of the matrix given to ``fit`` (same item indexing, same length). Rows are
    L2-normalised in ``fit``, so ``sim(i, j)`` is the cosine of the two embeddings; an all-zero row (an item
    without text, say) has no neighbours and is no one's neighbour. Row ``i`` of ``similarity_`` keeps item
    ``i``'s ``k_neighbors`` most similar other items with positive cosine. Scoring is that of ``ItemKNN``:
    ``scores = X[users] @ similarity_``. Unlike ``ItemKNN``, an item nobody bought yet gets neighbours too,
    which is what lets this model reach new and long-tail items.

    The neighbours come from ``longtail.recommend.neighbours.top_k_similarity`` with ``method`` (``"auto"``: exact
    search, or FAISS beyond 200k items on the CPU) on torch ``device``: memory ``O(n_items * (dim + k_neighbors))``.

    Attributes after ``fit``: ``similarity_`` (``float32`` ``csr_matrix``, shape ``(n_items, n_items)``).
    """

    def __init__(self, item_vectors: np.ndarray, k_neighbors: int = 100, *, method: str = "auto", device="cpu"):
        self.item_vectors = item_vectors
        self.k_neighbors = check_positive_int(k_neighbors, "k_neighbors")
        if method not in ("auto", "exact", "faiss"):
            raise ValueError(f"method must be 'auto', 'exact' or 'faiss', got {method!r}")
        self.method = method
        self.device = device

    def _fit(self, X: sp.csr_matrix) -> None:
        vectors = np.asarray(self.item_vectors)
        if vectors.ndim != 2 or vectors.shape[0] != X.shape[1]:
            raise ValueError(
                f"item_vectors must have one row per item of X ({X.shape[1]} items), got shape {vectors.shape}"
            )
        if not np.issubdtype(vectors.dtype, np.floating):
            raise ValueError(f"item_vectors must be a float array, got {vectors.dtype}")
        if not np.isfinite(vectors).all():
            raise ValueError("item_vectors contains NaN or infinite values")
        vectors = vectors.astype(np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        np.divide(vectors, norms, out=vectors, where=norms > 0)
        indices, scores = top_k_similarity(vectors, self.k_neighbors, method=self.method, device=self.device)
        self.similarity_ = neighbours_to_csr(indices, scores, X.shape[1])

    def _score_batch(self, users: np.ndarray) -> np.ndarray:
        return (self.interactions_[users] @ self.similarity_).toarray()
