"""recommendation_evaluation -> recommendation_lists.

The evaluation compares longtail's hybrid with the baselines on a temporal split of each dataset and chooses the
hybrid's settings on a validation split; the lists apply those settings to all of the dataset's history. The
choice is made offline and then served, as in production: the lists never use settings nobody validated.
"""

import json
import time
from collections.abc import Callable
from functools import partial

import dagster as dg
import duckdb
import numpy as np
import pandas as pd

from assets.metadata import embedded_png, engine_metadata, new_figure, preview, write_dataset_reports
from longtail.data.interactions import (
    REVIEW_COPIES_SQL,
    datasets_with_interactions,
    interactions_sql,
    load_interactions,
)
from longtail.data.warehouse import (
    drop_other_datasets,
    fetch_one,
    read_table,
    read_vectors,
    replace_dataset_rows,
    table_exists,
)
from longtail.language.review_facts import REVIEW_FACT_COLUMNS, mentioned_phrases
from longtail.parallel import run_largest_first
from longtail.privacy.dp import PrivacySettings, optional_privacy, privacy_record
from longtail.recommend.cards import review_products
from longtail.recommend.evaluation.datasets import MIN_EVALUATED_USERS, DatasetInputs, evaluate_datasets
from longtail.recommend.evaluation.hybrid_choice import MIN_TRADE_USERS
from longtail.recommend.evaluation.list_scores import REPORTED
from longtail.recommend.evaluation.targets import target_comparison
from longtail.recommend.evaluation.tuning import floor_text, tuning_table
from longtail.recommend.explanations import BOUGHT, MIN_CUSTOMERS_REASON
from longtail.recommend.item_vectors import catalogue_text_vectors
from longtail.recommend.models import ALS
from longtail.recommend.serving import COLD_START_USER, recommend_locally, serve_recommendations
from longtail.spark.als import SparkALS
from longtail.spark.lists import recommend_on_spark
from resources import home
from resources.engine import EngineResource
from resources.models import EmbeddingModelResource
from resources.warehouse import WAREHOUSE_POOL, WarehouseResource

GROUP = "recommendations"
REPORT_NAME = "recommendation_evaluation"


class EvaluationConfig(dg.Config):
    """``test_days``: the test window (widened to ``min_test_share`` of events when it holds fewer);
    ``order_number_datasets``: datasets evaluated on each user's order sequence rather than the timestamp, by the
    next-basket protocol (Instacart's timestamps are reconstructed, only the order sequence is real), as is any
    dataset whose global cut would evaluate fewer than ``min_evaluated_users`` users; ``min_trade_users``: the
    validation users below which the hybrid's choice is its most accurate point, trading nothing for the tail
    (``longtail.recommend.evaluation.hybrid_choice.MIN_TRADE_USERS``); ``workers``: datasets evaluated at a time, in
    threads (see ``longtail.recommend.evaluation.datasets.evaluate_datasets``)."""

    test_days: int = 28
    min_test_share: float = 0.05
    order_number_datasets: list[str] = ["instacart_sample"]
    min_evaluated_users: int = MIN_EVALUATED_USERS
    min_trade_users: int = MIN_TRADE_USERS
    workers: int = 2


