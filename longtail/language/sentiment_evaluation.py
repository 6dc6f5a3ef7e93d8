"""The evaluation protocol of review sentiment: train longtail's model on the earlier reviews of each dataset and
compare it with VADER on the later ones (``longtail.language.reviews.latest_reviews_split``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from longtail.language.reviews import REVIEW_COLUMNS, label_counts, latest_reviews_split
from longtail.language.sentence_features import Encode
from longtail.language.sentiment_baselines import vader_predict
from longtail.language.sentiment_metrics import sentiment_metrics
from longtail.language.sentiment_model import SentimentModel
from longtail.validation import require_columns

# The models evaluate_sentiment scores, longtail's first (see its predictions).
EVALUATED_MODELS = ("longtail", "vader")


def evaluate_sentiment(
    reviews: pd.DataFrame,
    encode: Encode,
    *,
    dataset: str,
    encoder_name: str = "unnamed encoder",
    eval_share: float = 0.2,
    max_train_reviews: int | None = None,
    model: SentimentModel | None = None,
) -> tuple[dict, SentimentModel, pd.DataFrame]:
    """Train on the early reviews and compare with VADER on the later ones (``latest_reviews_split``).

    ``reviews`` needs ``REVIEW_COLUMNS`` and ``item_id`` (validation folds are grouped by dataset and item);
    ``dataset`` names the data in the report; ``max_train_reviews`` (None: no limit) caps the training reviews
    with a uniform random sample (seed 0), so that training time stays bounded on a large shop (about 17 ms a
    review on a 2-core CPU, encoding included: 50 s for the 2,934 of the shared data, ``bench/review_sentiment.py``);
    ``model`` is an unfitted ``SentimentModel`` (default settings when None). Binary predictions:
    ``P(positive) >= P(negative)`` for the model, ``compound >= 0`` for VADER. Returns ``(report, fitted model,
    predictions)`` with report ``{"dataset", "split", "system": "longtail", "models": {"longtail": {...}, "vader":
    {...}}}``, each model's figures as ``sentiment_metrics`` gives them (the split's ``n_train`` and
    ``train_labels`` count the reviews trained on, ``dropped_train_over_cap`` the ones sampled out), and predictions
    one row per evaluation review: ``dataset``, ``label`` (the true one) and, per model, its label and its
    ``<model>_binary`` call.
    """
    require_columns(reviews, [*REVIEW_COLUMNS, "item_id"], "reviews")
    if max_train_reviews is not None and (
        isinstance(max_train_reviews, bool) or not isinstance(max_train_reviews, int) or max_train_reviews < 1
    ):
        raise ValueError(f"max_train_reviews must be a positive integer or None, got {max_train_reviews!r}")
    split = latest_reviews_split(reviews, eval_share)
    if split.train.empty or split.eval.empty:
        raise ValueError(f"the split left {len(split.train)} training and {len(split.eval)} evaluation reviews")
    model = model if model is not None else SentimentModel()
    train = split.train
    if max_train_reviews is not None and len(train) > max_train_reviews:
        kept = np.random.default_rng(0).choice(len(train), max_train_reviews, replace=False)
        train = train.iloc[np.sort(kept)]
    info = split.info | {
        "n_train": len(train),
        "train_labels": label_counts(train["label"]),
        "dropped_train_over_cap": len(split.train) - len(train),
    }
    model.fit(
        train["review_text"].tolist(),
        train["label"].tolist(),
        encode,
        groups=(train["dataset"].astype(str) + "\x1f" + train["item_id"].astype(str)).tolist(),
        encoder_name=encoder_name,
    )
    texts = split.eval["review_text"].tolist()
    labels, scores = model.predict(texts, encode)
    vader_labels, compound = vader_predict(texts)
    predictions = pd.DataFrame(
        {
            "dataset": split.eval["dataset"].to_numpy(),
            "label": split.eval["label"].to_numpy(),
            "longtail": labels,
            "longtail_binary": np.where(scores >= 0, "positive", "negative"),
            "vader": vader_labels,
            "vader_binary": np.where(compound >= 0, "positive", "negative"),
        }
    )
    report = {
        "dataset": dataset,
        "split": info,
        "system": "longtail",
        "models": {name: _model_figures(predictions, name) for name in EVALUATED_MODELS},
    }
    return report, model, predictions


def figures_by_dataset(predictions: pd.DataFrame) -> pd.DataFrame:
    """``sentiment_metrics`` per dataset and model of ``evaluate_sentiment``'s predictions: one row per dataset,
    columns ``dataset`` then ``<model> binary``, ``<model> 3-class`` per model and ``n_eval``."""
    rows = []
    for dataset, group in predictions.groupby("dataset", sort=True):
        row = {"dataset": dataset}
        for name in EVALUATED_MODELS:
            figures = _model_figures(group, name)
            row |= {f"{name} binary": figures["macro_f1_binary"], f"{name} 3-class": figures["macro_f1_3class"]}
        rows.append(row | {"n_eval": len(group)})
    return pd.DataFrame(rows)


def _model_figures(predictions: pd.DataFrame, name: str) -> dict:
    return sentiment_metrics(predictions["label"], predictions[name], predictions[f"{name}_binary"])
