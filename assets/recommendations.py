"""recommendation_evaluation -> recommendation_lists.

The evaluation compares longtail's hybrid with the baselines on a temporal split of each dataset and chooses the
hybrid's settings on a validation split; the lists apply those settings to all of the dataset's history. The
choice is made offline and then served, as in production: the lists never use settings nobody validated.
"""

import json
import time

import dagster as dg
import numpy as np
import pandas as pd

from assets.metadata import embedded_png, new_figure, preview, write_dataset_reports
from longtail.data.interactions import (
    datasets_with_interactions,
    interaction_matrix,
    load_interactions,
    with_order_numbers,
)
from longtail.data.warehouse import (
    drop_other_datasets,
    fetch_one,
    read_table,
    read_vectors,
    replace_dataset_rows,
    table_exists,
)
from longtail.language.sentiment import sentiment_quality
from longtail.recommend.embedding import align_vectors
from longtail.recommend.evaluation import recency_weights
from longtail.recommend.evaluation.offline import REPORTED, EvaluationSettings, evaluate_offline
from longtail.recommend.explanations import explain, reason_text
from resources import home
from resources.warehouse import WAREHOUSE_POOL, WarehouseResource

GROUP = "recommendations"
REPORT_NAME = "recommendation_evaluation"
COLD_START_USER = "<new user>"
# The targets, as multiples of the best baseline on each metric.
TARGETS = {"ndcg@10": 1.0, "tail_recall@20": 4.0, "coverage@10": 1.5}


class EvaluationConfig(dg.Config):
    """``test_days``: the test window (widened to ``min_test_share`` of events when it holds fewer);
    ``order_number_datasets``: datasets whose time is each user's order number rather than the timestamp
    (Instacart's timestamps are reconstructed, only the order sequence is real)."""

    test_days: int = 28
    min_test_share: float = 0.05
    order_number_datasets: list[str] = ["instacart_sample"]


