"""generated_descriptions (-> item_text) and generated_descriptions_evaluation.

Items whose catalogue description is missing, short or junk get a description and a one-line ad written by a
small language model from their facts only (title, category, brand, price, review highlights); a guard repairs
or rejects every output that states something the facts do not. Raw outputs are cached by prompt hash in the
``generation_cache`` table, so a rerun regenerates nothing whose prompt, model and settings are unchanged, and a
run stopped halfway keeps what it finished. Each run generates at most ``generator.items_per_run`` new texts.
"""

import json
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd

from assets.metadata import counts_table, embedded_png, new_figure, preview
from longtail.data.interactions import load_interactions
from longtail.data.warehouse import read_table, replace_rows, table_exists
from longtail.language import generation, guard
from resources import home
from resources.models import EmbeddingModelResource, GeneratorResource
from resources.warehouse import WAREHOUSE_POOL, WarehouseResource

GROUP = "language"
REPORT_NAME = "generated_descriptions"
# Outputs are generated and cached this many prompts at a time: what a stopped run can lose at most.
CHUNK_PROMPTS = 32
# Review highlights per item in a prompt: the titles (summaries) of its best-rated reviews, short by nature.
HIGHLIGHTS_PER_ITEM = generation.MAX_HIGHLIGHTS
CANDIDATE_COLUMNS = ["dataset", "item_id", "need", "prompt_hash", "prompt"]
DESCRIPTION_COLUMNS = [
    "dataset",
    "item_id",
    "need",
    "prompt_hash",
    "description",
    "ad_copy",
    "accepted",
    "repaired",
    "reasons",
    "model",
]


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
        highlights = _review_highlights(connection)
        datasets = sorted(items["dataset"].unique()) if len(items) else []
        popularity = {dataset: _popularity(connection, dataset) for dataset in datasets}
        cached = _cached_hashes(connection)
    model, settings = generator.model_name(), generator.settings()
    candidates, facts_by_key, need_counts = [], {}, {}
    for dataset, group in items.groupby("dataset") if len(items) else ():
        needs = generation.needs_description(group)
        wanting = group[needs["needs_description"].to_numpy()]
        facts = generation.item_facts(wanting, highlights.get(dataset))
        describable = np.array([_describable(item) for item in facts], dtype=bool)
        need_counts[dataset] = {
            **needs["reason"].value_counts().to_dict(),
            "nothing_to_describe": int((~describable).sum()),
        }
        wanting = wanting[describable]
        facts = [item for item, keep in zip(facts, describable) if keep]
        reasons = needs.loc[needs["needs_description"], "reason"].to_numpy()[describable]
        brands = generation.known_brands(generation.item_facts(group))
        prompts = [generation.build_prompt(item) for item in facts]
        candidates.append(
            pd.DataFrame(
                {
                    "dataset": dataset,
                    "item_id": wanting["item_id"].to_numpy(),
                    "need": reasons,
                    "prompt_hash": [generation.prompt_hash(prompt, model, settings) for prompt in prompts],
                    "prompt": prompts,
                },
                columns=CANDIDATE_COLUMNS,
            )
        )
        facts_by_key.update({(dataset, item.item_id): (item, brands) for item in facts})
    candidates = pd.concat(candidates, ignore_index=True) if candidates else pd.DataFrame(columns=CANDIDATE_COLUMNS)
    selected = _select(candidates, popularity, cached, generator.items_per_run)
    context.log.info(
        f"{len(candidates):,} items need a description, {candidates['prompt_hash'].isin(cached).sum():,} are "
        f"cached; generating {len(selected):,} now (budget {generator.items_per_run}) with {model}"
    )
    generate_started = time.perf_counter()
    generate_cached(
        selected["prompt"].tolist(), selected["prompt_hash"].tolist(), warehouse, generator, context.log.info
    )
    generate_seconds = time.perf_counter() - generate_started

    with warehouse.connect() as connection:
        raw = _cached_outputs(connection, candidates["prompt_hash"].tolist())
        table = _guarded(candidates, raw, facts_by_key, model)
        replace_rows(connection, "generated_descriptions", table)
    fresh = table[table["prompt_hash"].isin(selected["prompt_hash"])]
    reasons = Counter(r for value in table.loc[~table["accepted"], "reasons"] for r in value.split(",") if r)
    repairs = Counter(r for value in table.loc[table["repaired"], "reasons"] for r in value.split(",") if r)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(table),
            "items_needing_description": len(candidates),
            "needs_by_dataset": preview(pd.DataFrame(need_counts).T.fillna(0).astype(int).reset_index(), rows=20),
            "generated_this_run": len(fresh),
            "still_to_generate": int(len(candidates) - len(table)),
            "accepted": int(table["accepted"].sum()),
            "repaired": int(table["repaired"].sum()),
            "rejected": int((~table["accepted"]).sum()),
            "rejections_by_reason": counts_table(dict(reasons), key="reason", value="outputs"),
            "repairs_by_reason": counts_table(dict(repairs), key="reason", value="outputs"),
            "items_per_second": round(len(fresh) / generate_seconds, 3) if len(fresh) and generate_seconds else None,
            "model": model,
            "examples": preview(table[["dataset", "item_id", "description", "ad_copy", "accepted", "reasons"]], 10),
            "seconds": round(time.perf_counter() - started, 2),
        }
    )


