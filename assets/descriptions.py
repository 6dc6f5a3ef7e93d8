"""generated_descriptions (-> item_text) and generated_descriptions_evaluation.

Items whose catalogue description is missing, short or junk get a description and a one-line ad written by a
small language model from their facts only (title, category, brand, price, review highlights); a guard repairs
or rejects every output that states something the facts do not (``longtail.language.descriptions``). Raw outputs
are cached by prompt hash in the ``generation_cache`` table (``longtail.language.caches.CachedGenerator``), so a
rerun regenerates nothing whose prompt, model and settings are unchanged, and a run stopped halfway keeps what it
finished. Each run generates at most ``generator.items_per_run`` new texts.
"""

import json
import time
from pathlib import Path

import dagster as dg
import pandas as pd

from assets.metadata import counts_table, embedded_png, new_figure, preview
from longtail.data.interactions import load_interactions
from longtail.data.warehouse import read_table, replace_rows
from longtail.language import guard
from longtail.language.caches import CachedGenerator
from longtail.language.description_evaluation import description_report, evaluate_generation, sample_dataset
from longtail.language.descriptions import describe_items, generate_descriptions, review_highlights
from resources import home
from resources.models import EmbeddingModelResource, GeneratorResource
from resources.warehouse import WAREHOUSE_POOL, WarehouseResource

GROUP = "language"
REPORT_NAME = "generated_descriptions"


@dg.asset(
    deps=["cleaned_items", "cleaned_events", "cleaned_reviews", "review_sentiment"],
    group_name=GROUP,
    kinds={"duckdb", "pytorch"},
    pool=WAREHOUSE_POOL,
)
def generated_descriptions(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, generator: GeneratorResource
) -> dg.MaterializeResult:
    """A guarded description and ad copy for each item without a usable description, tail items first.

    Items whose facts say nothing of what they are (no title, and not both a brand and a category) are left out.
    Items with at least one interaction come before items nobody has bought or rated (those are in no model's
    catalogue yet), the least popular first; the budget is shared evenly between datasets. The table holds every
    item generated so far with its current prompt; ``item_text`` uses the accepted descriptions.
    """
    started = time.perf_counter()
    with warehouse.connect() as connection:
        items = read_table(connection, "cleaned_items")
        highlights = review_highlights(
            read_table(connection, "cleaned_reviews"), read_table(connection, "review_sentiment")
        )
        datasets = sorted(items["dataset"].unique()) if len(items) else []
        popularity = {dataset: load_interactions(connection, dataset)["item_id"].value_counts() for dataset in datasets}
    run = generate_descriptions(
        items, highlights, popularity, _cached_generator(warehouse, generator, context), generator.items_per_run
    )
    table = run.table
    with warehouse.connect() as connection:
        replace_rows(connection, "generated_descriptions", table)
    rejections, repairs = run.reasons()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(table),
            "items_needing_description": len(run.candidates.frame),
            "needs_by_dataset": preview(
                pd.DataFrame(run.candidates.need_counts).T.fillna(0).astype(int).reset_index(), rows=20
            ),
            "generated_this_run": run.generated,
            "still_to_generate": int(len(run.candidates.frame) - len(table)),
            "accepted": int(table["accepted"].sum()),
            "repaired": int(table["repaired"].sum()),
            "rejected": int((~table["accepted"]).sum()),
            "rejections_by_reason": counts_table(dict(rejections), key="reason", value="outputs"),
            "repairs_by_reason": counts_table(dict(repairs), key="reason", value="outputs"),
            "items_per_second": (
                round(run.generated / run.generate_seconds, 3) if run.generated and run.generate_seconds else None
            ),
            "model": generator.model_name(),
            "examples": preview(table[["dataset", "item_id", "description", "ad_copy", "accepted", "reasons"]], 10),
            "seconds": round(time.perf_counter() - started, 2),
        }
    )


def _cached_generator(
    warehouse: WarehouseResource, generator: GeneratorResource, context: dg.AssetExecutionContext
) -> CachedGenerator:
    return CachedGenerator(
        warehouse.connect, generator.generate, generator.model_name(), generator.settings(), context.log.info
    )


class DescriptionEvaluationConfig(dg.Config):
    """``sample_size`` items with a real description to hide and regenerate (drawn with ``seed``) from the
    dataset with the most of them; ``tail_items``: how many tail test targets without usable text get a generated
    description for the tail-recall comparison; ``test_days`` of that comparison's split."""

    sample_size: int = 24
    seed: int = 0
    tail_items: int = 24
    test_days: int = 28


