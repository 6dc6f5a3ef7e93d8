"""longtail's own model: recency-aware EASE, blended with ALS's latent factors and content similarity, debiased for
popularity, and re-ranked so that each list's share of tail items follows the user's own tail appetite."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from longtail.privacy.dp import PrivacySettings
from longtail.recommend.matrices import private_item_popularity, tail_items
from longtail.recommend.models.als import ALS
from longtail.recommend.models.base import DEFAULT_BATCH_SIZE, Recommender
from longtail.recommend.models.ease import EASE
from longtail.recommend.neighbours import neighbours_to_csr, top_k_similarity
from longtail.recommend.profiles import shrunk_tail_appetite
from longtail.recommend.reranking import calibrate_tail_share
from longtail.validation import check_positive_int

# The settings that act at scoring time only: ``with_settings`` and ``recommend_each`` change them without refitting.
SCORING_SETTINGS = (
    "recent_weight", "popularity_exponent", "tail_weight", "content_weight", "sentiment_weight", "history_recency",
    "als_weight",
)  # fmt: skip
# The settings that are weights in [0, 1].
UNIT_WEIGHTS = ("recent_weight", "tail_weight", "sentiment_weight", "history_recency", "als_weight")
# Private recent popularity counts recency weights in steps of 1 / this (OpenDP's noise is on integer counts).
RECENCY_RESOLUTION = 100


class _Scores(NamedTuple):
    """``(n_users, n_items)`` float32 scores and ``(n_users, 1)`` each row's largest absolute finite score (1 for a
    row without one): what ``_scaled`` divides by, kept so that a grid of weights does not find it again."""

    scores: np.ndarray
    divisor: np.ndarray


class _Components(NamedTuple):
    """One batch of users' raw scores from each fitted component, before the scoring-time settings weigh them;
    ``co_bought`` (n_users, n_items) bool marks the items that a customer who has one of the user's items has too."""

    ease: _Scores
    recent: _Scores | None
    als: _Scores | None
    content: _Scores | None
    co_bought: np.ndarray


