"""generated_descriptions (-> item_text) and generated_descriptions_evaluation.

Items whose catalogue description is missing, short or junk, and items known only from their reviews, get a
published description and a one-line ad that state only their facts (title, category, brand, price, features,
review figures and quotes). By default the texts are grounded: the facts restated by fixed phrasings
(``longtail.language.grounded``). With ``GeneratorResource.source = "model"`` a small language model writes them, a
guard repairs or rejects each output, and rejected items get the grounded text; raw outputs are cached by prompt
hash in ``generation_cache`` (``longtail.language.caches.CachedGenerator``), at most ``generator.items_per_run`` new
ones per run. ``docs/faithfulness.md`` gives the labelled evaluation that chose the default.
"""

import json
import time
from pathlib import Path

import dagster as dg
import pandas as pd

from assets.metadata import counts_table, embedded_png, new_figure, preview
from longtail.data.interactions import load_interactions
from longtail.data.warehouse import read_table, replace_rows
from longtail.files import write_text_whole
from longtail.language import guard
from longtail.language.caches import CachedGenerator
from longtail.language.description_evaluation import description_report, evaluate_generation, sample_dataset
from longtail.language.descriptions import coverage, describe_items, generate_descriptions
from longtail.language.facts import item_facts, known_brands
from longtail.language.faithfulness import faithfulness_figures, load_labels, reader_agreement
from longtail.language.review_facts import review_facts
from resources import home
from resources.models import EmbeddingModelResource, GeneratorResource
from resources.warehouse import WAREHOUSE_POOL, WarehouseResource

GROUP = "language"
REPORT_NAME = "generated_descriptions"