@dg.asset(
    deps=["cleaned_events", "cleaned_reviews", "item_text", "item_embeddings", "review_sentiment"],
    group_name=GROUP,
    kinds={"duckdb"},
    pool=WAREHOUSE_POOL,
)
def recommendation_evaluation(
    context: dg.AssetExecutionContext,
    config: EvaluationConfig,
    warehouse: WarehouseResource,
    embedder: EmbeddingModelResource,
    engine: EngineResource,
) -> dg.MaterializeResult:
    """Offline evaluation per dataset: longtail's hybrid and the baselines (MostPopular, ItemKNN, tuned EASE, ALS,
    content kNN) on one global temporal split, full ranking, new-item targets; where the dataset has reviews, the
    hybrid's test figures at each review-sentiment weight show what sentiment adds. Writes
    ``$LONGTAIL_HOME/reports/recommendation_evaluation.json`` (and one file per dataset) and the chosen
    settings that ``recommendation_lists`` serves. Item vectors are those of the catalogue text alone (re-encoded where
    a published text is blended in), so that no input depends on reviews after a cut. On the spark engine the ALS
    baseline is Spark MLlib's (``longtail.spark.als.SparkALS``)."""
    started = time.perf_counter()
    with warehouse.connect() as connection:
        stored = {
            dataset: (
                load_interactions(connection, dataset),
                read_vectors(connection, "item_embeddings", dataset),
                read_table(connection, "item_text", "dataset = ?", [dataset]),
                review_scores(connection, dataset),
            )
            for dataset in datasets_with_interactions(connection)
        }
    # Frozen at any cut: each item's vector from its catalogue text alone (published text draws on later reviews).
    inputs = {
        dataset: DatasetInputs(events, catalogue_text_vectors(vectors, texts, embedder.encode), scores)
        for dataset, (events, vectors, texts, scores) in stored.items()
    }
    evaluations = evaluate_datasets(
        inputs,
        test_days=config.test_days,
        min_test_share=config.min_test_share,
        order_number_datasets=config.order_number_datasets,
        min_evaluated_users=config.min_evaluated_users,
        overrides={"min_trade_users": config.min_trade_users},
        progress=context.log.info,
        als=partial(SparkALS, spark=engine.spark()) if engine.is_spark else ALS,
        # One at a time on Spark: its jobs share the session's executors, which already spread the work.
        workers=1 if engine.is_spark else config.workers,
    )
    reports, skipped = evaluations.reports, evaluations.not_evaluated
    for dataset, error in skipped.items():
        context.log.warning(f"{dataset}: not evaluated: {error}")

    reports_dir = home.reports_dir()
    write_dataset_reports(reports, reports_dir, REPORT_NAME, size=lambda r: r["split"]["evaluated_users"])
    rows = evaluations.model_figures()
    with warehouse.connect() as connection:
        if len(rows):
            replace_dataset_rows(connection, "recommendation_evaluation", rows)
            replace_dataset_rows(connection, "recommendation_settings", evaluations.settings())
        drop_other_datasets(connection, "recommendation_evaluation", list(reports))
        drop_other_datasets(connection, "recommendation_settings", list(reports))

    metadata = {
        "datasets_evaluated": len(reports),
        "not_evaluated": dg.MetadataValue.md("\n".join(f"- {d}: {e}" for d, e in skipped.items()) or "_none_"),
        "report": dg.MetadataValue.path(str(reports_dir / f"{REPORT_NAME}.json")),
        **engine_metadata(engine),
        "seconds": round(time.perf_counter() - started, 2),
    }
    for dataset, report in reports.items():
        metadata[f"{dataset}: models"] = preview(rows[rows["dataset"] == dataset].drop(columns="dataset"), rows=20)
        metadata[f"{dataset}: targets"] = dg.MetadataValue.md(_targets_markdown(report))
        # Not a preview: the hybrid's chosen settings are longer than a preview's cells.
        tuning = tuning_table(report).to_markdown(index=False, floatfmt=".4f") + "\n\n" + floor_text(report)
        metadata[f"{dataset}: tuning (budget, choice, grid edges)"] = dg.MetadataValue.md(tuning)
        metadata[f"{dataset}: accuracy vs tail exposure"] = dg.MetadataValue.md(_tradeoff_plot(report, reports_dir))
        metadata[f"{dataset}: recall by popularity bucket"] = preview(_buckets(report), rows=20)
        metadata[f"{dataset}: MostPopular on DP counts (epsilon curve)"] = preview(_privacy_curve(report), rows=10)
        if report["sentiment_effect"]:
            effect = pd.DataFrame(report["sentiment_effect"])[["sentiment_weight", *REPORTED]]
            metadata[f"{dataset}: effect of review sentiment (test)"] = preview(effect, rows=10)
    return dg.MaterializeResult(metadata=metadata)


def review_mentions(connection, dataset: str) -> pd.Series | None:
    """The phrases each item's reviews mention most (``mentioned_phrases``), by item id; None without reviews. They
    name the items no catalogue field names, in lists, reasons and the serving snapshot."""
    if not table_exists(connection, "cleaned_reviews"):
        return None
    return mentioned_phrases(read_table(connection, "cleaned_reviews", "dataset = ?", [dataset])[REVIEW_FACT_COLUMNS])


def item_products(connection, dataset: str) -> pd.Series | None:
    """The product of each reviewed item (``review_products``: the ids that carry the same reviews are one product),
    by item id; None without reviews. A list shows one card per product."""
    if not table_exists(connection, "cleaned_reviews"):
        return None
    return review_products(connection.sql(REVIEW_COPIES_SQL, params={"d": dataset}).df())