def generate_cached(
    prompts: Sequence[list[dict]],
    hashes: Sequence[str],
    warehouse: WarehouseResource,
    generator: GeneratorResource,
    log: Callable[[str], None],
) -> list[str]:
    """The raw output of each prompt: from ``generation_cache`` where its hash is there, else generated and
    stored, ``CHUNK_PROMPTS`` at a time, so a stopped run keeps every finished chunk."""
    with warehouse.connect() as connection:
        outputs = _cached_outputs(connection, list(hashes))
    todo = list(dict.fromkeys(h for h in hashes if h not in outputs))
    prompt_of = dict(zip(hashes, prompts))
    done_before = 0
    for start in range(0, len(todo), CHUNK_PROMPTS):
        chunk = todo[start : start + CHUNK_PROMPTS]

        def progress(done: int, total: int, offset=done_before) -> None:
            log(f"generated {offset + done:,} / {len(todo):,} texts")

        texts = generator.generate([prompt_of[h] for h in chunk], progress=progress)
        rows = pd.DataFrame(
            {
                "prompt_hash": chunk,
                "model": generator.model_name(),
                "raw_output": texts,
                "generated_at": pd.Timestamp.now(tz="UTC"),
            }
        )
        with warehouse.connect() as connection:
            replace_rows(connection, "generation_cache", rows, "list_contains(?, prompt_hash)", [chunk])
        outputs.update(zip(chunk, texts))
        done_before += len(chunk)
    return [outputs[h] for h in hashes]


def _describable(facts: generation.ItemFacts) -> bool:
    """Whether the facts say what the item is: a title, or a brand and a category. Without them every such item
    would get the same prompt, and so the same generic text."""
    return bool(facts.title) or bool(facts.brand and facts.category)


def _select(candidates: pd.DataFrame, popularity: dict, cached: set[str], budget: int) -> pd.DataFrame:
    """``select_for_generation`` per dataset with an even share of ``budget``; items without interactions rank
    after every item with some."""
    if candidates.empty or budget <= 0:
        return candidates.iloc[:0]
    share = math.ceil(budget / candidates["dataset"].nunique())
    parts = []
    for dataset, group in candidates.groupby("dataset"):
        counts = popularity.get(dataset, pd.Series(dtype=float))
        priority = group["item_id"].map(counts).fillna(0.0).replace(0.0, np.inf)
        parts.append(
            generation.select_for_generation(
                group, pd.Series(priority.to_numpy(), index=group["item_id"]), cached, share
            )
        )
    return pd.concat(parts, ignore_index=True).head(budget)


def _guarded(candidates: pd.DataFrame, raw: dict[str, str], facts_by_key: dict, model: str) -> pd.DataFrame:
    """One row per candidate with a cached output: parsed, then repaired or rejected by the guard."""
    rows = []
    for candidate in candidates[candidates["prompt_hash"].isin(raw)].itertuples(index=False):
        facts, brands = facts_by_key[(candidate.dataset, candidate.item_id)]
        description, ad_copy = generation.parse_generation(raw[candidate.prompt_hash])
        result = guard.guard_output(description, ad_copy, facts, brands)
        rows.append(
            {
                "dataset": candidate.dataset,
                "item_id": candidate.item_id,
                "need": candidate.need,
                "prompt_hash": candidate.prompt_hash,
                "description": result.description,
                "ad_copy": result.ad_copy,
                "accepted": result.accepted,
                "repaired": result.repaired,
                "reasons": ",".join(result.reasons),
                "model": model,
            }
        )
    return pd.DataFrame(rows, columns=DESCRIPTION_COLUMNS).astype({"accepted": bool, "repaired": bool})


def _cached_hashes(connection) -> set[str]:
    if not table_exists(connection, "generation_cache"):
        return set()
    return {row[0] for row in connection.execute("select prompt_hash from generation_cache").fetchall()}