class LongTailHybrid(Recommender):
    """Hybrid recommender for catalogues with a long tail.

    Relevance of item ``j`` for user ``u``, each term scaled so that the user's best item scores 1:

        relevance = ((1 - als_weight) * (recent_weight * r_u @ B_recent + (1 - recent_weight) * r_u @ B)
                     + als_weight * U_u @ V_j + content_weight * r_u @ S) / popularity_j ** popularity_exponent

    - ``B`` is EASE fitted on the binarised interactions; ``B_recent`` is EASE fitted on the recency weights
      (``fit(X, recency=W)``), so co-purchases of the last weeks count more: seasonal catalogues change fast.
    - ``r_u`` is the user's history: ``(1 - history_recency) * binary + history_recency * recency``, the recency
      weights (when ``recency`` is given; else the history is binary) relative to the user's latest purchase
      (weight 1). Recency weighs what a user bought lately above what they bought years ago, which helps a
      seasonal shop; where tastes last (magazine subscriptions), the binary history ranks better, and
      ``history_recency`` 0 with every other weight 0 ranks the linked items (below) as the EASE it holds.
    - ``U @ V.T`` are the scores of an implicit-feedback ALS (``longtail.recommend.models.als.ALS``) fitted on
      ``X`` with ``als_settings`` (or given to ``fit``), fitted only with ``als_weight`` above 0: where a shop's
      tastes are better told by latent factors than by co-purchases (magazine subscriptions), validation can lean
      on them; ``als_weight`` 1 with every other weight 0 ranks the linked items as that ALS.
    - ``S`` is the item-item content similarity (top ``content_neighbors`` cosine neighbours of ``item_vectors``),
      which reaches items with few interactions; ``content_weight = 0`` leaves it out.
    - Dividing by ``popularity ** popularity_exponent`` (popularity = users per item, at least 1) corrects the
      popularity bias of the collaborative scores: 0 keeps it, 1 removes it entirely.
    - ``item_quality`` (n_items,) in [-1, 1] is what reviews say of each item relative to the catalogue's average
      (0 for items nobody reviewed, see ``longtail.language.item_sentiment.sentiment_quality``); relevance is
      multiplied by ``1 + sentiment_weight * item_quality``, so well-liked items move up and disliked ones down,
      while items without reviews (most of the tail) keep their scores.

    ``recommend`` then calibrates each list's share of tail items to the user's tail appetite, the share of tail
    items among the user's own items shrunk towards the average user's with ``appetite_prior`` pseudo-items
    (``longtail.recommend.reranking.calibrate_tail_share``, weight ``tail_weight``; 0 switches it off). Tail items
    are those outside the head that makes ``head_share`` of training interactions. An item scores above every other
    only where it scores above 0 and something links it to the user's items: a customer who has one of them has it
    too, or (with the content term) their texts are neighbours. The rest follow in the order of the new-user list,
    (recent) popularity debiased: where a shop's users buy once or twice (the 5-core shop), the scores of items
    nothing links are noise, and had filled lists with unnamed items "for variety".

    With ``privacy`` the two popularity vectors (``popularity_`` and the recent popularity ``cold_scores_``, the
    "popular now" list) are user-level differentially private, each at ``privacy``'s (epsilon, delta)
    (``longtail.recommend.matrices.private_item_popularity``; recency weights at a resolution of
    ``RECENCY_RESOLUTION``): the tail split and the debiasing then follow the private counts. The personalised
    scores still come from each user's own history.

    Memory: two dense ``(m, m)`` float32 matrices, ``m = min(n_items, max_items)`` (see ``EASE``).

    Attributes after ``fit``: ``ease_``, ``recent_ease_`` (fitted ``EASE``; None without recency), ``als_`` (the
    fitted ALS; None with ``als_weight`` 0),
    ``content_similarity_`` (csr or None), ``popularity_`` (n_items,), ``tail_`` (n_items,) bool, ``appetite_``
    (n_users,), ``history_`` (the scoring input: recency weights relative to each user's latest, or the binarised
    interactions, as ``history_recency`` mixes them), ``quality_`` (n_items,) the item quality in use (zeros
    without ``item_quality``).
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
        history_recency: float = 1.0,
        als_weight: float = 0.0,
        als_settings: dict | None = None,
        appetite_prior: float = 5.0,
        head_share: float = 0.8,
        max_items: int = 8_000,
        privacy: PrivacySettings | None = None,
    ):
        _check_settings(
            {
                "recent_weight": recent_weight,
                "popularity_exponent": popularity_exponent,
                "tail_weight": tail_weight,
                "content_weight": content_weight,
                "sentiment_weight": sentiment_weight,
                "history_recency": history_recency,
                "als_weight": als_weight,
                "appetite_prior": appetite_prior,
            }
        )
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
        self.history_recency = float(history_recency)
        self.als_weight = float(als_weight)
        self.als_settings = als_settings
        self.appetite_prior = float(appetite_prior)
        self.head_share = head_share
        self.max_items = max_items
        self.privacy = privacy

    def fit(self, X, recency=None, *, ease: EASE | None = None, als: Recommender | None = None) -> LongTailHybrid:
        """Fit on ``X`` (sparse ``(n_users, n_items)``, binarised) and optionally ``recency``: a sparse matrix of the
        same shape with a weight in (0, 1] where ``X`` has an interaction (e.g. ``exp(-age / half_life)``, see
        ``longtail.recommend.evaluation.recency_weights``). ``ease``: an ``EASE`` already fitted on ``X`` with this
        hybrid's ``l2`` and ``max_items`` (such as the tuned baseline), taken as ``ease_`` rather than fitting the
        same model again: on large catalogues each EASE fit is the costly part. ``als``: likewise a recommender
        fitted on ``X`` whose ``score`` gives the ALS term (such as the tuned ALS baseline, on Spark or not), taken
        as ``als_`` when ``als_weight`` is above 0 rather than fitting ``ALS(**als_settings)``. Returns self."""
        if ease is not None:
            if not isinstance(ease, EASE) or not hasattr(ease, "weights_"):
                raise ValueError(f"ease must be a fitted EASE, got {type(ease).__name__}")
            if (ease.l2, ease.max_items) != (float(self.l2), self.max_items):
                raise ValueError(
                    f"ease has l2={ease.l2}, max_items={ease.max_items}; this hybrid needs {self.l2}, {self.max_items}"
                )
        if als is not None and not hasattr(als, "interactions_"):
            raise ValueError(f"als must be a fitted recommender, got an unfitted {type(als).__name__}")
        self._fitted_ease = ease
        self._fitted_als = als
        if recency is not None:
            recency = sp.csr_matrix(recency, dtype=np.float64)
            if recency.shape != X.shape:
                raise ValueError(f"recency has shape {recency.shape}, X has {X.shape}; they must match")
            if recency.nnz and (recency.data.min() < 0 or recency.data.max() > 1):
                raise ValueError("recency weights must be in [0, 1]")
        self._recency = recency
        return super().fit(X)

    def _fit(self, X: sp.csr_matrix) -> None:
        for name, given in (("ease", self._fitted_ease), ("als", self._fitted_als)):
            if given is not None and (given.interactions_.shape != X.shape or (given.interactions_ != X).nnz):
                raise ValueError(f"{name} was fitted on other interactions than X")
        given = self._fitted_ease
        self.ease_ = given if given is not None else EASE(self.l2, max_items=self.max_items).fit(X)
        self.als_ = None
        if self.als_weight > 0:
            given = self._fitted_als
            self.als_ = given if given is not None else ALS(**(self.als_settings or {})).fit(X)
        self.recent_ease_ = None
        recent = self._recency.astype(np.float32) if self._recency is not None else X
        if self._recency is not None and self.recent_weight > 0:
            self.recent_ease_ = EASE(self.l2, max_items=self.max_items)
            self.recent_ease_._fit(recent)  # the closed form on the weights themselves, not binarised
        self.binary_history_ = X.astype(np.float32)
        self.recency_history_ = _relative_to_latest(self._recency) if self._recency is not None else None
        self.history_ = self._history()
        self.content_similarity_ = self._content_similarity(X.shape[1]) if self.content_weight > 0 else None
        if self.privacy is None:
            self.popularity_ = np.asarray(X.sum(axis=0), dtype=np.float64).ravel()
            self.cold_scores_ = np.asarray(recent.sum(axis=0), dtype=np.float32).ravel()
        else:
            self.popularity_ = private_item_popularity(X, self.privacy)
            cold = private_item_popularity(recent, self.privacy, resolution=RECENCY_RESOLUTION)
            self.cold_scores_ = cold.astype(np.float32)
        self.tail_ = tail_items(self.popularity_, self.head_share)
        self.appetite_ = shrunk_tail_appetite(X, self.tail_, self.appetite_prior)
        self.overall_appetite_ = float(X[:, self.tail_].nnz / max(X.nnz, 1))
        self.quality_ = self._quality(X.shape[1])

    def _history(self) -> sp.csr_matrix:
        """The scoring input under ``history_recency``: the binary history mixed with the relative recency weights
        (the binary history alone without recency)."""
        if self.recency_history_ is None or self.history_recency == 0.0:
            return self.binary_history_
        if self.history_recency == 1.0:
            return self.recency_history_
        mixed = (1 - self.history_recency) * self.binary_history_ + self.history_recency * self.recency_history_
        return sp.csr_matrix(mixed, dtype=np.float32)

    def _quality(self, n_items: int) -> np.ndarray:
        if self.item_quality is None:
            return np.zeros(n_items, dtype=np.float32)
        quality = np.asarray(self.item_quality, dtype=np.float32)
        if quality.shape != (n_items,) or not np.isfinite(quality).all() or np.abs(quality).max(initial=0) > 1:
            raise ValueError(f"item_quality must be ({n_items},) finite values in [-1, 1] aligned to X's items")
        return quality

    def _content_similarity(self, n_items: int) -> sp.csr_matrix:
        vectors = np.asarray(self.item_vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != n_items:
            raise ValueError(f"item_vectors must have shape ({n_items}, dim) aligned to X's items, got {vectors.shape}")
        k = min(self.content_neighbors, n_items - 1)
        indices, scores = top_k_similarity(vectors, k) if k > 0 else (np.empty((n_items, 0)), np.empty((n_items, 0)))
        return neighbours_to_csr(indices, scores, n_items)

    def with_settings(self, **settings: float) -> LongTailHybrid:
        """A copy of this fitted hybrid with other scoring-time settings (any of ``SCORING_SETTINGS``), sharing
        the fitted matrices: nothing is refitted. A component the fit left out stays out: the recency EASE
        (fitted with ``recent_weight`` 0 or without ``recency``) and the content similarity (fitted with
        ``content_weight`` 0), so fit with every weight you will ask for above 0. ``content_weight=0`` drops
        the content term from the copy."""
        unknown = set(settings) - set(SCORING_SETTINGS)
        if unknown:
            raise ValueError(f"only the scoring-time settings {SCORING_SETTINGS} can change, got {sorted(unknown)}")
        if not hasattr(self, "ease_"):
            raise ValueError("with_settings needs a fitted hybrid; call fit(X) first")
        _check_settings(settings)
        if settings.get("content_weight", 0.0) > 0 and self.content_similarity_ is None:
            raise ValueError("content_weight > 0 needs the content similarity: fit with content_weight > 0")
        if settings.get("als_weight", 0.0) > 0 and self.als_ is None:
            raise ValueError("als_weight > 0 needs the ALS: fit with als_weight > 0")
        variant = copy.copy(self)
        for name, value in settings.items():
            setattr(variant, name, float(value))
        if variant.content_weight == 0.0:
            variant.content_similarity_ = None
        if variant.als_weight == 0.0:
            variant.als_ = None
        if variant.history_recency != self.history_recency:
            variant.history_ = variant._history()
        return variant

    def recommend_each(
        self,
        users,
        k: int,
        settings: Sequence[dict],
        *,
        exclude_seen: bool = True,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> list[np.ndarray]:
        """``[self.with_settings(**s).recommend(users, k) for s in settings]``, the same lists, with each
        fitted component scoring a batch of users once for all ``settings`` of one ``history_recency`` rather than
        once per settings: the other scoring-time settings only reweigh the components, so a grid costs one pass
        of EASE scoring per history plus the grid's re-rankings. Returns one ``(len(users), k)`` int64 array per
        entry of ``settings``."""
        variants = [self.with_settings(**point) for point in settings]
        users = self._check_users(users)
        k = check_positive_int(k, "k")
        batch_size = check_positive_int(batch_size, "batch_size")
        lists = [np.full((len(users), k), -1, dtype=np.int64) for _ in variants]
        # Every component of this fit, scored once per history the settings ask for.
        histories = {variant.history_recency for variant in variants}
        scorers = {history: self.with_settings(history_recency=history) for history in histories}
        # Settings that differ only in tail_weight share one relevance (it acts in the re-ranking): in this order each
        # relevance is computed once and only one is held at a time.
        relevance_keys = [
            tuple(getattr(variant, name) for name in SCORING_SETTINGS if name != "tail_weight") for variant in variants
        ]
        order = sorted(range(len(variants)), key=lambda position: relevance_keys[position])
        for start in range(0, len(users), batch_size):
            batch = users[start : start + batch_size]
            components = {history: scorer._components(batch) for history, scorer in scorers.items()}
            key, relevance = None, None
            for position in order:
                variant = variants[position]
                if relevance_keys[position] != key:
                    key, relevance = relevance_keys[position], variant._relevance(components[variant.history_recency])
                lists[position][start : start + len(batch)] = variant._lists(relevance, batch, k, exclude_seen)
        return lists

    def _score_batch(self, users: np.ndarray) -> np.ndarray:
        return self._relevance(self._components(users))

    def _components(self, users: np.ndarray) -> _Components:
        history = self.history_[users]
        return _Components(
            ease=_with_divisor(self.ease_.score_history(history)),
            recent=None if self.recent_ease_ is None else _with_divisor(self.recent_ease_.score_history(history)),
            als=None if self.als_ is None else _with_divisor(self.als_.score(users)),
            content=None
            if self.content_similarity_ is None
            else _with_divisor((history @ self.content_similarity_).toarray()),
            co_bought=((history.sign() @ self.binary_history_.T) @ self.binary_history_).toarray() > 0,
        )

    def _relevance(self, components: _Components) -> np.ndarray:
        """The debiased relevance of one batch under this hybrid's scoring-time settings (writable, float32)."""
        relevance = _weighted(components.ease, 1 - self.recent_weight)
        if self.recent_ease_ is not None and self.recent_weight > 0:
            relevance += _weighted(components.recent, self.recent_weight)
        if self.als_ is not None:
            relevance = (1 - self.als_weight) * relevance + _weighted(components.als, self.als_weight)
        linked = components.co_bought
        if self.content_similarity_ is not None:
            relevance += _weighted(components.content, self.content_weight)
            if self.content_weight > 0:
                linked = linked | (components.content.scores > 0)
        relevance = self._debiased(relevance)
        # Linked items with a score above 0 move to (1, 2]; the rest take the new-user list's scores, in [0, 1].
        kept = linked & (relevance > 0)
        return np.where(kept, relevance + 1.0, self._debiased(self.cold_scores_[None, :])).astype(np.float32)

    def _debiased(self, relevance: np.ndarray) -> np.ndarray:
        # A setting of 0 would divide or multiply by 1: skipped, as the same lists come out faster over a grid.
        if self.popularity_exponent > 0:
            relevance = relevance / np.maximum(self.popularity_, 1.0)[None, :] ** self.popularity_exponent
        if self.sentiment_weight > 0:
            relevance = relevance * (1.0 + self.sentiment_weight * self.quality_)[None, :]
        return _scaled(relevance, 1.0).astype(np.float32, copy=False)

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


