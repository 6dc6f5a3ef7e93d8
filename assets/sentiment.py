"""sentiment_model -> review_sentiment: what reviews say, per review and per item.

``sentiment_model`` trains longtail's classifier on the star ratings of the reviews (1-2 negative, 3 neutral,
4-5 positive), chooses per shop between it, the shipped general prior and their blend on a later slice, and
reports all of them and VADER on the latest slice, which no choice looked at. ``review_sentiment`` scores every
review with each shop's choice (the prior for a shop without a model of its own, zero-shot without either) and
aggregates per item, with aspect phrases. Review embeddings are cached in ``review_embeddings`` by text hash and
model (``longtail.language.caches.CachedEncoder``), so the second asset and later runs embed only new texts.
"""

import json
import time
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
from pydantic import Field

from assets.metadata import embedded_png, new_figure, preview
from longtail.data.warehouse import read_table, replace_rows, table_exists
from longtail.files import write_text_whole
from longtail.language.caches import CachedEncoder
from longtail.language.review_scoring import MODEL_TABLE, score_reviews, served_sentiment
from longtail.language.reviews import LABELS
from longtail.language.sentiment_evaluation import EVALUATED_MODELS, evaluate_sentiment, figures_by_dataset
from longtail.language.sentiment_metrics import confusion_counts
from longtail.language.sentiment_prior import PRIOR_PATH
from resources import home
from resources.models import EmbeddingModelResource
from resources.warehouse import WAREHOUSE_POOL, WarehouseResource

GROUP = "language"
REPORT_NAME = "review_sentiment"
FALLBACK = "the prior (zero-shot with another encoder)"


class SentimentModelConfig(dg.Config):
    """``final_share``: the latest share of each dataset's rated reviews, the final test slice that no choice looks
    at; ``eval_share``: the share before it, on which each shop's model is chosen (own, prior or blend);
    ``prior_path``: the general prior (``longtail.language.sentiment_prior``), by default the shipped one;
    ``max_train_reviews``: at most this many training reviews, a uniform random sample of them when there are more
    (training costs about 17 ms a review on a 2-core CPU, encoding included, so 20,000 take about 6 minutes)."""

    eval_share: float = Field(default=0.2, gt=0, lt=1)
    final_share: float = Field(default=0.2, gt=0, lt=1)
    max_train_reviews: int = Field(default=20_000, gt=0)
    prior_path: str = Field(default="", description="the sentiment prior's JSON file; empty: the shipped one")


