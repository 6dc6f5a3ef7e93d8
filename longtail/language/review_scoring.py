"""Every review of a shop scored, and aggregated per item: the served sentiment model at work.

``newest_model`` finds the model to serve (the newest trained one for the encoder); ``score_reviews`` labels and
scores every review with it (zero-shot without one, ``longtail.language.sentiment_baselines.ZeroShotSentiment``)
and aggregates per item (``longtail.language.item_sentiment.item_sentiment``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from longtail.data.warehouse import table_exists
from longtail.language.item_sentiment import ITEM_SENTIMENT_COLUMNS, item_sentiment
from longtail.language.reviews import labels_from_ratings, scoring_texts
from longtail.language.sentence_features import Encode
from longtail.language.sentiment_baselines import ZeroShotSentiment
from longtail.language.sentiment_model import SentimentModel

MODEL_TABLE = "sentiment_models"
ZERO_SHOT_VERSION = "zero-shot"
SCORED_COLUMNS = [
    "dataset",
    "review_id",
    "item_id",
    "ts",
    "rating",
    "title",
    "text",
    "label",
    "score",
    "model_version",
]


def newest_model(connection: duckdb.DuckDBPyConnection, encoder: str) -> SentimentModel | None:
    """The newest model in ``MODEL_TABLE`` trained with ``encoder`` whose file still exists, or None."""
    if not table_exists(connection, MODEL_TABLE):
        return None
    rows = connection.execute(
        f"select path from {MODEL_TABLE} where encoder = ? order by trained_at desc", [encoder]
    ).fetchall()
    path = next((path for (path,) in rows if Path(path).exists()), None)
    return SentimentModel.load(path) if path is not None else None


@dataclass(frozen=True)
class ReviewScores:
    """``reviews``: one row per review, ``SCORED_COLUMNS`` (``label`` in ``LABELS``, ``score`` =
    P(positive) - P(negative) in [-1, 1], ``model_version`` the model's version or "zero-shot"); ``items``: one row
    per reviewed item, ``ITEM_SENTIMENT_COLUMNS``."""

    reviews: pd.DataFrame
    items: pd.DataFrame
    model_version: str

    def agreement_with_ratings(self) -> float | None:
        """Share of the rated reviews whose label is the one their star rating gives; None without any."""
        rated = self.reviews[self.reviews["rating"].notna()]
        return float((labels_from_ratings(rated["rating"]) == rated["label"]).mean()) if len(rated) else None


def score_reviews(reviews: pd.DataFrame, encode: Encode, model: SentimentModel | None) -> ReviewScores:
    """Label and score every row of ``reviews`` (cleaned reviews: ``dataset``, ``review_id``, ``item_id``, ``ts``,
    ``rating``, ``title``, ``text``) with ``model``, or zero-shot when it is None, and aggregate per item.

    Each review is read as ``scoring_texts`` gives it, so that every review gets a label; ``encode`` must be the
    encoder ``model`` was trained with.
    """
    texts = scoring_texts(reviews) if len(reviews) else []
    if model is not None:
        labels, scores = model.predict(texts, encode)
        version = model.version
    else:
        labels, scores = ZeroShotSentiment(encode).predict(texts)
        version = ZERO_SHOT_VERSION
    scored = pd.DataFrame(
        {
            **{column: reviews.get(column) for column in SCORED_COLUMNS[:7]},
            "label": labels,
            "score": np.asarray(scores, dtype=np.float64),
            "model_version": version,
        },
        columns=SCORED_COLUMNS,
    )
    items = item_sentiment(scored) if len(scored) else pd.DataFrame(columns=ITEM_SENTIMENT_COLUMNS)
    return ReviewScores(scored, items, version)