def _relative_to_latest(recency: sp.csr_matrix) -> sp.csr_matrix:
    """``recency`` (float64) with each user's row divided by its largest weight, as float32: the scoring input. Each
    score term is scaled to the user's best item, so a user's weights count only relative to each other; in absolute
    terms a customer last seen 12 years ago has float32 weights of 0, which scored every item 0 and listed the
    catalogue in id order."""
    recency = recency.tocsr()
    lengths = np.diff(recency.indptr)
    top = np.ones(recency.shape[0])
    filled = lengths > 0
    top[filled] = np.maximum.reduceat(recency.data, recency.indptr[:-1][filled])
    data = recency.data / np.repeat(np.where(top > 0, top, 1.0), lengths)
    return sp.csr_matrix((data, recency.indices, recency.indptr), recency.shape, dtype=np.float32)


def _scaled(scores: np.ndarray, weight: float) -> np.ndarray:
    """``weight * scores`` with each row divided by its largest absolute finite value (rows of zeros stay 0)."""
    return _weighted(_with_divisor(scores), weight)


def _with_divisor(scores: np.ndarray) -> _Scores:
    scores = np.asarray(scores, dtype=np.float32)
    top = np.where(np.isfinite(scores), np.abs(scores), 0.0).max(axis=1, keepdims=True)
    return _Scores(scores, np.where(top > 0, top, 1.0))


def _weighted(scaled: _Scores, weight: float) -> np.ndarray:
    if weight == 1.0:  # the same values, one pass fewer
        return scaled.scores / scaled.divisor
    return weight * scaled.scores / scaled.divisor


def _check_settings(settings: dict[str, float]) -> None:
    """Raise ``ValueError`` unless the weights among ``settings`` are in [0, 1] and the others finite and >= 0."""
    for name, value in settings.items():
        if name in UNIT_WEIGHTS:
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value!r}")
        elif not np.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
