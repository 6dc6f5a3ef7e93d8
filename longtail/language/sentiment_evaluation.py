"""The evaluation protocol of review sentiment: train longtail's model on the earlier reviews of each dataset, choose
each shop's model (its own, the shipped prior or their blend) on the next ones, and compare with VADER there and on
the latest ones, a final test slice that no choice looks at (``longtail.language.reviews.latest_reviews_split``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from longtail.language.reviews import REVIEW_COLUMNS, label_counts, labels_and_scores, latest_reviews_split
from longtail.language.sentence_features import Encode
from longtail.language.sentiment_baselines import vader_predict
from longtail.language.sentiment_metrics import paired_gain, sentiment_metrics, with_intervals
from longtail.language.sentiment_model import SentimentModel
from longtail.language.sentiment_prior import PRIOR_PATH, load_prior
from longtail.language.shop_sentiment import CANDIDATES, ShopSentiment, choose
from longtail.validation import require_columns

# The models evaluate_sentiment scores, longtail's first (see its predictions): longtail is each shop's chosen
# candidate (``longtail.language.shop_sentiment``), reported beside each candidate and VADER.
EVALUATED_MODELS = ("longtail", "vader")


def evaluate_sentiment(
    reviews: pd.DataFrame,
    encode: Encode,
    *,
    dataset: str,
    encoder_name: str = "unnamed encoder",
    eval_share: float = 0.2,
    final_share: float = 0.2,
    max_train_reviews: int | None = None,
    model: SentimentModel | None = None,
    prior_path: Path | None = PRIOR_PATH,
) -> tuple[dict, ShopSentiment, pd.DataFrame]:
    """Train on the early reviews, choose each shop's model on the next ones, and report on the latest ones.

    Per dataset, by time (``latest_reviews_split``, no text on two sides): the latest ``final_share`` of the
    reviews is the ``final_test`` slice, which no choice looks at; the ``eval_share`` before it is the ``eval``
    (validation) slice; the rest trains the shop model. Per dataset the ``eval`` slice chooses among the adapted
    model, the prior at ``prior_path`` (by default the shipped one; used when it was trained with ``encoder_name``)
    and their blend
    (``longtail.language.shop_sentiment.choose``); "longtail" is that choice.

    ``reviews`` needs ``REVIEW_COLUMNS`` and ``item_id`` (validation folds are grouped by dataset and item);
    ``dataset`` names the data in the report; ``max_train_reviews`` (None: no limit) caps the training reviews
    with a uniform random sample (seed 0), so that training time stays bounded on a large shop (about 17 ms a
    review on a 2-core CPU, encoding included: 50 s for the 2,934 of the shared data, ``bench/review_sentiment.py``);
    ``model`` is an unfitted ``SentimentModel`` (default settings when None). Binary predictions:
    ``P(positive) >= P(negative)`` for the models, ``compound >= 0`` for VADER.

    Returns ``(report, shop sentiment, predictions)``. The report: ``{"dataset", "split", "system": "longtail",
    "models", "final_test", "validation", "chosen", "prior"}``; ``models`` maps each model to its figures on the eval
    slice (as ``sentiment_metrics`` gives them); ``final_test`` holds ``models`` and ``datasets`` (per dataset) with
    ``<metric>_ci95`` beside each figure (95% bootstrap over the reviews), and ``gain_over_vader`` ("all" and per
    dataset: per metric ``{"gain", "ci95"}``, paired); ``validation`` the candidates' eval figures per dataset;
    ``chosen`` each dataset's candidate. Predictions: one row per eval and final-test review, ``slice``,
    ``dataset``, ``label`` (the true one) and per model its label and its ``<model>_binary`` call.
    """
    require_columns(reviews, [*REVIEW_COLUMNS, "item_id"], "reviews")
    if max_train_reviews is not None and (
        isinstance(max_train_reviews, bool) or not isinstance(max_train_reviews, int) or max_train_reviews < 1
    ):
        raise ValueError(f"max_train_reviews must be a positive integer or None, got {max_train_reviews!r}")
    if not (0 < final_share < 1 and 0 < eval_share < 1 - final_share):
        raise ValueError(f"need 0 < eval_share < 1 - final_share < 1, got {eval_share!r} and {final_share!r}")
    final = latest_reviews_split(reviews, final_share)
    split = latest_reviews_split(final.train, eval_share / (1 - final_share))
    if split.train.empty or split.eval.empty or final.eval.empty:
        raise ValueError(
            f"the split left {len(split.train)} training, {len(split.eval)} evaluation and {len(final.eval)} "
            "final-test reviews"
        )
    model = model if model is not None else SentimentModel()
    train = split.train
    if max_train_reviews is not None and len(train) > max_train_reviews:
        kept = np.random.default_rng(0).choice(len(train), max_train_reviews, replace=False)
        train = train.iloc[np.sort(kept)]
    info = split.info | {
        "n_train": len(train),
        "train_labels": label_counts(train["label"]),
        "dropped_train_over_cap": len(split.train) - len(train),
        "final_test": {
            "rule": final.info["rule"],
            "datasets": final.info["datasets"],
            "n": len(final.eval),
            "labels": label_counts(final.eval["label"]),
        },
    }
    model.fit(
        train["review_text"].tolist(),
        train["label"].tolist(),
        encode,
        groups=(train["dataset"].astype(str) + "\x1f" + train["item_id"].astype(str)).tolist(),
        encoder_name=encoder_name,
    )
    prior = load_prior(prior_path) if prior_path is not None else None
    usable_prior = prior if prior is not None and prior.encoder == encoder_name else None
    candidates = ShopSentiment(model, usable_prior)
    slices = {"eval": split.eval, "final_test": final.eval}
    predictions = pd.concat(
        [_candidate_predictions(candidates, rows, encode).assign(slice=name) for name, rows in slices.items()],
        ignore_index=True,
    )
    validation = {
        name: {candidate: _model_figures(group, candidate) for candidate in candidates.available()}
        for name, group in predictions[predictions["slice"] == "eval"].groupby("dataset", sort=True)
    }
    chosen = choose(validation)
    # "longtail": each review read by its shop's chosen candidate.
    pick = predictions["dataset"].map(lambda name: chosen.get(name, candidates.candidate_for(name)))
    for suffix in ("", "_binary"):
        predictions["longtail" + suffix] = [predictions.at[i, f"{c}{suffix}"] for i, c in zip(predictions.index, pick)]
    models = [*EVALUATED_MODELS, *candidates.available()]
    final_rows = predictions[predictions["slice"] == "final_test"]
    report = {
        "dataset": dataset,
        "split": info,
        "system": "longtail",
        "models": {name: _model_figures(predictions[predictions["slice"] == "eval"], name) for name in models},
        "final_test": {
            "models": _final_figures(final_rows, models),
            "datasets": {
                name: _final_figures(group, models) for name, group in final_rows.groupby("dataset", sort=True)
            },
            "gain_over_vader": {
                name: paired_gain(group["label"], _calls(group, "longtail"), _calls(group, "vader"))
                for name, group in [("all", final_rows), *final_rows.groupby("dataset", sort=True)]
            },
        },
        "validation": validation,
        "chosen": chosen,
        "prior": (
            {"version": usable_prior.version, "path": str(prior_path), "training": usable_prior.training}
            if usable_prior is not None
            else f"not used: {'none given' if prior is None else f'trained with {prior.encoder}'}"
        ),
    }
    return report, ShopSentiment(model, usable_prior, chosen), predictions


def _candidate_predictions(candidates: ShopSentiment, rows: pd.DataFrame, encode: Encode) -> pd.DataFrame:
    """``dataset``, ``label`` and per candidate and VADER the label and binary call of each review in ``rows``."""
    texts = rows["review_text"].tolist()
    frame = pd.DataFrame({"dataset": rows["dataset"].to_numpy(), "label": rows["label"].to_numpy()})
    for candidate, proba in candidates.probas(texts, encode).items():
        labels, scores = labels_and_scores(proba)
        frame[candidate], frame[f"{candidate}_binary"] = labels, np.where(scores >= 0, "positive", "negative")
    vader_labels, compound = vader_predict(texts)
    frame["vader"], frame["vader_binary"] = vader_labels, np.where(compound >= 0, "positive", "negative")
    return frame


def figures_by_dataset(predictions: pd.DataFrame) -> pd.DataFrame:
    """``sentiment_metrics`` per slice, dataset and model of ``evaluate_sentiment``'s predictions: one row per slice
    and dataset, columns ``slice``, ``dataset`` then ``<model> binary``, ``<model> 3-class`` per model and
    ``n``."""
    models = [name for name in (*EVALUATED_MODELS, *CANDIDATES) if name in predictions.columns]
    rows = []
    for (slice_name, dataset), group in predictions.groupby(["slice", "dataset"], sort=True):
        row = {"slice": slice_name, "dataset": dataset}
        for name in models:
            figures = _model_figures(group, name)
            row |= {f"{name} binary": figures["macro_f1_binary"], f"{name} 3-class": figures["macro_f1_3class"]}
        rows.append(row | {"n": len(group)})
    return pd.DataFrame(rows)


def _final_figures(rows: pd.DataFrame, models: list[str]) -> dict:
    """Each model's figures on ``rows`` with their 95% bootstrap intervals."""
    return {name: with_intervals(_model_figures(rows, name), rows["label"], *_calls(rows, name)) for name in models}


def _calls(rows: pd.DataFrame, name: str) -> tuple[pd.Series, pd.Series]:
    return rows[name], rows[f"{name}_binary"]


def _model_figures(predictions: pd.DataFrame, name: str) -> dict:
    return sentiment_metrics(predictions["label"], predictions[name], predictions[f"{name}_binary"])
