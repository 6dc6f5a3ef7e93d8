"""What reviews say of each item: per-item sentiment aggregates with aspect phrases, and the quality signal the
recommender blends into relevance."""

from __future__ import annotations

import numpy as np
import pandas as pd

from longtail.language import aspects
from longtail.language.reviews import LABELS, review_texts
from longtail.stats import wilson_interval
from longtail.validation import require_columns

SCORED_REVIEW_COLUMNS = ["dataset", "item_id", "label", "score", "title", "text"]
ITEM_SENTIMENT_COLUMNS = [
    "dataset",
    "item_id",
    "n_reviews",
    "n_positive",
    "n_neutral",
    "n_negative",
    "mean_score",
    "positive_share",
    "wilson_lower",
    "positive_aspects",
    "negative_aspects",
]


def item_sentiment(
    scored_reviews: pd.DataFrame,
    n_aspects: int = 3,
    min_aspect_reviews: int = aspects.MIN_PHRASE_REVIEWS,
    generic_words: frozenset[str] = aspects.GENERIC_PHRASES,
    leave_out_kind: bool = True,
    negation_scope: bool = True,
) -> pd.DataFrame:
    """Aggregate scored reviews into one row per ``(dataset, item_id)`` with ``ITEM_SENTIMENT_COLUMNS``.

    ``scored_reviews`` needs ``SCORED_REVIEW_COLUMNS`` (``label`` in ``LABELS``, ``score`` in [-1, 1]). Per item:
    counts per label, ``mean_score``, ``positive_share`` (positive / all reviews), ``wilson_lower`` (lower bound of
    the 95% Wilson interval of positive / (positive + negative); 0.0 without any polar review) and up to
    ``n_aspects`` ``positive_aspects`` / ``negative_aspects`` (lists of str; see ``longtail.language.aspects``):
    phrases (none made only of ``generic_words``, ``aspects.generic_phrases``, nor, with ``leave_out_kind``, the
    word its reviews call it by, ``aspects.kind_word``) that at least ``min_aspect_reviews`` of the item's reviews
    on that side use outside the scope of a negation (with ``negation_scope``, ``aspects.aspect_phrases``), from
    reviews that carry no instruction, link or phone number, contrasted
    with its negative ones, or with the dataset's negative reviews when the item has none (and the other way round),
    with the dataset's reviews as prior. Sorted by dataset and item_id.
    """
    require_columns(scored_reviews, SCORED_REVIEW_COLUMNS, "scored_reviews")
    unknown = set(scored_reviews["label"]) - set(LABELS)
    if unknown:
        raise ValueError(f"label must be in {LABELS}; got {sorted(map(str, unknown))}")
    if scored_reviews["item_id"].isna().any():
        raise ValueError("item_id has missing values")
    rows = []
    for dataset, reviews in scored_reviews.groupby("dataset", sort=True):
        rows.extend(
            _dataset_item_rows(
                dataset,
                reviews.reset_index(drop=True),
                n_aspects,
                min_aspect_reviews,
                generic_words,
                leave_out_kind,
                negation_scope,
            )
        )
    return pd.DataFrame(rows, columns=ITEM_SENTIMENT_COLUMNS)


def _dataset_item_rows(
    dataset,
    reviews: pd.DataFrame,
    n_aspects: int,
    min_aspect_reviews: int,
    generic_words: frozenset[str],
    leave_out_kind: bool,
    negation_scope: bool,
) -> list[dict]:
    """``item_sentiment`` rows of one dataset (``reviews`` with a fresh 0..n-1 index)."""
    texts = review_texts(reviews)
    matrix, vocabulary = aspects.review_phrase_matrix(texts, negation_scope)
    generic = aspects.generic_phrases(vocabulary, generic_words)
    is_label = {label: (reviews["label"] == label).to_numpy() for label in LABELS}
    prior = np.asarray(matrix.sum(axis=0)).ravel()
    dataset_counts = {
        label: np.asarray(matrix[is_label[label]].sum(axis=0)).ravel() for label in ("positive", "negative")
    }
    rows = []
    for item_id, positions in reviews.groupby("item_id", sort=True).indices.items():
        # Neither side's phrases restate what the item is ("this romper ... the romper is too short").
        kind = aspects.kind_word([texts[position] for position in positions]) if leave_out_kind else None
        excluded = generic if kind is None else generic | (vocabulary == kind)
        counts = {}
        for label in ("positive", "negative"):
            mine = positions[is_label[label][positions]]
            counts[label] = (np.asarray(matrix[mine].sum(axis=0)).ravel(), len(mine))
        aspects_of = {}
        for side, other in (("positive", "negative"), ("negative", "positive")):
            side_counts, n_side = counts[side]
            other_counts, n_other = counts[other]
            if n_other == 0:
                other_counts, n_other = dataset_counts[other], int(is_label[other].sum())
            z = aspects.contrast_phrases(side_counts, n_side, other_counts, n_other, prior, len(reviews))
            aspects_of[side] = (
                aspects.top_phrases(z, side_counts, vocabulary, n_aspects, min_aspect_reviews, excluded)
                if n_side
                else []
            )
        n_by_label = {label: int(is_label[label][positions].sum()) for label in LABELS}
        rows.append(
            {
                "dataset": dataset,
                "item_id": item_id,
                "n_reviews": len(positions),
                "n_positive": n_by_label["positive"],
                "n_neutral": n_by_label["neutral"],
                "n_negative": n_by_label["negative"],
                "mean_score": float(reviews["score"].to_numpy(dtype=np.float64)[positions].mean()),
                "positive_share": n_by_label["positive"] / len(positions),
                "wilson_lower": float(
                    wilson_interval(n_by_label["positive"], n_by_label["positive"] + n_by_label["negative"])[0]
                ),
                "positive_aspects": aspects_of["positive"],
                "negative_aspects": aspects_of["negative"],
            }
        )
    return rows


def sentiment_quality(review_scores: pd.DataFrame, item_ids: np.ndarray, prior_reviews: float = 5.0) -> np.ndarray:
    """What reviews say of each item relative to the catalogue's average review, shrunk by review count.

    Args:
        review_scores: one row per review with ``item_id`` and ``score`` in [-1, 1] (e.g. P(positive) -
            P(negative) of ``longtail.language.sentiment_model``).
        item_ids: (n,) the items to score, e.g. a model's columns.
        prior_reviews: pseudo-reviews at the catalogue average: an item needs several reviews to move far from 0.

    Returns:
        (n,) float32 in [-1, 1]: ``sum(score - mean score) / (2 * (n_reviews + prior_reviews))``, 0 for items
        without reviews. Centring on the average keeps reviewed items from beating unreviewed ones merely for
        being reviewed, which would work against the tail.
    """
    if prior_reviews < 0:
        raise ValueError(f"prior_reviews must be >= 0, got {prior_reviews!r}")
    missing = {"item_id", "score"} - set(review_scores.columns)
    if missing:
        raise ValueError(f"review_scores lacks column(s) {sorted(missing)}")
    scores = review_scores["score"].astype(float)
    if not scores.between(-1, 1).all():
        raise ValueError("review_scores.score must be in [-1, 1]")
    if scores.empty:
        return np.zeros(len(item_ids), dtype=np.float32)
    deviation = (scores - scores.mean()).groupby(review_scores["item_id"].astype(str))
    quality = deviation.sum() / (2 * (deviation.size() + prior_reviews))
    return quality.reindex(pd.Index(item_ids).astype(str)).fillna(0.0).to_numpy(np.float32)