@dg.asset(
    deps=["cleaned_events", "cleaned_reviews", "item_embeddings", "review_sentiment"],
    group_name=GROUP,
    kinds={"duckdb"},
    pool=WAREHOUSE_POOL,
)
def recommendation_evaluation(
    context: dg.AssetExecutionContext, config: EvaluationConfig, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Offline evaluation per dataset: longtail's hybrid and the baselines (MostPopular, ItemKNN, tuned EASE, ALS,
    content kNN) on one global temporal split, full ranking, new-item targets; where the dataset has reviews, the
    hybrid's test figures at each review-sentiment weight show what sentiment adds. Writes
    ``$LONGTAIL_HOME/reports/recommendation_evaluation.json`` (and one file per dataset) and the chosen
    settings that ``recommendation_lists`` serves."""
    started = time.perf_counter()
    reports, skipped = {}, {}
    with warehouse.connect() as connection:
        datasets = datasets_with_interactions(connection)
        inputs = {
            dataset: (
                load_interactions(connection, dataset),
                read_vectors(connection, "item_embeddings", dataset),
                review_scores(connection, dataset),
            )
            for dataset in datasets
        }
    for dataset, (interactions, vectors, reviews) in inputs.items():
        time_column = "order_number" if dataset in config.order_number_datasets else "ts"
        if time_column == "order_number":
            interactions = with_order_numbers(interactions)
        settings = EvaluationSettings(
            test_days=config.test_days, min_test_share=config.min_test_share, time_column=time_column
        )
        context.log.info(f"{dataset}: evaluating on {len(interactions):,} interactions ({time_column} as time)")
        try:
            reports[dataset] = evaluate_offline(
                interactions,
                dataset=dataset,
                item_vectors=vectors,
                review_scores=reviews if time_column == "ts" else None,
                settings=settings,
                progress=lambda message, dataset=dataset: context.log.info(f"{dataset}: {message}"),
            )
        except ValueError as error:  # e.g. too little history to split; the other datasets still run
            skipped[dataset] = str(error)
            context.log.warning(f"{dataset}: not evaluated: {error}")

    reports_dir = home.reports_dir()
    write_dataset_reports(reports, reports_dir, REPORT_NAME, size=lambda r: r["split"]["evaluated_users"])

    rows = pd.DataFrame(
        [
            {"dataset": dataset, "model": model, **{metric: figures.get(metric) for metric in (*REPORTED, "seconds")}}
            for dataset, report in reports.items()
            for model, figures in report["models"].items()
        ]
    )
    settings_rows = pd.DataFrame(
        [
            {
                "dataset": dataset,
                "settings": json.dumps(
                    {"l2": r["tuning"]["ease_l2"], **r["tuning"]["hybrid"], "half_life": r["tuning"]["half_life"]}
                ),
            }
            for dataset, r in reports.items()
        ],
        columns=["dataset", "settings"],
    )
    with warehouse.connect() as connection:
        if len(rows):
            replace_dataset_rows(connection, "recommendation_evaluation", rows)
            replace_dataset_rows(connection, "recommendation_settings", settings_rows)
        drop_other_datasets(connection, "recommendation_evaluation", list(reports))
        drop_other_datasets(connection, "recommendation_settings", list(reports))

    metadata = {
        "datasets_evaluated": len(reports),
        "not_evaluated": dg.MetadataValue.md("\n".join(f"- {d}: {e}" for d, e in skipped.items()) or "_none_"),
        "report": dg.MetadataValue.path(str(reports_dir / f"{REPORT_NAME}.json")),
        "seconds": round(time.perf_counter() - started, 2),
    }
    for dataset, report in reports.items():
        metadata[f"{dataset}: models"] = preview(rows[rows["dataset"] == dataset].drop(columns="dataset"), rows=20)
        metadata[f"{dataset}: targets"] = dg.MetadataValue.md(_targets_markdown(report))
        metadata[f"{dataset}: accuracy vs tail exposure"] = dg.MetadataValue.md(_tradeoff_plot(report, reports_dir))
        metadata[f"{dataset}: recall by popularity bucket"] = preview(_buckets(report), rows=20)
        if report["sentiment_effect"]:
            effect = pd.DataFrame(report["sentiment_effect"])[["sentiment_weight", *REPORTED]]
            metadata[f"{dataset}: effect of review sentiment (test)"] = preview(effect, rows=10)
    return dg.MaterializeResult(metadata=metadata)


def review_scores(connection, dataset: str) -> pd.DataFrame | None:
    """``item_id, ts, score`` of the dataset's scored reviews (see ``review_sentiment``); None without any."""
    if not table_exists(connection, "review_sentiment"):
        return None
    scores = read_table(connection, "review_sentiment", "dataset = ?", [dataset])
    return scores[["item_id", "ts", "score"]] if len(scores) else None


def _targets_markdown(report: dict) -> str:
    """The issue's targets: the system against the best baseline on each."""
    models = report["models"]
    system = models[report["system"]]
    baselines = {name: figures for name, figures in models.items() if name != report["system"]}
    lines = ["| metric | longtail | best baseline | ratio |", "| --- | ---: | ---: | ---: |"]
    for metric in TARGETS:
        name, best = max(baselines.items(), key=lambda kv: kv[1].get(metric) or 0.0)
        ours, theirs = system.get(metric) or 0.0, best.get(metric) or 0.0
        ratio = f"{ours / theirs:.2f}x" if theirs else "n/a"
        lines.append(f"| {metric} | {ours:.4f} | {theirs:.4f} ({name}) | {ratio} |")
    return "\n".join(lines)