def _cached_outputs(connection, hashes: list[str]) -> dict[str, str]:
    if not hashes or not table_exists(connection, "generation_cache"):
        return {}
    rows = connection.execute(
        "select prompt_hash, raw_output from generation_cache where list_contains(?, prompt_hash)", [hashes]
    ).fetchall()
    return dict(rows)


def _popularity(connection, dataset: str) -> pd.Series:
    """Interactions (events and reviews) per item of ``dataset``."""
    return load_interactions(connection, dataset)["item_id"].value_counts().astype(float)


def _review_highlights(connection) -> dict[str, dict[str, list[str]]]:
    """dataset -> item_id -> the titles of its ``HIGHLIGHTS_PER_ITEM`` best-scored reviews (sentiment score, then
    newest); the generation core sanitizes them before they reach a prompt."""
    if not table_exists(connection, "review_sentiment") or not table_exists(connection, "cleaned_reviews"):
        return {}
    rows = connection.execute(
        """select r.dataset, r.item_id, r.title from cleaned_reviews r
           join review_sentiment s using (dataset, review_id)
           where coalesce(trim(r.title), '') <> ''
           qualify row_number() over (partition by r.dataset, r.item_id order by s.score desc, r.ts desc) <= ?""",
        [HIGHLIGHTS_PER_ITEM],
    ).df()
    return {
        dataset: group.groupby("item_id")["title"].apply(list).to_dict() for dataset, group in rows.groupby("dataset")
    }


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

    1. Hidden-description test: items that do have a real description get one generated with it hidden; the
       report gives the cosine similarity to the hidden text, the invented-fact rate before and after the guard and
       the rejections by reason (outputs cached like any other).
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
        highlights = _review_highlights(connection)
    usable = {
        dataset: int((~generation.needs_description(group)["needs_description"]).sum())
        for dataset, group in (items.groupby("dataset") if len(items) else ())
    }
    sample_dataset = max(usable, key=usable.get, default=None)
    model, settings = generator.model_name(), generator.settings()

    def generate(prompts: list[list[dict]]) -> list[str]:
        hashes = [generation.prompt_hash(prompt, model, settings) for prompt in prompts]
        return generate_cached(prompts, hashes, warehouse, generator, context.log.info)

    if sample_dataset is None or usable[sample_dataset] == 0:
        context.log.warning("no item has a real description to hide and regenerate: hidden-description test skipped")
        quality = {"sample_size": 0, "rejections_by_reason": {}, "examples": []}
    else:
        quality = generation.evaluate_generation(
            items[items["dataset"] == sample_dataset],
            generate,
            embedder.encode,
            config.sample_size,
            seed=config.seed,
            highlights_by_item=highlights.get(sample_dataset),
        )
    context.log.info(f"{sample_dataset}: hidden-description test on {quality['sample_size']} items done")

    def describe(dataset: str, rows: pd.DataFrame) -> pd.DataFrame:
        facts = generation.item_facts(rows, highlights.get(dataset))
        brands = generation.known_brands(generation.item_facts(items[items["dataset"] == dataset]))
        outputs = generate([generation.build_prompt(item) for item in facts])
        results = [
            (item.item_id, guard.guard_output(*generation.parse_generation(output), item, brands))
            for item, output in zip(facts, outputs)
        ]
        accepted = [(item_id, result.description) for item_id, result in results if result.accepted]
        return pd.DataFrame(accepted, columns=["item_id", "text"])

    effect = content_tail_recall_with_generated(
        warehouse.connect,
        embedder.encode,
        describe,
        max_items=config.tail_items,
        settings=EvaluationSettings(test_days=config.test_days),
    )
    report = {
        **dict.fromkeys(("similarity_to_hidden", "invented_fact_rate_raw", "invented_fact_rate_guarded")),
        **{key: value for key, value in quality.items() if key != "examples"},
        "sample_dataset": sample_dataset,
        "tail_recall_without_generated": effect["tail_recall_without_generated"],
        "tail_recall_with_generated": effect["tail_recall_with_generated"],
        "tail_recall": effect,
        "generator": model,
        "examples": quality["examples"],
    }
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
    leaks = [text for text in texts if _unsafe(text)]
    return dg.AssetCheckResult(
        passed=not leaks, metadata={"accepted": len(table), "unsafe": len(leaks), "examples": json.dumps(leaks[:5])}
    )


def _unsafe(text: str) -> bool:
    """Whether ``text`` holds something no fact can ground: markup, a URL, an e-mail or an instruction."""
    return any(
        violation.reason in ("url", "email", "html", "injected_instruction")
        for violation in guard.find_violations(text, generation.ItemFacts(item_id=""), ())
    )


DESCRIPTION_CHECKS = [accepted_texts_are_safe]