def _read_inputs(warehouse: WarehouseResource) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(cleaned_items, cleaned_reviews, review_sentiment)``."""
    with warehouse.connect() as connection:
        return tuple(read_table(connection, name) for name in ("cleaned_items", "cleaned_reviews", "review_sentiment"))


@dg.asset(
    deps=["cleaned_items", "cleaned_events", "cleaned_reviews", "review_sentiment"],
    group_name=GROUP,
    kinds={"duckdb", "pytorch"},
    pool=WAREHOUSE_POOL,
)
def generated_descriptions(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, generator: GeneratorResource
) -> dg.MaterializeResult:
    """A published description and ad copy for each item without a usable description, and each item known only
    from its reviews (``longtail.language.descriptions.generate_descriptions``).

    Items whose facts say nothing of what they are (no title that names them, not both a brand and a category, no
    review mentions) get none. With the "model" source, items with at least one interaction go before items nobody
    has bought or rated, the least popular first, and the budget is shared evenly between datasets. ``item_text``
    uses the accepted descriptions.
    """
    started = time.perf_counter()
    items, reviews, scores = _read_inputs(warehouse)
    by_item = review_facts(reviews, scores)
    with warehouse.connect() as connection:
        datasets = sorted(items["dataset"].unique()) if len(items) else []
        popularity = {dataset: load_interactions(connection, dataset)["item_id"].value_counts() for dataset in datasets}
    model = _cached_generator(warehouse, generator, context) if generator.source == "model" else None
    run = generate_descriptions(items, by_item, popularity, generator.source, model, generator.items_per_run)
    table = run.table
    with warehouse.connect() as connection:
        replace_rows(connection, "generated_descriptions", table)
    rejections, repairs = run.reasons()
    covered = coverage(items, by_item, table)
    seconds = time.perf_counter() - started
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(table),
            "source": generator.source,
            "published": int(table["accepted"].sum()),
            "coverage": covered["share"],
            "coverage_by_dataset": preview(pd.DataFrame(covered["by_dataset"]).T.reset_index(names="dataset"), 20),
            "needs_by_dataset": preview(
                pd.DataFrame(run.candidates.need_counts).T.fillna(0).astype(int).reset_index(), rows=20
            ),
            "published_by_source": counts_table(table.loc[table["accepted"], "source"].value_counts().to_dict()),
            "model_outputs_this_run": run.generated,
            "repaired": int(table["repaired"].sum()),
            "not_published": int((~table["accepted"]).sum()),
            "rejections_by_reason": counts_table(dict(rejections), key="reason", value="rows"),
            "repairs_by_reason": counts_table(dict(repairs), key="reason", value="rows"),
            "items_per_second": round(len(table) / seconds, 1) if len(table) else None,
            "model": generator.model_name() if generator.source == "model" else "none (grounded text)",
            "examples": preview(
                table.groupby("dataset", group_keys=False).head(3)[
                    ["dataset", "item_id", "need", "description", "ad_copy", "source"]
                ],
                rows=20,
            ),
            "seconds": round(seconds, 2),
        }
    )


def _cached_generator(
    warehouse: WarehouseResource, generator: GeneratorResource, context: dg.AssetExecutionContext
) -> CachedGenerator:
    return CachedGenerator(
        warehouse.connect, generator.generate, generator.model_name(), generator.settings(), context.log.info
    )


class DescriptionEvaluationConfig(dg.Config):
    """``sample_size`` items with a real description to hide and describe again (drawn with ``seed``) from the
    dataset with the most of them; ``tail_items``: with the "model" source, how many tail items per dataset get a
    model output for the tail-recall comparison (the grounded source describes every one); with the "model" source
    both are capped by the generator's ``items_per_run`` budget; ``test_days`` of that comparison's split."""

    sample_size: int = 200
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
    """How faithful, complete and useful the published texts are, written to
    ``$LONGTAIL_HOME/reports/generated_descriptions.json``.

    1. Faithfulness (``longtail.language.faithfulness``): on the labelled set in ``docs/labels/`` (labels made by
       careful reading under ``docs/faithfulness.md``), the unsupported-claim rate of what each source publishes,
       with 95% intervals, and the guard's precision and recall, on the report split (tune split alongside).
    2. Coverage: the share of items lacking a usable description that have a published text.
    3. Hidden-description test (``longtail.language.description_evaluation.evaluate_generation``): items with a
       real description are described with it hidden; cosine similarity to the hidden text, against the bare facts.
    4. Tail recall (``longtail.recommend.evaluation.description_effect``): the content model on a temporal split,
       without and with the published texts of the tail test items that lack text, from facts before the cut; the
       weight chosen on validation items, figures on test items.
    """
    from longtail.recommend.evaluation.description_effect import content_tail_recall_with_generated
    from longtail.recommend.evaluation.offline import EvaluationSettings

    started = time.perf_counter()
    items, reviews, scores = _read_inputs(warehouse)
    with warehouse.connect() as connection:
        table = read_table(connection, "generated_descriptions")
    by_item = review_facts(reviews, scores)
    model = _cached_generator(warehouse, generator, context) if generator.source == "model" else None
    brands = {
        dataset: known_brands(item_facts(group)) for dataset, group in (items.groupby("dataset") if len(items) else ())
    }
    labels = load_labels()
    figures = {split: faithfulness_figures(labels, brands, split) for split in ("report", "tune")}
    context.log.info(f"faithfulness: {len(labels)} labelled texts")
    dataset = sample_dataset(items)
    if dataset is None:
        context.log.warning("no item has a real description to hide: hidden-description test skipped")
        quality = {"sample_size": 0, "rejections_by_reason": {}, "examples": []}
    else:
        quality = evaluate_generation(
            items[items["dataset"] == dataset],
            embedder.encode,
            # The model's outputs are budgeted here too; grounded text costs nothing.
            min(config.sample_size, generator.items_per_run) if model is not None else config.sample_size,
            seed=config.seed,
            reviews_by_item=by_item.get(dataset),
            generate=model,
        )
    context.log.info(f"{dataset}: hidden-description test on {quality['sample_size']} items done")

    def describe(name: str, rows: pd.DataFrame, cut) -> pd.DataFrame:
        before_cut = review_facts(reviews, scores, before=cut).get(name) if cut is not None else by_item.get(name)
        return describe_items(rows, items[items["dataset"] == name], before_cut, model)

    effect = content_tail_recall_with_generated(
        warehouse.connect,
        embedder.encode,
        describe,
        max_items=min(config.tail_items, generator.items_per_run) if model is not None else None,
        settings=EvaluationSettings(test_days=config.test_days),
    )
    report = description_report(
        quality, effect, figures, coverage(items, by_item, table), labels, dataset, generator.source,
        generator.model_name() if model is not None else "none (grounded text)",
    )  # fmt: skip
    report["faithfulness"]["second_reader"] = reader_agreement(labels)
    path = home.reports_dir() / f"{REPORT_NAME}.json"
    write_text_whole(path, json.dumps(report, indent=2, default=str))
    published = report["faithfulness"]
    return dg.MaterializeResult(
        metadata={
            "source": generator.source,
            **{
                f"{field}_unsupported_rate": published[field]["unsupported_rate"]
                for field in ("description", "ad_copy")
                if published[field]["unsupported_rate"] is not None
            },
            **{f"{field}_unsupported_ci95": str(published[field]["ci95"]) for field in ("description", "ad_copy")},
            "faithfulness": dg.MetadataValue.json(report["faithfulness"]),
            "coverage": report["coverage"]["share"],
            "tail_recall_gain": report["tail_recall_gain"],
            **{
                key: float(report[key])
                for key in ("similarity_to_hidden", "similarity_facts_only", "similarity_gain")
                if report.get(key) is not None
            },
            "tail_recall_comparison": dg.MetadataValue.json(effect),
            "faithfulness and tail recall (plot)": dg.MetadataValue.md(
                _evaluation_plot(report, path.with_name(f"{REPORT_NAME}.png"))
            ),
            "examples": preview(
                pd.DataFrame(quality["examples"], columns=["hidden", "description", "ad_copy", "source"])
            ),
            "report": dg.MetadataValue.path(str(path)),
            "seconds": round(time.perf_counter() - started, 2),
        }
    )


def _evaluation_plot(report: dict, path: Path) -> str:
    """Unsupported-claim rate per source and field with its 95% interval (report split of the labelled set), and
    the content model's tail recall@20 on test items without and with the published texts, per dataset; saved at
    ``path`` and embedded in markdown."""
    figure, (faithful, recall) = new_figure(2, size=(9, 3.6))
    labels, rates, errors = [], [], [[], []]
    for source, fields in report["faithfulness_by_source"].items():
        for field, figures in fields.items():
            if figures["unsupported_rate"] is None:
                continue
            labels.append(f"{source}\n{field}")
            rates.append(figures["unsupported_rate"])
            errors[0].append(figures["unsupported_rate"] - figures["ci95"][0])
            errors[1].append(figures["ci95"][1] - figures["unsupported_rate"])
    if labels:
        faithful.bar(labels, rates, yerr=errors, capsize=3, color="tab:red")
        faithful.axhline(0.02, color="grey", linestyle=":", label="target 2%")
        faithful.legend(fontsize=7)
    faithful.set_ylim(0, 1)
    faithful.set_title("unsupported claims in published text (95% CI)")
    datasets = report["tail_recall"].get("datasets", {})
    if not datasets:
        recall.text(0.5, 0.5, "no tail-recall comparison", ha="center", va="center")
    else:
        names = sorted(datasets)
        without = [_test_recall(datasets[name], None) for name in names]
        with_text = [_test_recall(datasets[name], datasets[name]["weight"]) for name in names]
        positions = range(len(names))
        recall.bar([p - 0.2 for p in positions], without, width=0.4, label="without")
        recall.bar([p + 0.2 for p in positions], with_text, width=0.4, label="with published text")
        recall.set_xticks(list(positions), [name.split("_")[0] for name in names], fontsize=7)
        recall.legend(fontsize=7)
    recall.set_title("content model: tail recall@20, test items")
    return embedded_png(figure, path, "faithfulness and tail recall")


def _test_recall(figures: dict, weight: float | None) -> float:
    test = figures["test"]
    hits = test["hits_without"] if weight is None else test["hits_by_weight"][weight]
    return hits / test["targets"] if test["targets"] else 0.0


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