def review_scores(connection, dataset: str) -> pd.DataFrame | None:
    """``item_id, ts, score`` of the dataset's scored reviews (see ``review_sentiment``); None without any."""
    if not table_exists(connection, "review_sentiment"):
        return None
    scores = read_table(connection, "review_sentiment", "dataset = ?", [dataset])
    return scores[["item_id", "ts", "score"]] if len(scores) else None


def _targets_markdown(report: dict) -> str:
    """The issue's targets: the system against the best baseline on each."""
    lines = [
        "| metric | longtail (95% CI) | best baseline | ratio (paired 95% CI) | target met |",
        "| --- | ---: | ---: | ---: | :---: |",
    ]
    system = report["models"][report["system"]]
    for row in target_comparison(report).itertuples():
        ratio = f"{row.ratio:.2f}x" if row.baseline else "n/a"
        if row.ratio_ci95:
            ratio += f" ({row.ratio_ci95[0]:.2f}-{row.ratio_ci95[1]:.2f})"
        ours = f"{row.longtail:.4f}" + _interval(system.get(f"{row.metric}_ci95"))
        met = "yes" if row.met else "no"
        lines.append(f"| {row.metric} | {ours} | {row.baseline:.4f} ({row.best_baseline}) | {ratio} | {met} |")
    return "\n".join(lines)


def _interval(interval: list[float] | None) -> str:
    return f" ({interval[0]:.4f}-{interval[1]:.4f})" if interval else ""


def _buckets(report: dict) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"model": model, **{b: figures.get(f"recall@20[{b}]") for b in ("head", "mid", "tail")}}
            for model, figures in report["models"].items()
        ]
    )


def _privacy_curve(report: dict) -> pd.DataFrame:
    """The report's ``privacy_curve`` with its intervals as text (epsilon empty: the exact counts)."""
    curve = pd.DataFrame(report["privacy_curve"])
    for metric in ("ndcg@10", "tail_recall@20"):
        curve[f"{metric}_ci95"] = [_interval(interval).strip(" ()") for interval in curve[f"{metric}_ci95"]]
    return curve


def _tradeoff_plot(report: dict, reports_dir) -> str:
    """A PNG of NDCG@10 against APLT@10 (the models and the hybrid's trade-off curve), saved beside the report
    and embedded in the markdown so that the UI shows it."""
    figure, axis = new_figure(size=(6, 4))
    curve = pd.DataFrame(report["tradeoff"])
    for weight, points in curve.groupby("tail_weight"):
        axis.plot(points["aplt@10"], points["ndcg@10"], "o-", alpha=0.5, label=f"hybrid, tail weight {weight}")
    for name, figures in report["models"].items():
        axis.scatter(figures["aplt@10"], figures["ndcg@10"], marker="*", s=120, zorder=3)
        axis.annotate(name, (figures["aplt@10"], figures["ndcg@10"]), textcoords="offset points", xytext=(4, 4))
    axis.set_xlabel("APLT@10 (share of tail items in lists)")
    axis.set_ylabel("NDCG@10")
    axis.set_title(f"{report['dataset']}: accuracy vs tail exposure")
    axis.legend(fontsize=7)
    path = reports_dir / REPORT_NAME / f"{report['dataset']}_tradeoff.png"
    return embedded_png(figure, path, "accuracy vs tail exposure")


class RecommendationListsConfig(dg.Config):
    """``list_length`` items per user; ``exclude_seen`` drops items the user already has (turn it off for
    repeat-purchase shops). ``dp_epsilon`` set (off by default): the hybrid's item popularity and the "popular
    now" list of a new user come from user-level (``dp_epsilon``, ``dp_delta``) differentially private counts, each
    user counting for at most ``dp_max_items_per_user`` items (``longtail.privacy.dp``); each of the two count
    vectors spends that budget, so a dataset's lists spend twice it. ``workers``: datasets whose lists are computed
    at a time, in threads (``longtail.parallel.run_largest_first``; one at a time on Spark)."""

    list_length: int = 20
    exclude_seen: bool = True
    dp_epsilon: float | None = None
    dp_delta: float = 1e-6
    dp_max_items_per_user: int = 20
    workers: int = 2