@dg.asset(deps=["cleaned_reviews"], group_name=GROUP, kinds={"duckdb", "scikitlearn"}, pool=WAREHOUSE_POOL)
def sentiment_model(
    context: dg.AssetExecutionContext,
    config: SentimentModelConfig,
    warehouse: WarehouseResource,
    embedder: EmbeddingModelResource,
) -> dg.MaterializeResult:
    """longtail's review-sentiment classifier (sentence embeddings + TF-IDF, see
    ``longtail.language.sentiment_model``), trained on the earliest reviews of every dataset with star ratings;
    per shop it, the shipped prior or their blend is chosen on the next slice, and all are compared with VADER there
    and on the final test slice (``longtail.language.sentiment_evaluation.evaluate_sentiment``).

    The model file goes to ``$LONGTAIL_HOME/models/sentiment/<version>.joblib`` and its version, figures and
    evaluation to the ``sentiment_models`` table; the evaluation to ``$LONGTAIL_HOME/reports/review_sentiment.json``.
    """
    started = time.perf_counter()
    with warehouse.connect() as connection:
        reviews = read_table(connection, "cleaned_reviews", "rating is not null")
    if reviews.empty:
        context.log.warning(f"no review has a star rating: review_sentiment will use {FALLBACK}")
        return dg.MaterializeResult(metadata={"trained": False, "reason": "no review has a star rating"})
    datasets = sorted(reviews["dataset"].unique())
    encode = CachedEncoder(warehouse.connect, embedder.encode, embedder.model_name(), context.log.info)
    try:
        report, shop, predictions = evaluate_sentiment(
            reviews,
            encode,
            dataset=" + ".join(datasets),
            encoder_name=embedder.model_name(),
            eval_share=config.eval_share,
            final_share=config.final_share,
            max_train_reviews=config.max_train_reviews,
            prior_path=Path(config.prior_path) if config.prior_path else PRIOR_PATH,
        )
    except ValueError as error:  # too few rated reviews to train and evaluate, e.g. a label never occurs
        context.log.warning(f"not trained ({error}): review_sentiment will use {FALLBACK}")
        return dg.MaterializeResult(metadata={"trained": False, "reason": str(error)})
    model = shop.adapted
    path = home.home() / "models" / "sentiment" / f"{model.version}.joblib"
    model.save(path)
    report_path = home.reports_dir() / f"{REPORT_NAME}.json"
    write_text_whole(report_path, json.dumps(report, indent=2))
    row = pd.DataFrame(
        {
            "version": [model.version],
            "path": [str(path)],
            "encoder": [embedder.model_name()],
            "trained_at": [pd.Timestamp.now(tz="UTC")],
            "training_figures": [json.dumps(model.training_figures)],
            "evaluation": [json.dumps(report)],
        }
    )
    with warehouse.connect() as connection:
        replace_rows(connection, MODEL_TABLE, row, "version = ?", [model.version])
    figures = pd.DataFrame(report["models"]).T.reset_index(names="model")
    final_figures = pd.DataFrame(report["final_test"]["models"]).T.reset_index(names="model")
    ours, vader = report["final_test"]["models"]["longtail"], report["final_test"]["models"]["vader"]
    return dg.MaterializeResult(
        metadata={
            "trained": True,
            "version": model.version,
            "final test (latest reviews, no choice looked at them)": preview(final_figures),
            "eval (validation: each shop's model chosen here)": preview(figures),
            "by slice and dataset": preview(figures_by_dataset(predictions), rows=20),
            "chosen per shop": dg.MetadataValue.json(report["chosen"]),
            "prior": dg.MetadataValue.json(
                report["prior"] if isinstance(report["prior"], dict) else {"note": report["prior"]}
            ),
            "confusion on the final test (plot)": dg.MetadataValue.md(
                _confusion_plot(
                    predictions[predictions["slice"] == "final_test"],
                    report_path.with_name(f"{REPORT_NAME}_confusion.png"),
                )
            ),
            "macro_f1_binary": ours["macro_f1_binary"],
            "macro_f1_3class": ours["macro_f1_3class"],
            "gain_over_vader_binary": round(ours["macro_f1_binary"] - vader["macro_f1_binary"], 4),
            "gain_over_vader_3class": round(ours["macro_f1_3class"] - vader["macro_f1_3class"], 4),
            "gain over VADER on the final test (paired 95% CI)": dg.MetadataValue.json(
                report["final_test"]["gain_over_vader"]
            ),
            "split": dg.MetadataValue.json(report["split"]),
            "training_figures": dg.MetadataValue.json(model.training_figures),
            "model_file": dg.MetadataValue.path(str(path)),
            "report": dg.MetadataValue.path(str(report_path)),
            "seconds": round(time.perf_counter() - started, 2),
        }
    )


