"""Every review of a shop scored, and aggregated per item: the served sentiment model at work.

``served_sentiment`` finds what to serve (the newest trained model for the encoder, with each shop's choice among it,
the shipped prior and their blend); ``score_reviews`` labels and scores every review with it (zero-shot without
either, ``longtail.language.sentiment_baselines.ZeroShotSentiment``) and aggregates per item
(``longtail.language.item_sentiment.item_sentiment``).
"""

from __future__ import annotations

import json
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
from longtail.language.sentiment_prior import PRIOR_PATH, load_prior
from longtail.language.shop_sentiment import ShopSentiment

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


def newest_model(connection: duckdb.DuckDBPyConnection, encoder: str) -> tuple[SentimentModel, dict] | None:
    """The newest model in ``MODEL_TABLE`` trained with ``encoder`` whose file still exists, with its evaluation
    report (``longtail.language.sentiment_evaluation.evaluate_sentiment``), or None."""
    if not table_exists(connection, MODEL_TABLE):
        return None
    rows = connection.execute(
        f"select path, evaluation from {MODEL_TABLE} where encoder = ? order by trained_at desc", [encoder]
    ).fetchall()
    found = next(((path, evaluation) for path, evaluation in rows if Path(path).exists()), None)
    return None if found is None else (SentimentModel.load(found[0]), json.loads(found[1] or "{}"))


def served_sentiment(
    connection: duckdb.DuckDBPyConnection, encoder: str, default_prior: Path = PRIOR_PATH
) -> ShopSentiment | None:
    """What reads each shop's reviews: the newest model for ``encoder`` with the candidate its evaluation chose per
    shop, and the prior that evaluation used (``default_prior`` when there is no model) if it was trained with
    ``encoder``; the prior reads the shops that chose it or have no choice. None when there is neither."""
    newest = newest_model(connection, encoder)
    model, report = newest if newest is not None else (None, {})
    used = report.get("prior")
    if isinstance(used, dict):
        path = Path(used["path"])
    else:  # no model yet: the default prior; a model whose evaluation used none: none
        path = default_prior if newest is None else None
    prior = load_prior(path) if path is not None and path.exists() else None
    prior = prior if prior is not None and prior.encoder == encoder else None
    if model is None and prior is None:
        return None
    available = ShopSentiment(model, prior).available()
    chosen = {name: choice for name, choice in report.get("chosen", {}).items() if choice in available}
    return ShopSentiment(model, prior, chosen)


@dataclass(frozen=True)
class ReviewScores:
    """``reviews``: one row per review, ``SCORED_COLUMNS`` (``label`` in ``LABELS``, ``score`` =
    P(positive) - P(negative) in [-1, 1], ``model_version`` the candidate and version that read it, or "zero-shot");
    ``items``: one row per reviewed item, ``ITEM_SENTIMENT_COLUMNS``; ``model_version`` the distinct versions."""

    reviews: pd.DataFrame
    items: pd.DataFrame
    model_version: str

    def agreement_with_ratings(self) -> float | None:
        """Share of the rated reviews whose label is the one their star rating gives; None without any."""
        rated = self.reviews[self.reviews["rating"].notna()]
        return float((labels_from_ratings(rated["rating"]) == rated["label"]).mean()) if len(rated) else None


def score_reviews(reviews: pd.DataFrame, encode: Encode, sentiment: ShopSentiment | None) -> ReviewScores:
    """Label and score every row of ``reviews`` (cleaned reviews: ``dataset``, ``review_id``, ``item_id``, ``ts``,
    ``rating``, ``title``, ``text``) with each dataset's candidate of ``sentiment`` (see ``served_sentiment``), or
    zero-shot when it is None, and aggregate per item.

    Each review is read as ``scoring_texts`` gives it, so that every review gets a label; ``encode`` must be the
    encoder the models were trained with.
    """
    texts = scoring_texts(reviews) if len(reviews) else []
    if sentiment is not None:
        labels, scores, version = sentiment.predict(texts, reviews["dataset"] if len(reviews) else [], encode)
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
    return ReviewScores(scored, items, ", ".join(sorted(set(np.atleast_1d(version)))))