@dg.asset(
    deps=[
        recommendation_evaluation,
        "user_profiles",
        "item_similarity",
        "item_embeddings",
        "cleaned_items",
        "cleaned_reviews",
        "review_sentiment",
    ],
    group_name=GROUP,
    kinds={"duckdb"},
    pool=WAREHOUSE_POOL,
)
def recommendation_lists(
    context: dg.AssetExecutionContext,
    config: RecommendationListsConfig,
    warehouse: WarehouseResource,
    engine: EngineResource,
) -> dg.MaterializeResult:
    """Top-N items per user with score and reason, from the hybrid with the settings the evaluation chose;
    plus one list for a new user without history (``user_id = '<new user>'``). On the spark engine the executors
    score the users (``longtail.spark.lists.recommend_on_spark``)."""
    started = time.perf_counter()
    privacy = optional_privacy(config.dp_epsilon, config.dp_delta, config.dp_max_items_per_user)
    recommend = partial(recommend_on_spark, engine.spark()) if engine.is_spark else recommend_locally
    with warehouse.connect() as connection:
        jobs, sizes = list_jobs(connection, config, privacy, recommend)
    # The warehouse is not held while the lists are computed; one at a time on Spark, whose executors spread the work.
    served = run_largest_first(jobs, sizes, 1 if engine.is_spark else config.workers)
    frames, summary = [], []
    with warehouse.connect() as connection:
        for dataset in jobs:
            result = served[dataset].result()
            frame = result.lists.assign(dataset=dataset)
            replace_dataset_rows(connection, "recommendation_lists", frame)
            frames.append(frame)
            summary.append({"dataset": dataset, **result.summary})
            context.log.info(f"{dataset}: {result.summary['users']:,} users, {len(frame):,} list rows")
        drop_other_datasets(connection, "recommendation_lists", list(jobs))
    lists = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(lists),
            **engine_metadata(engine),
            "by_dataset": preview(pd.DataFrame(summary), rows=50),
            "reasons": preview(
                lists.groupby(["dataset", "reason_kind", "is_tail"]).size().reset_index(name="rows")
                if len(lists)
                else lists,
                rows=40,
            ),
            "preview": preview(lists[["dataset", "user_id", "rank", "title", "reason"]] if len(lists) else lists, 20),
            "new_user_list": preview(
                lists[lists["user_id"] == COLD_START_USER][["dataset", "rank", "title", "reason"]]
                if len(lists)
                else lists,
                20,
            ),
            "differential_privacy": dg.MetadataValue.json(privacy_record(privacy, count_vectors=2)),
            "seconds": round(time.perf_counter() - started, 2),
        }
    )


def list_jobs(
    connection: duckdb.DuckDBPyConnection,
    config: RecommendationListsConfig,
    privacy: PrivacySettings | None,
    recommend: Callable[..., tuple[np.ndarray, np.ndarray]],
) -> tuple[dict[str, partial], dict[str, int]]:
    """``(jobs, sizes)`` of ``recommendation_lists``: per dataset with interactions, ``serve_recommendations`` with
    its inputs read from the warehouse and the settings the evaluation chose (a dataset it could not split gets the
    hybrid's defaults), ready to call; and its number of interactions."""
    chosen = read_table(connection, "recommendation_settings")
    settings = dict(zip(chosen.get("dataset", []), chosen.get("settings", [])))
    events = {dataset: load_interactions(connection, dataset) for dataset in datasets_with_interactions(connection)}
    jobs = {
        dataset: partial(
            serve_recommendations,
            interactions,
            json.loads(settings.get(dataset, "{}")),
            item_vectors=read_vectors(connection, "item_embeddings", dataset),
            review_scores=review_scores(connection, dataset),
            items=read_table(connection, "cleaned_items", "dataset = ?", [dataset]),
            neighbours=read_table(connection, "item_similarity", "dataset = ? and source = 'blended'", [dataset]),
            review_mentions=review_mentions(connection, dataset),
            products=item_products(connection, dataset),
            list_length=config.list_length,
            exclude_seen=config.exclude_seen,
            privacy=privacy,
            recommend=recommend,
        )
        for dataset, interactions in events.items()
    }
    return jobs, {dataset: len(interactions) for dataset, interactions in events.items()}