def _buckets(report: dict) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"model": model, **{b: figures.get(f"recall@20[{b}]") for b in ("head", "mid", "tail")}}
            for model, figures in report["models"].items()
        ]
    )


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
    repeat-purchase shops)."""

    list_length: int = 20
    exclude_seen: bool = True


@dg.asset(
    deps=[
        recommendation_evaluation,
        "user_profiles",
        "item_similarity",
        "item_embeddings",
        "cleaned_items",
        "review_sentiment",
    ],
    group_name=GROUP,
    kinds={"duckdb"},
    pool=WAREHOUSE_POOL,
)
def recommendation_lists(
    context: dg.AssetExecutionContext, config: RecommendationListsConfig, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Top-N items per user with score and reason, from the hybrid with the settings the evaluation chose;
    plus one list for a new user without history (``user_id = '<new user>'``)."""
    from longtail.recommend.models.hybrid import LongTailHybrid

    started = time.perf_counter()
    frames, summary = [], []
    with warehouse.connect() as connection:
        chosen_settings = read_table(connection, "recommendation_settings")
        # A dataset the evaluation could not split (too little history) gets the hybrid's defaults.
        settings = dict(zip(chosen_settings.get("dataset", []), chosen_settings.get("settings", [])))
        datasets = datasets_with_interactions(connection)
        for dataset in datasets:
            interactions = load_interactions(connection, dataset)
            matrix = interaction_matrix(interactions)
            vectors = read_vectors(connection, "item_embeddings", dataset)
            chosen = json.loads(settings.get(dataset, "{}"))
            half_life = chosen.pop("half_life", 30.0)
            as_of = interactions["ts"].max()
            recency = recency_weights(interactions, matrix.user_ids, matrix.item_ids, as_of=as_of, half_life=half_life)
            aligned = align_vectors(vectors, matrix.item_ids)
            content_weight = chosen.pop("content_weight", 0.0)
            if aligned is None:  # no item of this dataset has a text to embed
                content_weight = 0.0
            reviews = review_scores(connection, dataset)
            quality = sentiment_quality(reviews, matrix.item_ids) if reviews is not None else None
            model = LongTailHybrid(item_vectors=aligned, content_weight=content_weight, item_quality=quality, **chosen)
            model.fit(matrix.matrix, recency=recency)
            users = np.arange(len(matrix.user_ids))
            recommended = model.recommend(users, config.list_length, exclude_seen=config.exclude_seen)
            scores = _scores_of(model, recommended)
            similarity = _blended_similarity(connection, dataset, matrix.item_ids)
            anchors, kinds = explain(model.history_, recommended, model.ease_.weights_between, similarity)
            cold = model.recommend_cold(config.list_length)
            frame = _list_rows(
                dataset,
                matrix,
                recommended,
                scores,
                anchors,
                kinds,
                model.tail_,
                cold,
                read_table(connection, "cleaned_items", "dataset = ?", [dataset]),
            )
            replace_dataset_rows(connection, "recommendation_lists", frame)
            frames.append(frame)
            summary.append(_summary(dataset, frame, model, chosen | {"content_weight": content_weight}))
            context.log.info(f"{dataset}: {len(users):,} users, {len(frame):,} list rows")
        drop_other_datasets(connection, "recommendation_lists", datasets)
    lists = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(lists),
            "by_dataset": preview(pd.DataFrame(summary), rows=50),
            "reasons": preview(
                lists["reason_kind"].value_counts().rename_axis("reason").reset_index(name="rows")
                if len(lists)
                else lists
            ),
            "preview": preview(lists[["dataset", "user_id", "rank", "title", "reason"]] if len(lists) else lists, 20),
            "new_user_list": preview(
                lists[lists["user_id"] == COLD_START_USER][["dataset", "rank", "title", "reason"]]
                if len(lists)
                else lists,
                20,
            ),
            "seconds": round(time.perf_counter() - started, 2),
        }
    )


def _scores_of(model, recommended: np.ndarray, batch_size: int = 4096) -> np.ndarray:
    """The model's score of each recommended item, scoring ``batch_size`` users at a time."""
    out = np.zeros(recommended.shape, dtype=np.float32)
    for start in range(0, len(recommended), batch_size):
        rows = slice(start, start + batch_size)
        scores = model.score(np.arange(start, min(start + batch_size, len(recommended))))
        out[rows] = np.take_along_axis(scores, np.maximum(recommended[rows], 0), axis=1)
    return out


