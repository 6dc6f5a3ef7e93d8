"""What an item's reviews establish, as facts a generated text may state: how many reviews, their mean star rating,
the things most reviews mention (with how many mention each), and the titles of its best-scored reviews.

Every figure is counted from the review rows, so a text that states "12 reviews, rated 4.3 out of 5; reviewers
mention fit (5 reviews)" can be checked against the data. ``before`` limits the reviews to those written before a
time, so that an evaluation split at that time reads no review of its test window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from longtail.language import aspects
from longtail.language.reviews import review_texts
from longtail.validation import require_columns

REVIEW_FACT_COLUMNS = ["dataset", "review_id", "item_id", "rating", "title", "text", "ts"]
# At most this many review titles are kept per item (best sentiment score first): a prompt or a quote needs few.
MAX_HIGHLIGHTS = 3
# At most this many mentioned phrases per item, each in at least aspects.MIN_PHRASE_REVIEWS reviews.
MAX_MENTIONS = 3
# Amazon's generated review titles that only repeat the rating: no reviewer wrote them.
_RATING_ECHO_TITLE = re.compile(r"\s*(one|two|three|four|five) stars?\s*", re.IGNORECASE)


@dataclass(frozen=True)
class ReviewFacts:
    """The facts of one item's reviews: ``count`` reviews with a star rating, their ``mean_rating`` (1-5 stars, None
    when none has a rating), ``mentions`` ((phrase, reviews mentioning it), most mentioned first) and
    ``highlights`` (raw titles of the best-scored reviews, best first; sanitized later by ``item_facts``)."""

    count: int = 0
    mean_rating: float | None = None
    mentions: tuple[tuple[str, int], ...] = ()
    highlights: tuple[str, ...] = ()

    @property
    def mentioned(self) -> str:
        """The mentioned phrases joined by ", " ("hair, shampoo, conditioner"); "" without any."""
        return ", ".join(phrase for phrase, _ in self.mentions)


def review_facts(
    reviews: pd.DataFrame, review_scores: pd.DataFrame | None = None, before: pd.Timestamp | None = None
) -> dict[str, dict[object, ReviewFacts]]:
    """``dataset -> item_id -> ReviewFacts`` from ``reviews`` (``REVIEW_FACT_COLUMNS``; ``ts`` a UTC time).

    ``review_scores`` (``dataset``, ``review_id``, ``score``, e.g. the ``review_sentiment`` table) orders the
    highlights: best score first, then newest; without it the newest titles come first. Reviews at or after
    ``before`` (a UTC timestamp) are ignored. Mentions are the aspect phrases of ``longtail.language.aspects`` counted
    once per review (reviews that ``carries_unsafe_text`` contribute none), generic ones (``GENERIC_PHRASES``) left
    out, at most ``MAX_MENTIONS`` per item, each mentioned by at least ``MIN_MENTIONS`` reviews, most mentioned
    first, then the longer phrase; a phrase sharing a word with a better one is skipped ("battery life" is not
    followed by "battery").
    """
    if reviews.empty:
        return {}
    require_columns(reviews, REVIEW_FACT_COLUMNS, "reviews")
    if before is not None:
        reviews = reviews[pd.to_datetime(reviews["ts"], utc=True) < before]
    scores = pd.Series(np.nan, index=reviews.index)
    if review_scores is not None and not review_scores.empty:
        require_columns(review_scores, ["dataset", "review_id", "score"], "review_scores")
        keyed = review_scores.set_index(["dataset", "review_id"])["score"]
        scores = pd.Series(keyed.reindex(pd.MultiIndex.from_frame(reviews[["dataset", "review_id"]])).to_numpy())
        scores.index = reviews.index
    facts: dict[str, dict[object, ReviewFacts]] = {}
    for dataset, group in reviews.groupby("dataset", sort=True):
        facts[str(dataset)] = _dataset_review_facts(group.assign(_score=scores[group.index]).reset_index(drop=True))
    return facts


def _dataset_review_facts(reviews: pd.DataFrame) -> dict[object, ReviewFacts]:
    matrix, vocabulary = aspects.review_phrase_matrix(review_texts(reviews))
    generic = aspects.generic_phrases(vocabulary)
    ratings = pd.to_numeric(reviews["rating"], errors="coerce").to_numpy(dtype=np.float64)
    titles = reviews["title"].fillna("").astype(str).str.strip()
    usable_title = (titles != "") & ~titles.map(lambda title: bool(_RATING_ECHO_TITLE.fullmatch(title)))
    ranked = reviews.assign(_title=titles).loc[usable_title.to_numpy()]
    ranked = ranked.sort_values(["_score", "ts", "review_id"], ascending=[False, False, True], na_position="last")
    highlights = ranked.groupby("item_id", sort=False)["_title"].agg(lambda t: tuple(t.head(MAX_HIGHLIGHTS)))
    facts = {}
    for item_id, positions in reviews.groupby("item_id", sort=True).indices.items():
        rated = ratings[positions][~np.isnan(ratings[positions])]
        counts = np.asarray(matrix[positions].sum(axis=0)).ravel() if matrix.shape[1] else np.zeros(0)
        facts[item_id] = ReviewFacts(
            count=len(positions),
            mean_rating=float(rated.mean()) if len(rated) else None,
            mentions=_mentions(counts, vocabulary, generic),
            highlights=highlights.get(item_id, ()),
        )
    return facts


def _mentions(counts: np.ndarray, vocabulary: np.ndarray, generic: np.ndarray):
    candidates = np.flatnonzero((counts >= aspects.MIN_PHRASE_REVIEWS) & ~generic)
    order = sorted(candidates, key=lambda j: (-counts[j], -len(vocabulary[j].split()), vocabulary[j]))
    chosen, used_words = [], set()
    for j in order:
        words = set(vocabulary[j].split())
        if words & used_words:
            continue
        chosen.append((str(vocabulary[j]), int(counts[j])))
        used_words |= words
        if len(chosen) == MAX_MENTIONS:
            break
    return tuple(chosen)


def mentioned_phrases(reviews: pd.DataFrame) -> pd.Series:
    """The phrases most of each item's reviews mention (``ReviewFacts.mentions``), joined by ", " ("hair, shampoo,
    conditioner"), as a string Series by ``item_id``, for ``reviews`` (``REVIEW_FACT_COLUMNS``) of one dataset;
    items whose reviews share no phrase are left out. What a shopper can tell an item by when its catalogue names
    none."""
    if reviews.empty:
        return pd.Series(dtype="string", index=pd.Index([], name="item_id"))
    if reviews["dataset"].nunique() > 1:
        raise ValueError(f"reviews must be of one dataset, got {sorted(reviews['dataset'].unique())}")
    (facts,) = review_facts(reviews).values()
    phrases = {item_id: item.mentioned for item_id, item in facts.items()}
    named = pd.Series(phrases, dtype="string")
    return named[named != ""].rename_axis("item_id")
