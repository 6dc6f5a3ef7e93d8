"""serving_snapshot: the read-only, versioned copy of lists, items, vectors, neighbours and histories that
``longtail serve`` answers from (``longtail.serving.snapshot``)."""

import json
import time
from collections.abc import Callable, Iterator

import dagster as dg
import pandas as pd

from assets.descriptions import accepted_texts_are_safe
from assets.items import accepted_descriptions, every_item_embedded, neighbours_valid
from assets.metadata import embedded_png, new_figure, preview
from assets.recommendations import item_products, lists_complete, review_mentions
from assets.sentiment import every_review_scored
from longtail.data.interactions import datasets_with_interactions, load_interactions
from longtail.data.warehouse import drop_other_datasets, read_table, read_vectors, replace_dataset_rows
from longtail.files import write_text_whole
from longtail.serving.assistant import parse_assistant_settings
from longtail.serving.assistant_tuning import (
    CannotSimulate,
    evaluation_stages,
    published_settings,
    stage_inputs,
    tune_served_assistant,
)
from longtail.serving.catalogue import ShopIndex, load_snapshot
from longtail.serving.interactive_evaluation import evaluate_interactive
from longtail.serving.lists import similar_items, user_list
from longtail.serving.parsing_evaluation import evaluate_parsing_sets
from longtail.serving.shop_tables import shop_tables
from longtail.serving.snapshot import current_version, publish_snapshot, read_shop, versions
from resources import home
from resources.models import EmbeddingModelResource
from resources.warehouse import WAREHOUSE_POOL, WarehouseResource

REPORT_NAME = "interactive_evaluation"


@dg.asset(
    deps=["recommendation_evaluation", "item_text", "item_embeddings", "cleaned_items"],
    group_name="serving",
    kinds={"duckdb"},
    pool=WAREHOUSE_POOL,
)
def assistant_settings(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, embedder: EmbeddingModelResource
) -> dg.MaterializeResult:
    """The shop assistant's weights and BM25 settings for each shop, chosen on simulated sessions from purchases
    after the validation cut of the recommendation evaluation's split, before its test cut: the tuned ones where a
    cross-validated check on those sessions shows tuning pays, else the defaults
    (``longtail.serving.assistant_tuning.tune_served_assistant``); serving_snapshot publishes them. On demand: a
    few minutes per shop, so not part of ``longtail materialize`` without ``--select`` (nor of the demo); shops
    it has not tuned are served with the defaults."""
    started = time.perf_counter()
    rows, untuned = [], {}
    for dataset, inputs in _simulated_shops(warehouse, embedder.encode, context.log.info):
        context.log.info(f"{dataset}: fitting the hybrid as of the validation cut")
        try:
            [stage] = evaluation_stages(**inputs, names=["validation"]).values()
            chosen = tune_served_assistant(stage)
        except ValueError as error:  # too little history before the cut, or no new purchase after it
            untuned[dataset] = str(error)
            context.log.warning(f"{dataset}: not tuned, served with the defaults: {error}")
            continue
        check = chosen["tuning_check"]
        context.log.info(
            f"{dataset}: serving {'the tuned settings' if check['adopted'] else 'the defaults'} "
            f"{chosen['weights']}, BM25 {chosen['bm25']}: tuning's out-of-fold hit@10 gain {check['gain']:+.4f} "
            f"(95% {check['gain_ci95']}; {check['wins']} sessions won, {check['losses']} lost, p {check['p_value']}) "
            f"on {chosen['validation_sessions']} validation sessions"
        )
        rows.append({"dataset": dataset, "settings": json.dumps(published_settings(chosen)),
                     "tuning": json.dumps(chosen)})  # fmt: skip
    with warehouse.connect() as connection:
        if rows:
            replace_dataset_rows(connection, "assistant_settings", pd.DataFrame(rows))
        drop_other_datasets(connection, "assistant_settings", [row["dataset"] for row in rows])
    return dg.MaterializeResult(
        metadata={
            "shops": len(rows),
            "settings": preview(_settings_table(rows), rows=20),
            "not_tuned": dg.MetadataValue.md("\n".join(f"- {d}: {e}" for d, e in untuned.items()) or "_none_"),
            "seconds": round(time.perf_counter() - started, 2),
        }
    )