@dg.asset(
    deps=[generated_descriptions, "item_embeddings", "cleaned_events"],
    group_name=GROUP,
    kinds={"duckdb", "pytorch"},
    pool=WAREHOUSE_POOL,
)
def generated_descriptions_evaluation(
    context: dg.AssetExecutionContext,
    config: DescriptionEvaluationConfig,
    warehouse: WarehouseResource,
    generator: GeneratorResource,
    embedder: EmbeddingModelResource,
) -> dg.MaterializeResult:
    """How good and how safe the generated texts are, written to ``$LONGTAIL_HOME/reports/generated_descriptions.json``.

    1. Hidden-description test (``longtail.language.description_evaluation.evaluate_generation``): items that do
       have a real description get one generated with it hidden; the report gives the cosine similarity to the
       hidden text, the invented-fact rate before and after the guard and the rejections by reason (outputs cached
       like any other).
    2. Tail recall: on a temporal split, the tail test targets whose description is missing, short or junk get a
       generated description (``tail_items`` of them, cached), and the content model (``ContentKNN``) is scored
       with their vectors from the catalogue text without and with it: tail recall@20 over their targets
       (``longtail.recommend.evaluation.description_effect``).
    """
    from longtail.recommend.evaluation.description_effect import content_tail_recall_with_generated
    from longtail.recommend.evaluation.offline import EvaluationSettings

    started = time.perf_counter()
    with warehouse.connect() as connection:
        items = read_table(connection, "cleaned_items")
        highlights = review_highlights(
            read_table(connection, "cleaned_reviews"), read_table(connection, "review_sentiment")
        )
    generate = _cached_generator(warehouse, generator, context)
    dataset = sample_dataset(items)
    if dataset is None:
        context.log.warning("no item has a real description to hide and regenerate: hidden-description test skipped")
        quality = {"sample_size": 0, "rejections_by_reason": {}, "examples": []}
    else:
        quality = evaluate_generation(
            items[items["dataset"] == dataset],
            generate,
            embedder.encode,
            config.sample_size,
            seed=config.seed,
            highlights_by_item=highlights.get(dataset),
        )
    context.log.info(f"{dataset}: hidden-description test on {quality['sample_size']} items done")
    effect = content_tail_recall_with_generated(
        warehouse.connect,
        embedder.encode,
        lambda name, rows: describe_items(rows, items[items["dataset"] == name], highlights.get(name), generate),
        max_items=config.tail_items,
        settings=EvaluationSettings(test_days=config.test_days),
    )
    report = description_report(quality, effect, dataset, generator.model_name())
    path = home.reports_dir() / f"{REPORT_NAME}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, default=str))
    headline = {
        key: report[key]
        for key in (
            "sample_size",
            "similarity_to_hidden",
            "similarity_facts_only",
            "invented_fact_rate_raw",
            "invented_fact_rate_guarded",
            "tail_recall_without_generated",
            "tail_recall_with_generated",
        )
        if report.get(key) is not None
    }
    return dg.MaterializeResult(
        metadata={
            **{key: float(value) for key, value in headline.items()},
            "rejections_by_reason": counts_table(quality["rejections_by_reason"], key="reason", value="outputs"),
            "tail_recall_comparison": dg.MetadataValue.json(effect),
            "invented facts and tail recall (plot)": dg.MetadataValue.md(
                _evaluation_plot(report, path.with_name(f"{REPORT_NAME}.png"))
            ),
            "examples": preview(
                pd.DataFrame(quality["examples"], columns=["hidden", "description", "ad_copy", "reasons"])
            ),
            "report": dg.MetadataValue.path(str(path)),
            "seconds": round(time.perf_counter() - started, 2),
        }
    )


def _evaluation_plot(report: dict, path: Path) -> str:
    """Invented-fact rate before and after the guard, and tail recall against the weight of the generated text
    (0: without it; the weight ``item_embeddings`` uses marked), saved at ``path`` and embedded in markdown; a
    panel whose test did not run says so."""
    figure, (facts, recall) = new_figure(2, size=(8, 3.4))
    if report.get("invented_fact_rate_raw") is None:
        facts.text(0.5, 0.5, "no hidden-description test", ha="center", va="center")
    else:
        rates = [report["invented_fact_rate_raw"], report["invented_fact_rate_guarded"]]
        facts.bar(["raw output", "after the guard"], rates, color=["tab:red", "tab:green"])
        for position, rate in enumerate(rates):
            facts.text(position, rate, f"{rate:.3f}", ha="center", va="bottom")
        facts.set_ylim(0, 1.1)
    facts.set_title(f"invented-fact rate ({report.get('sample_size', 0)} items)")
    effect = report.get("tail_recall") or {}
    by_weight = {
        float(weight): value for weight, value in (effect.get("tail_recall_by_generated_weight") or {}).items()
    }
    if report.get("tail_recall_without_generated") is None or not by_weight:
        recall.text(0.5, 0.5, "no tail-recall comparison", ha="center", va="center")
    else:
        weights = sorted(by_weight)
        recall.plot([0.0, *weights], [report["tail_recall_without_generated"], *map(by_weight.get, weights)], "o-")
        recall.axvline(effect["generated_weight"], color="grey", linestyle=":", label="weight item_embeddings uses")
        recall.set_ylim(bottom=0)
        recall.set_xlabel("weight of the generated text (0: without)")
        recall.legend(fontsize=7)
    recall.set_title("content model: tail recall@20")
    return embedded_png(figure, path, "invented facts and tail recall")


@dg.asset_check(asset=generated_descriptions, blocking=True, pool=WAREHOUSE_POOL)
def accepted_texts_are_safe(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    """No accepted description or ad copy contains markup, a URL, an e-mail address or an injected instruction:
    the guard's checks that need no facts, run again on what item_text will read."""
    with warehouse.connect() as connection:
        table = read_table(connection, "generated_descriptions", "accepted")
    texts = (table["description"].fillna("") + "\n" + table["ad_copy"].fillna("")).tolist() if len(table) else []
    leaks = [text for text in texts if guard.is_unsafe(text)]
    return dg.AssetCheckResult(
        passed=not leaks, metadata={"accepted": len(table), "unsafe": len(leaks), "examples": json.dumps(leaks[:5])}
    )


DESCRIPTION_CHECKS = [accepted_texts_are_safe]
