"""longtail's own model: recency-aware EASE, blended with content similarity, debiased for popularity, and
re-ranked so that each list's share of tail items follows the user's own tail appetite."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from longtail.recommend.matrices import tail_items
from longtail.recommend.models.base import Recommender
from longtail.recommend.models.ease import EASE
from longtail.recommend.profiles import shrunk_tail_appetite
from longtail.recommend.reranking import calibrate_tail_share
from longtail.validation import check_positive_int


class LongTailHybrid(Recommender):
    """Hybrid recommender for catalogues with a long tail.

    Relevance of item ``j`` for user ``u``, each term scaled so that the user's best item scores 1:

        relevance = (recent_weight * r_u @ B_recent + (1 - recent_weight) * r_u @ B
                     + content_weight * r_u @ S) / popularity_j ** popularity_exponent

    - ``B`` is EASE fitted on the binarised interactions; ``B_recent`` is EASE fitted on the recency weights
      (``fit(X, recency=W)``), so co-purchases of the last weeks count more: seasonal catalogues change fast.
    - ``r_u`` is the user's history weighted by recency when ``recency`` is given (else binary).
    - ``S`` is the item-item content similarity (top ``content_neighbors`` cosine neighbours of ``item_vectors``),
      which reaches items with few interactions; ``content_weight = 0`` leaves it out.
    - Dividing by ``popularity ** popularity_exponent`` (popularity = users per item, at least 1) corrects the
      popularity bias of the collaborative scores: 0 keeps it, 1 removes it entirely.
    - ``item_quality`` (n_items,) in [-1, 1] is what reviews say of each item relative to the catalogue's average
      (0 for items nobody reviewed, see ``longtail.language.sentiment.sentiment_quality``); relevance is multiplied by
      ``1 + sentiment_weight * item_quality``, so well-liked items move up and disliked ones down, while items
      without reviews (most of the tail) keep their scores.

    ``recommend`` then calibrates each list's share of tail items to the user's tail appetite, the share of tail
    items among the user's own items shrunk towards the average user's with ``appetite_prior`` pseudo-items
    (``longtail.recommend.reranking.calibrate_tail_share``, weight ``tail_weight``; 0 switches it off). Tail items are those
    outside the head that makes ``head_share`` of training interactions. Users without history are scored by
    (recent) popularity, so a cold-start user still gets a full list.

    Memory: two dense ``(m, m)`` float32 matrices, ``m = min(n_items, max_items)`` (see ``EASE``).

    Attributes after ``fit``: ``ease_``, ``recent_ease_`` (fitted ``EASE``; None without recency),
    ``content_similarity_`` (csr or None), ``popularity_`` (n_items,), ``tail_`` (n_items,) bool, ``appetite_``
    (n_users,), ``history_`` (the scoring input: recency weights, or the binarised interactions), ``quality_``
    (n_items,) the item quality in use (zeros without ``item_quality``).
    """

    def __init__(
        self,
        *,
        l2: float = 200.0,
        recent_weight: float = 0.3,
        popularity_exponent: float = 0.4,
        content_weight: float = 0.0,
        item_vectors: np.ndarray | None = None,
        content_neighbors: int = 100,
        tail_weight: float = 0.0,
        item_quality: np.ndarray | None = None,
        sentiment_weight: float = 0.0,
        appetite_prior: float = 5.0,
        head_share: float = 0.8,
        max_items: int = 8_000,
    ):
        for name, value in (
            ("recent_weight", recent_weight),
            ("tail_weight", tail_weight),
            ("sentiment_weight", sentiment_weight),
        ):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value!r}")
        for name, value in (
            ("popularity_exponent", popularity_exponent),
            ("content_weight", content_weight),
            ("appetite_prior", appetite_prior),
        ):
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        if content_weight > 0 and item_vectors is None:
            raise ValueError("content_weight > 0 needs item_vectors (n_items, dim)")
        self.l2 = l2
        self.recent_weight = float(recent_weight)
        self.popularity_exponent = float(popularity_exponent)
        self.content_weight = float(content_weight)
        self.item_vectors = item_vectors
        self.content_neighbors = check_positive_int(content_neighbors, "content_neighbors")
        self.tail_weight = float(tail_weight)
        self.item_quality = item_quality
        self.sentiment_weight = float(sentiment_weight)
        self.appetite_prior = float(appetite_prior)
        self.head_share = head_share
        self.max_items = max_items

    def fit(self, X, recency=None) -> LongTailHybrid:
        """Fit on ``X`` (sparse ``(n_users, n_items)``, binarised) and optionally ``recency``: a sparse matrix of the
        same shape with a weight in (0, 1] where ``X`` has an interaction (e.g. ``exp(-age / half_life)``, see
        ``longtail.recommend.evaluation.recency_weights``). Returns self."""
        if recency is not None:
            recency = sp.csr_matrix(recency, dtype=np.float32)
            if recency.shape != X.shape:
                raise ValueError(f"recency has shape {recency.shape}, X has {X.shape}; they must match")
            if recency.nnz and (recency.data.min() < 0 or recency.data.max() > 1):
                raise ValueError("recency weights must be in [0, 1]")
        self._recency = recency
        return super().fit(X)

    def _fit(self, X: sp.csr_matrix) -> None:
        self.ease_ = EASE(self.l2, max_items=self.max_items).fit(X)
        self.recent_ease_ = None
        if self._recency is not None and self.recent_weight > 0:
            self.recent_ease_ = EASE(self.l2, max_items=self.max_items)
            self.recent_ease_._fit(self._recency)  # the closed form on the weights themselves, not binarised
        self.history_ = self._recency if self._recency is not None else X
        self.content_similarity_ = self._content_similarity(X.shape[1]) if self.content_weight > 0 else None
        self.popularity_ = np.asarray(X.sum(axis=0), dtype=np.float64).ravel()
        self.cold_scores_ = np.asarray(self.history_.sum(axis=0), dtype=np.float32).ravel()
        self.tail_ = tail_items(self.popularity_, self.head_share)
        self.appetite_ = shrunk_tail_appetite(X, self.tail_, self.appetite_prior)
        self.overall_appetite_ = float(X[:, self.tail_].nnz / max(X.nnz, 1))
        self.quality_ = self._quality(X.shape[1])

    def _quality(self, n_items: int) -> np.ndarray:
        if self.item_quality is None:
            return np.zeros(n_items, dtype=np.float32)
        quality = np.asarray(self.item_quality, dtype=np.float32)
        if quality.shape != (n_items,) or not np.isfinite(quality).all() or np.abs(quality).max(initial=0) > 1:
            raise ValueError(f"item_quality must be ({n_items},) finite values in [-1, 1] aligned to X's items")
        return quality

    def _content_similarity(self, n_items: int) -> sp.csr_matrix:
        from longtail.recommend.neighbours import neighbours_to_csr, top_k_similarity

        vectors = np.asarray(self.item_vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != n_items:
            raise ValueError(f"item_vectors must have shape ({n_items}, dim) aligned to X's items, got {vectors.shape}")
        k = min(self.content_neighbors, n_items - 1)
        indices, scores = top_k_similarity(vectors, k) if k > 0 else (np.empty((n_items, 0)), np.empty((n_items, 0)))
        return neighbours_to_csr(indices, scores, n_items)

    def _score_batch(self, users: np.ndarray) -> np.ndarray:
        history = self.history_[users]
        relevance = _scaled(self.ease_.score_history(history), 1 - self.recent_weight)
        if self.recent_ease_ is not None:
            relevance += _scaled(self.recent_ease_.score_history(history), self.recent_weight)
        if self.content_similarity_ is not None:
            relevance += _scaled((history @ self.content_similarity_).toarray(), self.content_weight)
        relevance[np.diff(history.indptr) == 0] = self.cold_scores_
        return self._debiased(relevance)

    def _debiased(self, relevance: np.ndarray) -> np.ndarray:
        relevance = relevance / np.maximum(self.popularity_, 1.0)[None, :] ** self.popularity_exponent
        relevance = relevance * (1.0 + self.sentiment_weight * self.quality_)[None, :]
        return _scaled(relevance, 1.0).astype(np.float32)

    def recommend_cold(self, k: int) -> np.ndarray:
        """(k,) item indices for a user without history: recent popularity, debiased and calibrated like any list
        to the tail appetite of the average user."""
        k = check_positive_int(k, "k")
        relevance = self._debiased(self.cold_scores_[None, :])
        appetite = np.array([self.overall_appetite_])
        return calibrate_tail_share(relevance, self.tail_, appetite, k, self.tail_weight)[0]

    def _select(self, scores: np.ndarray, users: np.ndarray, k: int) -> np.ndarray:
        """Top-``k`` per row, calibrated to each user's tail appetite (``tail_weight`` 0: plain top-k)."""
        return calibrate_tail_share(scores, self.tail_, self.appetite_[users], k, self.tail_weight)


def _scaled(scores: np.ndarray, weight: float) -> np.ndarray:
    """``weight * scores`` with each row divided by its largest absolute finite value (rows of zeros stay 0)."""
    scores = np.asarray(scores, dtype=np.float32)
    finite = np.where(np.isfinite(scores), np.abs(scores), 0.0)
    top = finite.max(axis=1, keepdims=True)
    return weight * scores / np.where(top > 0, top, 1.0)