@dg.asset_check(asset=assistant_settings, blocking=True, pool=WAREHOUSE_POOL)
def settings_valid(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    """Every shop's assistant settings build an assistant (``parse_assistant_settings``: known weights, each a
    finite number >= 0, and BM25's ``k1`` and ``b`` > 0), one row per shop."""
    with warehouse.connect(read_only=True) as connection:
        table = read_table(connection, "assistant_settings")
    problems = {}
    for dataset, settings in zip(table.get("dataset", []), table.get("settings", [])):
        try:
            parse_assistant_settings(json.loads(settings))
        except ValueError as error:  # a JSONDecodeError is one too
            problems[dataset] = str(error)
    repeated = sorted(set(table["dataset"][table["dataset"].duplicated()])) if len(table) else []
    return dg.AssetCheckResult(
        passed=not problems and not repeated,
        metadata={
            "shops": len(table),
            "invalid": dg.MetadataValue.md("\n".join(f"- {d}: {e}" for d, e in problems.items()) or "_none_"),
            "shops_with_two_rows": ", ".join(repeated) or "none",
        },
    )


def _settings_table(rows: list[dict]) -> pd.DataFrame:
    """One row per shop: what is served (the tuned settings, or the defaults where the cross-validated check found
    no gain beyond noise), the out-of-fold hit@10 gain of tuning with its 95% interval, the sessions it won and lost
    against the defaults with the check's p, and the served settings' validation hit@10 beside the defaults' (tuned
    on those very sessions, so a tuned figure is optimistic; interactive_evaluation scores the served settings on
    test)."""
    table = []
    for row in rows:
        tuning = json.loads(row["tuning"])
        check = tuning["tuning_check"]
        table.append(
            {
                "dataset": row["dataset"],
                "served": "tuned" if check["adopted"] else "defaults",
                "weights": ", ".join(f"{name} {value:g}" for name, value in tuning["weights"].items()),
                "bm25": ", ".join(f"{name} {value:g}" for name, value in tuning["bm25"].items()),
                "out_of_fold_gain": "{:+.4f} ({:+.4f} to {:+.4f})".format(check["gain"], *check["gain_ci95"]),
                "won_lost_p": f"{check['wins']} / {check['losses']}, p {check['p_value']:.3f}",
                "validation_sessions": tuning["validation_sessions"],
                "validation_hit@10": tuning["hit@10"],
                "defaults_validation_hit@10": tuning["defaults"]["hit@10"],
                "cut": tuning["cut"],
            }
        )
    return pd.DataFrame(table)


def _simulated_shops(
    warehouse: WarehouseResource, encode: Callable, log: Callable[[str], None]
) -> Iterator[tuple[str, dict]]:
    """Each shop whose shoppers can be simulated, with the keyword arguments of ``evaluation_stages``; read one shop
    at a time, each in a connection of its own, so the warehouse is not held while a shop is tuned or evaluated."""
    with warehouse.connect(read_only=True) as connection:
        datasets = datasets_with_interactions(connection)
    for dataset in datasets:
        with warehouse.connect(read_only=True) as connection:
            try:
                inputs = stage_inputs(connection, dataset, encode)
            except CannotSimulate as reason:
                log(f"{dataset}: skipped ({reason})")
                continue
        yield dataset, inputs


# The blocking checks of what the snapshot copies: a run that materializes serving_snapshot alone still refuses
# to publish while the latest evaluation of any of them failed.
GATES = [
    lists_complete,
    neighbours_valid,
    every_item_embedded,
    accepted_texts_are_safe,
    every_review_scored,
    settings_valid,
]


@dg.asset(
    deps=[
        "assistant_settings",
        "recommendation_lists",
        "item_similarity",
        "item_embeddings",
        "review_sentiment",
        "generated_descriptions",
        "cleaned_items",
        "cleaned_reviews",
    ],
    group_name="serving",
    kinds={"parquet"},
    pool=WAREHOUSE_POOL,
)
def serving_snapshot(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """A new snapshot version under ``$LONGTAIL_HOME/serving``, and ``current`` switched to it; the last three
    versions are kept. Nothing is published while an upstream gate (blocking check) is failing. Each shop's
    settings hold its recommendation settings and, where assistant_settings tuned them, its assistant's."""
    started = time.perf_counter()
    failing = _failing_gates(context.instance)
    if failing:
        raise dg.Failure(f"not publishing: upstream blocking check(s) failing: {', '.join(failing)}")
    shops = {}
    with warehouse.connect() as connection:
        descriptions = accepted_descriptions(connection)
        for dataset in datasets_with_interactions(connection):
            settings = read_table(connection, "recommendation_settings", "dataset = ?", [dataset])
            assistant = read_table(connection, "assistant_settings", "dataset = ?", [dataset])
            shops[dataset] = shop_tables(
                load_interactions(connection, dataset),
                read_table(connection, "cleaned_items", "dataset = ?", [dataset]),
                read_table(connection, "recommendation_lists", "dataset = ?", [dataset]),
                item_vectors=read_vectors(connection, "item_embeddings", dataset),
                neighbours=read_table(connection, "item_similarity", "dataset = ? and source = 'blended'", [dataset]),
                item_sentiment=read_table(connection, "item_sentiment", "dataset = ?", [dataset]),
                descriptions=descriptions[descriptions["dataset"] == dataset],
                review_mentions=review_mentions(connection, dataset),
                products=item_products(connection, dataset),
                settings={
                    "recommendation": settings["settings"].iloc[0] if len(settings) else "{}",
                    **({"assistant": json.loads(assistant["settings"].iloc[0])} if len(assistant) else {}),
                },
            )
            context.log.info(f"{dataset}: {shops[dataset].counts()}")
    folder = publish_snapshot(home.serving_dir(), shops)
    counts = pd.DataFrame([{"dataset": dataset, **shop.counts()} for dataset, shop in shops.items()])
    return dg.MaterializeResult(
        metadata={
            "version": folder.name,
            "path": dg.MetadataValue.path(str(folder)),
            "datasets": preview(counts, rows=20),
            "assistant": ", ".join(
                f"{name} {'tuned' if 'assistant' in shop.settings else 'defaults'}" for name, shop in shops.items()
            ),
            "versions_kept": ", ".join(versions(home.serving_dir())),
            "megabytes": round(sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) / 1e6, 1),
            "seconds": round(time.perf_counter() - started, 2),
        }
    )


def _failing_gates(instance: dg.DagsterInstance) -> list[str]:
    failing = []
    for check in GATES:
        for key in check.check_keys:
            record = instance.get_latest_asset_check_evaluation_record(key)
            evaluation = record.event.asset_check_evaluation if record and record.event else None
            if evaluation is not None and not evaluation.passed:
                failing.append(key.to_user_string())
    return failing


@dg.asset_check(asset=serving_snapshot)
def snapshot_serves() -> dg.AssetCheckResult:
    """The current snapshot loads and answers: for each shop, a full list (10 items, or every item not yet bought)
    for its most active user and for a new user, and similar items for its most bought item."""
    root = home.serving_dir()
    version = current_version(root)
    if version is None:
        return dg.AssetCheckResult(passed=False, metadata={"note": f"no current snapshot under {root}"})
    rows, problems = [], []
    for folder in sorted(path for path in (root / version).iterdir() if path.is_dir()):
        index = ShopIndex(folder.name, read_shop(folder))
        user = max(index.history, key=lambda user_id: len(index.history[user_id]["rows"]), default="nobody")
        listed = len(user_list(index, user, 10).items)
        # A full list, unless the user has bought nearly the whole (tiny) catalogue.
        unseen = len(index) - len(index.history.get(user, {"rows": []})["rows"])
        new_user = len(user_list(index, "<never seen>", 10).items)
        top_item = index.item_ids[index.popularity_rank.argmax()] if len(index) else None
        similar = len(similar_items(index, top_item, 10)) if top_item is not None else 0
        rows.append(
            {"dataset": folder.name, "user": user, "list": listed, "new_user_list": new_user, "similar": similar}
        )
        if listed < min(10, unseen) or new_user < min(10, len(index)):
            problems.append(folder.name)
    return dg.AssetCheckResult(
        passed=bool(rows) and not problems,
        metadata={
            "version": version,
            "answers": preview(pd.DataFrame(rows), rows=20),
            "empty": ", ".join(problems) or "none",
        },
    )


class InteractiveEvaluationConfig(dg.Config):
    """``max_sessions``: simulated test sessions per shop and query regime (validation uses at most 200)."""

    max_sessions: int = 300


@dg.asset(
    deps=[serving_snapshot, "recommendation_evaluation", "item_text", "item_embeddings", "cleaned_items"],
    group_name="serving",
    kinds={"python"},
    pool=WAREHOUSE_POOL,
)
def interactive_evaluation(
    context: dg.AssetExecutionContext,
    config: InteractiveEvaluationConfig,
    warehouse: WarehouseResource,
    embedder: EmbeddingModelResource,
) -> dg.MaterializeResult:
    """The shop assistant against BM25 search, embedding search and the user's plain list, on simulated sessions
    from test-window purchases (``longtail.serving.interactive_evaluation``), and the query parser's slot F1 on the
    hand-labelled development and held-out sets. On demand: a few minutes per shop, so it is not part of
    ``longtail materialize`` without ``--select`` (nor of the demo)."""
    started = time.perf_counter()
    snapshot = load_snapshot(home.serving_dir(), current_version(home.serving_dir()))
    reports = {}
    for dataset, inputs in _simulated_shops(warehouse, embedder.encode, context.log.info):
        published = snapshot.shops.get(dataset)
        context.log.info(f"{dataset}: fitting the hybrid as of the validation cut and the test cut")
        reports[dataset] = evaluate_interactive(
            evaluation_stages(**inputs),
            served_assistant_settings=published.settings.get("assistant") if published else None,
            max_sessions=config.max_sessions,
            progress=lambda message, dataset=dataset: context.log.info(f"{dataset}: {message}"),
        )
    parsing = evaluate_parsing_sets(snapshot.shops, embedder.encode)
    report = {"datasets": reports, "parsing": parsing}
    path = home.reports_dir() / f"{REPORT_NAME}.json"
    write_text_whole(path, json.dumps(report, indent=1, default=str))
    table = _systems_table(reports)
    return dg.MaterializeResult(
        metadata={
            "systems": preview(table, rows=60),
            "parsing slot F1": preview(
                pd.DataFrame(
                    [
                        {
                            "set": name,
                            "queries": result["queries"],
                            "exact": result["exact"],
                            "slot_f1": round(result["overall"]["f1"], 4),
                            "f1_ci95": [round(v, 4) for v in result["overall"]["f1_ci95"]],
                        }
                        for name, result in parsing.items()
                        if result is not None
                    ]
                )
            ),  # fmt: skip
            "tail trade-off (plot)": dg.MetadataValue.md(_tradeoff_plot(reports, path.with_name(f"{REPORT_NAME}.png"))),
            "examples": preview(_examples(reports), rows=20),
            "report": dg.MetadataValue.path(str(path)),
            "seconds": round(time.perf_counter() - started, 2),
        }
    )


def _systems_table(reports: dict) -> pd.DataFrame:
    rows = []
    for dataset, report in reports.items():
        for regime, result in report["regimes"].items():
            for system, figures in result["models"].items():
                rows.append(
                    {
                        "dataset": dataset,
                        "query": regime,
                        "system": system,
                        "hit@10": figures["hit@10"],
                        "hit@10_ci95": figures["hit@10_ci95"],
                        "constraints_met": figures["constraint_satisfaction"],
                        "tail_share": figures["tail_share"],
                    }
                )
    return pd.DataFrame(rows)


def _examples(reports: dict) -> pd.DataFrame:
    rows = [
        {"dataset": dataset, "query": example["query"], "bought": example["bought"],
         "assistant": " | ".join(example["assistant"]), "bm25": " | ".join(example["bm25"])}
        for dataset, report in reports.items()
        for example in report["regimes"].get("1 word", {}).get("examples", [])[:10]
    ]  # fmt: skip
    return pd.DataFrame(rows)


def _tradeoff_plot(reports: dict, path) -> str:
    """Hit@10 against tail share as the tail bonus grows, per shop and query regime, with BM25's point."""
    if not reports:
        return "no shop evaluated"
    figure, _ = new_figure(len(reports), size=(5.5 * len(reports), 4.0))
    for axis, (dataset, report) in zip(figure.axes, reports.items()):
        for regime, result in report["regimes"].items():
            curve = pd.DataFrame(result["tail_tradeoff"])
            axis.plot(curve["tail_share"], curve["hit@10"], marker="o", label=f"assistant, {regime}")
            bm25 = result["models"]["bm25"]
            axis.scatter([bm25["tail_share"]], [bm25["hit@10"]], marker="x", s=60, label=f"BM25, {regime}")
        axis.set(title=dataset, xlabel="tail share of the top 10", ylabel="hit@10")
        axis.legend(fontsize=7)
    return embedded_png(figure, path, "hit@10 against tail share")


SERVING_CHECKS = [settings_valid, snapshot_serves]