@dg.asset(deps=[sentiment_model], group_name=GROUP, kinds={"duckdb"}, pool=WAREHOUSE_POOL)
def review_sentiment(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, embedder: EmbeddingModelResource
) -> dg.MaterializeResult:
    """Label (negative / neutral / positive) and score (P(positive) - P(negative), in [-1, 1]) of every review, from
    each shop's choice of the newest ``sentiment_model`` (without one, the prior, then zero-shot); per item in
    ``item_sentiment``: counts, mean score, the Wilson lower bound of the positive share and the main positive and
    negative aspect phrases."""
    started = time.perf_counter()
    with warehouse.connect() as connection:
        reviews = read_table(connection, "cleaned_reviews")
        sentiment = served_sentiment(connection, embedder.model_name())
    encode = CachedEncoder(warehouse.connect, embedder.encode, embedder.model_name(), context.log.info)
    result = score_reviews(reviews, encode, sentiment)
    scored, items = result.reviews, result.items
    context.log.info(f"scored {len(scored):,} reviews with sentiment model {result.model_version}")
    with warehouse.connect() as connection:
        replace_rows(connection, "review_sentiment", scored.drop(columns=["title", "text"]))
        replace_rows(connection, "item_sentiment", items)
    by_dataset = (
        scored.groupby(["dataset", "label"]).size().unstack(fill_value=0).reset_index() if len(scored) else scored
    )
    most_reviewed = items.sort_values("n_reviews", ascending=False)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(scored),
            "items": len(items),
            "model_version": result.model_version,
            "labels_by_dataset": preview(by_dataset, rows=20),
            "agreement_with_star_ratings": result.agreement_with_ratings(),
            "most_reviewed_items": preview(
                most_reviewed[
                    [
                        "dataset",
                        "item_id",
                        "n_reviews",
                        "mean_score",
                        "wilson_lower",
                        "positive_aspects",
                        "negative_aspects",
                    ]
                ]
            ),
            "seconds": round(time.perf_counter() - started, 2),
        }
    )


def _confusion_plot(predictions: pd.DataFrame, path: Path) -> str:
    """Confusion matrices (true label by predicted label: review counts and shares of the true label's reviews) of
    each evaluated model side by side, saved at ``path`` and embedded in markdown."""
    figure, axes = new_figure(len(EVALUATED_MODELS), size=(8, 3.6))
    for axis, name in zip(axes, EVALUATED_MODELS):
        counts = confusion_counts(predictions["label"], predictions[name]).to_numpy()
        # Shaded by the share of each true label's reviews, so that the rare labels' rows are as readable.
        shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
        axis.imshow(shares, cmap="Blues", vmin=0, vmax=1)
        for (row, column), value in np.ndenumerate(counts):
            colour = "white" if shares[row, column] > 0.6 else "black"
            label = f"{value}\n{shares[row, column]:.0%}"
            axis.text(column, row, label, ha="center", va="center", fontsize=8, color=colour)
        axis.set_xticks(range(len(LABELS)), LABELS, fontsize=8)
        axis.set_yticks(range(len(LABELS)), LABELS, fontsize=8)
        axis.set_xlabel("predicted")
        axis.set_ylabel("true (star rating)")
        axis.set_title(name)
    figure.suptitle(f"final test ({len(predictions)} latest reviews): true against predicted label")
    return embedded_png(figure, path, "confusion matrices on the final test slice")


@dg.asset_check(asset=review_sentiment, blocking=True, pool=WAREHOUSE_POOL)
def every_review_scored(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    """Each cleaned review has exactly one label in (negative, neutral, positive) and a score in [-1, 1]."""
    with warehouse.connect() as connection:
        if not table_exists(connection, "cleaned_reviews"):
            return dg.AssetCheckResult(passed=True, metadata={"note": "no reviews yet"})
        reviews = read_table(connection, "cleaned_reviews")[["dataset", "review_id"]]
        scored = read_table(connection, "review_sentiment")
    scored = scored if len(scored) else pd.DataFrame(columns=["dataset", "review_id", "label", "score"])
    keys = ["dataset", "review_id"]
    unscored = len(reviews.merge(scored[keys], on=keys, how="left", indicator=True).query("_merge == 'left_only'"))
    repeated = int(scored.duplicated(keys).sum())
    bad = int((~scored["label"].isin(LABELS) | ~scored["score"].between(-1, 1)).sum())
    return dg.AssetCheckResult(
        passed=unscored == repeated == bad == 0,
        metadata={"reviews": len(reviews), "unscored": unscored, "scored_twice": repeated, "invalid": bad},
    )


SENTIMENT_CHECKS = [every_review_scored]