@dg.asset_check(asset=recommendation_lists, blocking=True, pool=WAREHOUSE_POOL)
def lists_complete(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    """Every user with history has a list, no item appears twice in a list, ranks run 1..n, and the list for a
    new user is not empty in any dataset."""
    with warehouse.connect() as connection:
        if not table_exists(connection, "recommendation_lists"):
            return dg.AssetCheckResult(passed=True, metadata={"note": "no dataset has interactions yet: no lists"})
        repeated = fetch_one(
            connection, "select count(*) - count(distinct (dataset, user_id, item_id)) from recommendation_lists"
        )[0]
        gaps = fetch_one(
            connection,
            """select count(*) from (select dataset, user_id from recommendation_lists group by all
               having max(rank) <> count(*) or min(rank) <> 1)""",
        )[0]
        datasets = read_table(connection, "recommendation_lists")[["dataset", "user_id"]].drop_duplicates()
    without_new_user = sorted(
        set(datasets["dataset"]) - set(datasets.loc[datasets["user_id"] == COLD_START_USER, "dataset"])
    )
    return dg.AssetCheckResult(
        passed=repeated == gaps == 0 and not without_new_user,
        metadata={
            "repeated_items": int(repeated),
            "lists_with_rank_gaps": int(gaps),
            "datasets_without_new_user_list": ", ".join(without_new_user) or "none",
        },
    )


# Per "bought" pair (anchor, listed item) of dataset $d: its list rows and the users who have both items.
_CO_BUYERS_SQL = """
    with interactions as (select distinct user_id, item_id from ({interactions})),
    pairs as (
        select anchor_item_id as anchor, item_id, count(*) as list_rows from recommendation_lists
        where dataset = $d and reason_kind = '{bought}' group by all
    )
    select $d as dataset, p.anchor, p.item_id, p.list_rows, count(b.user_id) as co_buyers
    from pairs p left join interactions a on a.item_id = p.anchor
    left join interactions b on b.item_id = p.item_id and b.user_id = a.user_id
    group by all
"""


@dg.asset_check(asset=recommendation_lists, blocking=True, pool=WAREHOUSE_POOL)
def reasons_have_co_buyers(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    """Every "bought X" reason rests on at least ``MIN_CUSTOMERS_REASON`` customers who have both X and the listed
    item in the dataset's interactions, counted here in SQL from the cleaned tables, apart from the code that wrote
    the reasons."""
    with warehouse.connect() as connection:
        interactions = interactions_sql(connection)
        datasets = (
            connection.execute("select distinct dataset from recommendation_lists order by 1").fetchall()
            if table_exists(connection, "recommendation_lists") and interactions is not None
            else []
        )
        if not datasets:
            return dg.AssetCheckResult(passed=True, metadata={"note": "no lists yet"})
        query = _CO_BUYERS_SQL.format(interactions=interactions, bought=BOUGHT)
        support = pd.concat([connection.execute(query, {"d": d}).df() for (d,) in datasets], ignore_index=True)
    weak = support[support["co_buyers"] < MIN_CUSTOMERS_REASON]
    per_dataset = support.groupby("dataset").agg(
        bought_reasons=("list_rows", "sum"), fewest_co_buyers=("co_buyers", "min")
    )
    return dg.AssetCheckResult(
        passed=weak.empty,
        metadata={
            "bought_reasons_below_minimum": int(weak["list_rows"].sum()),
            "minimum_co_buyers": MIN_CUSTOMERS_REASON,
            "per_dataset": preview(per_dataset.reset_index()),
            "weakest": preview(weak.sort_values("co_buyers").head(20)),
        },
    )


@dg.asset_check(asset=recommendation_evaluation)
def meets_long_tail_targets() -> dg.AssetCheckResult:
    """Warns unless, on every evaluated dataset, longtail's NDCG@10 is at least the best baseline's, its tail
    recall@20 at least 4x and its coverage@10 at least 1.5x the best baseline's, each supported by the paired
    95% interval of the ratio (``longtail.recommend.evaluation.targets``: NDCG may not lose more than 2% at the
    interval's lower end; the long-tail ratios must hold there)."""
    directory = home.reports_dir() / REPORT_NAME
    comparisons = [
        target_comparison(report).assign(dataset=report["dataset"])
        for report in (json.loads(path.read_text()) for path in sorted(directory.glob("*.json")))
    ]
    columns = ["dataset", "metric", "longtail", "target", "ratio", "ratio_ci95", "floor", "met"]
    table = pd.concat(comparisons, ignore_index=True)[columns] if comparisons else pd.DataFrame(columns=columns)
    return dg.AssetCheckResult(
        passed=bool(len(table)) and bool(table["met"].all()),
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"targets": preview(table, rows=60)},
    )


RECOMMENDATION_CHECKS = [lists_complete, reasons_have_co_buyers, meets_long_tail_targets]