def _blended_similarity(connection, dataset: str, item_ids: np.ndarray):
    import scipy.sparse as sp

    rows = read_table(connection, "item_similarity", "dataset = ? and source = 'blended'", [dataset])
    if rows.empty:
        return None
    index = pd.Index(item_ids)
    source, target = index.get_indexer(rows["item_id"]), index.get_indexer(rows["neighbour_id"])
    keep = (source >= 0) & (target >= 0)
    return sp.csr_matrix(
        (rows["score"].to_numpy()[keep], (source[keep], target[keep])), shape=(len(item_ids), len(item_ids))
    )


def _list_rows(dataset, matrix, recommended, scores, anchors, kinds, tail, cold, items) -> pd.DataFrame:
    titles = items.set_index("item_id")["title"] if not items.empty else pd.Series(dtype="string")
    n_users, k = recommended.shape
    filled = recommended >= 0
    item = recommended[filled]
    anchor = anchors[filled]
    anchor_ids = np.where(anchor >= 0, matrix.item_ids[np.maximum(anchor, 0)], None)
    item_ids = matrix.item_ids[item]
    frame = pd.DataFrame(
        {
            "user_id": np.repeat(matrix.user_ids, k).reshape(n_users, k)[filled],
            "rank": np.tile(np.arange(1, k + 1), n_users).reshape(n_users, k)[filled],
            "item_id": item_ids,
            "score": scores[filled].astype(np.float32),
            "is_tail": tail[item],
            "reason_kind": kinds[filled],
            "anchor_item_id": anchor_ids,
        }
    )
    cold_items = cold[cold >= 0]
    frame = pd.concat(
        [
            frame,
            pd.DataFrame(
                {
                    "user_id": COLD_START_USER,
                    "rank": np.arange(1, len(cold_items) + 1),
                    "item_id": matrix.item_ids[cold_items],
                    "score": np.float32(np.nan),
                    "is_tail": tail[cold_items],
                    "reason_kind": "popular",
                    "anchor_item_id": None,
                }
            ),
        ],
        ignore_index=True,
    )
    frame["title"] = frame["item_id"].map(titles)
    anchor_titles = frame["anchor_item_id"].map(titles).fillna(frame["anchor_item_id"])
    frame["reason"] = [
        reason_text(kind, anchor, bool(is_tail))
        for kind, anchor, is_tail in zip(frame["reason_kind"], anchor_titles, frame["is_tail"])
    ]
    return frame.assign(dataset=dataset)


def _summary(dataset: str, frame: pd.DataFrame, model, settings: dict) -> dict:
    known = frame[frame["user_id"] != COLD_START_USER]
    return {
        "dataset": dataset,
        "users": known["user_id"].nunique(),
        "rows": len(frame),
        "distinct_items": known["item_id"].nunique(),
        "catalogue": int(model.n_items_),
        "tail_share_of_list_items": round(float(known["is_tail"].mean()), 4) if len(known) else None,
        "settings": json.dumps(settings),
    }


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


@dg.asset_check(asset=recommendation_evaluation)
def meets_long_tail_targets() -> dg.AssetCheckResult:
    """Warns unless, on every evaluated dataset, longtail's NDCG@10 is at least the best baseline's, its tail
    recall@20 at least 4x and its coverage@10 at least 1.5x the best baseline's."""
    directory = home.reports_dir() / REPORT_NAME
    rows = []
    for path in sorted(directory.glob("*.json")):
        report = json.loads(path.read_text())
        system = report["models"][report["system"]]
        baselines = [figures for name, figures in report["models"].items() if name != report["system"]]
        for metric, factor in TARGETS.items():
            best = max((figures.get(metric) or 0.0) for figures in baselines)
            ours = system.get(metric) or 0.0
            rows.append(
                {
                    "dataset": report["dataset"],
                    "metric": metric,
                    "longtail": ours,
                    "target": round(factor * best, 5),
                    "met": ours >= factor * best,
                }
            )
    table = pd.DataFrame(rows, columns=["dataset", "metric", "longtail", "target", "met"])
    return dg.AssetCheckResult(
        passed=bool(len(table)) and bool(table["met"].all()),
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"targets": preview(table, rows=60)},
    )


RECOMMENDATION_CHECKS = [lists_complete, meets_long_tail_targets]
