"""Published descriptions and ad lines for the items whose own description is missing, short or junk, one dataset at
a time, from one of two sources (``TEXT_SOURCES``):

- "facts" (the default): ``longtail.language.grounded.grounded_text`` restates the item's facts by fixed phrasings;
- "model": a small language model writes from the facts (``longtail.language.caches.CachedGenerator``), the guard
  repairs or rejects each output, and an item whose output is rejected gets its grounded text instead.

The faithfulness evaluation (``longtail.language.faithfulness``, labels under ``docs/labels/``) measures both; the
default is the one that meets the target.

1. ``description_candidates``: the items that need a description (``longtail.language.facts.needs_description``),
   and items known only from their reviews, whose facts say what they are (``is_describable``), each with its
   facts, prompt and cache key.
2. With "model": ``longtail.language.selection.select_within_budget`` picks the uncached ones to generate now, tail
   first, and the generator generates them.
3. ``published_texts`` writes each candidate's text and has the guard check it.

``generate_descriptions`` runs the whole chain; ``describe_items`` publishes, without budget, for given items.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from longtail.language import guard
from longtail.language.caches import CachedGenerator
from longtail.language.facts import (
    ItemFacts,
    is_describable,
    item_facts,
    known_brands,
    needs_description,
    review_only_ids,
)
from longtail.language.grounded import grounded_text
from longtail.language.prompts import build_prompt, parse_generation
from longtail.language.review_facts import ReviewFacts
from longtail.language.selection import select_within_budget

TEXT_SOURCES = ("facts", "model")
CANDIDATE_COLUMNS = ["dataset", "item_id", "need", "prompt_hash", "prompt"]
DESCRIPTION_COLUMNS = [
    "dataset",
    "item_id",
    "need",
    "prompt_hash",
    "description",
    "ad_copy",
    "source",
    "accepted",
    "repaired",
    "reasons",
    "model",
]
# The need of an item that has reviews but no catalogue row.
REVIEWS_ONLY = "reviews_only"

ReviewsByDataset = Mapping[str, Mapping[object, ReviewFacts]]


@dataclass(frozen=True)
class Candidates:
    """The items to describe: ``frame`` (``CANDIDATE_COLUMNS``: the need, the cache key and the prompt of each),
    ``facts`` per ``(dataset, item_id)``, the catalogue's ``brands`` per dataset (for the guard), and
    ``need_counts`` per dataset: items per reason ("missing", "short", "junk") and ``nothing_to_describe``."""

    frame: pd.DataFrame
    facts: dict[tuple[str, str], ItemFacts]
    brands: dict[str, tuple[str, ...]]
    need_counts: dict[str, dict[str, int]]


def description_candidates(
    items: pd.DataFrame, reviews: ReviewsByDataset, key: Callable[[list[dict[str, str]]], str] | None = None
) -> Candidates:
    """The items of ``items`` (cleaned item rows of any datasets) that need a description and are describable, and the
    items of ``reviews`` with no catalogue row (need ``REVIEWS_ONLY``).

    ``reviews`` maps dataset -> item_id -> ``ReviewFacts`` (``longtail.language.review_facts.review_facts``); ``key``
    gives a prompt's cache key (``CachedGenerator.key``; None leaves ``prompt_hash`` empty). Items whose facts say
    nothing of what they are are counted under ``nothing_to_describe`` and left out.
    """
    frames, facts_by_key, brands, need_counts = [], {}, {}, {}
    datasets = sorted(set(items["dataset"]) | set(reviews))
    for dataset in datasets:
        group = items[items["dataset"] == dataset]
        by_item = reviews.get(dataset, {})
        needs = needs_description(group)
        lacking = needs["needs_description"].to_numpy(dtype=bool)
        only_reviewed = review_only_ids(by_item, group["item_id"])
        wanting = group[lacking]
        if only_reviewed:
            # Only the reviewed items' ids are known: their catalogue columns are null.
            wanting = pd.concat([wanting, pd.DataFrame({"item_id": only_reviewed})], ignore_index=True)
        reasons = np.concatenate([needs["reason"].to_numpy()[lacking], [REVIEWS_ONLY] * len(only_reviewed)])
        facts = item_facts(wanting, by_item)
        describable = np.array([is_describable(item) for item in facts], dtype=bool)
        need_counts[dataset] = {
            **pd.Series(reasons).value_counts().to_dict(),
            "nothing_to_describe": int((~describable).sum()),
        }
        facts = [item for item, keep in zip(facts, describable) if keep]
        prompts = [build_prompt(item) for item in facts]
        frames.append(
            pd.DataFrame(
                {
                    "dataset": dataset,
                    "item_id": wanting["item_id"].to_numpy()[describable],
                    "need": reasons[describable],
                    "prompt_hash": [key(prompt) for prompt in prompts] if key else None,
                    "prompt": prompts,
                },
                columns=CANDIDATE_COLUMNS,
            )
        )
        facts_by_key.update({(dataset, item.item_id): item for item in facts})
        brands[dataset] = known_brands(item_facts(group))
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=CANDIDATE_COLUMNS)
    return Candidates(frame, facts_by_key, brands, need_counts)


def grounded_result(facts: ItemFacts, brands: Sequence[str]) -> guard.GuardResult:
    """The grounded text of ``facts`` (``grounded_text``), checked by the guard all the same: accepted when neither
    part has a finding (a catalogue feature or title could carry one)."""
    description, ad_copy = grounded_text(facts)
    findings = {v.reason for text in (description, ad_copy) for v in guard.find_violations(text, facts, brands)}
    accepted = bool(description) and not findings
    return guard.GuardResult(
        description if accepted else "", ad_copy if accepted else "", accepted, False, sorted(findings)
    )


def publish(
    facts: Sequence[ItemFacts], brands: Sequence[str], raw_outputs: Sequence[str | None] | None = None
) -> list[tuple[str, guard.GuardResult, list[str]]]:
    """What to publish for each of ``facts``: ``(source, result, model_reasons)``.

    Where ``raw_outputs`` holds a model output (not None) that the guard accepts against the item's facts and the
    catalogue's ``brands``, it is published repaired (source "model"); everywhere else the grounded text is
    (``grounded_result``, source "facts"). ``model_reasons`` are the guard's findings in the model output ([]
    without one).
    """
    raw_outputs = [None] * len(facts) if raw_outputs is None else list(raw_outputs)
    if len(raw_outputs) != len(facts):
        raise ValueError(f"got {len(raw_outputs)} outputs for {len(facts)} items")
    brands = tuple(brands)
    published = []
    for item, raw in zip(facts, raw_outputs):
        model = guard.guard_output(*parse_generation(raw), item, brands) if raw is not None else None
        if model is not None and model.accepted:
            published.append(("model", model, model.reasons))
        else:
            published.append(("facts", grounded_result(item, brands), model.reasons if model else []))
    return published


def published_texts(candidates: Candidates, outputs: Mapping[str, str], model: str) -> pd.DataFrame:
    """One row per candidate, ``DESCRIPTION_COLUMNS``: what ``publish`` publishes, given the stored model outputs
    (``outputs``: cache key -> raw output). ``model`` is the generator's name on rows of source "model" ("" on
    the others); ``reasons`` are the guard's, comma-separated: of the model output when there was one, else of
    the grounded text."""
    rows = []
    for dataset, group in candidates.frame.groupby("dataset", sort=False):
        facts = [candidates.facts[(dataset, item_id)] for item_id in group["item_id"]]
        raw = [outputs.get(key) if key is not None else None for key in group["prompt_hash"]]
        for item_id, need, key, (source, result, model_reasons) in zip(
            group["item_id"], group["need"], group["prompt_hash"], publish(facts, candidates.brands[dataset], raw)
        ):
            rows.append(
                {
                    "dataset": dataset,
                    "item_id": item_id,
                    "need": need,
                    "prompt_hash": key,
                    "description": result.description,
                    "ad_copy": result.ad_copy,
                    "source": source,
                    "accepted": result.accepted,
                    "repaired": result.repaired,
                    "reasons": ",".join(model_reasons or result.reasons),
                    "model": model if source == "model" else "",
                }
            )
    # prompt_hash is null throughout without a model: typed, so that the warehouse column stays text.
    return pd.DataFrame(rows, columns=DESCRIPTION_COLUMNS).astype(
        {"prompt_hash": "string", "accepted": bool, "repaired": bool}
    )


@dataclass(frozen=True)
class DescriptionRun:
    """What ``generate_descriptions`` did: ``table`` (``DESCRIPTION_COLUMNS``, every candidate), the ``candidates``,
    the rows ``selected`` for the model in this run (none with source "facts"), and ``generate_seconds`` spent on
    them."""

    table: pd.DataFrame
    candidates: Candidates
    selected: pd.DataFrame
    generate_seconds: float

    @property
    def generated(self) -> int:
        """Model outputs generated in this run."""
        return len(self.selected)

    def reasons(self) -> tuple[Counter, Counter]:
        """``(rejections, repairs)``: rows per guard reason among the unpublished and the repaired rows."""
        table = self.table
        rejections = Counter(r for value in table.loc[~table["accepted"], "reasons"] for r in value.split(",") if r)
        repairs = Counter(r for value in table.loc[table["repaired"], "reasons"] for r in value.split(",") if r)
        return rejections, repairs


def generate_descriptions(
    items: pd.DataFrame,
    reviews: ReviewsByDataset,
    popularity: Mapping[str, pd.Series],
    source: str = "facts",
    generator: CachedGenerator | None = None,
    budget: int = 0,
) -> DescriptionRun:
    """The published text of every candidate, from ``source`` (one of ``TEXT_SOURCES``).

    ``items`` are cleaned item rows of any datasets; ``reviews`` as ``description_candidates`` takes them. With
    "model", ``generator`` writes at most ``budget`` new outputs, tail first (``popularity`` maps a dataset to its
    interactions per ``item_id``: items without any come last; ``select_within_budget``), and every stored output
    is guarded; candidates without an accepted output get their grounded text.
    """
    if source not in TEXT_SOURCES:
        raise ValueError(f"source must be one of {TEXT_SOURCES}, got {source!r}")
    if source == "model" and generator is None:
        raise ValueError("source 'model' needs a generator")
    candidates = description_candidates(items, reviews, generator.key if source == "model" else None)
    if source == "facts":
        return DescriptionRun(published_texts(candidates, {}, ""), candidates, candidates.frame.iloc[:0], 0.0)
    cached = generator.cached_keys()
    selected = select_within_budget(candidates.frame, popularity, cached, budget)
    generator.log(
        f"{len(candidates.frame):,} items need a description, {candidates.frame['prompt_hash'].isin(cached).sum():,} "
        f"are cached; generating {len(selected):,} now (budget {budget}) with {generator.model}"
    )
    started = time.perf_counter()
    generator(selected["prompt"].tolist())
    generate_seconds = time.perf_counter() - started
    outputs = generator.outputs(candidates.frame["prompt_hash"].tolist())
    return DescriptionRun(published_texts(candidates, outputs, generator.model), candidates, selected, generate_seconds)


def describe_items(
    items: pd.DataFrame,
    catalogue: pd.DataFrame,
    reviews_by_item: Mapping[object, ReviewFacts] | None,
    generate: Callable[[list[list[dict[str, str]]]], list[str]] | None = None,
) -> pd.DataFrame:
    """``item_id, text``: the published description (``publish``) of each of ``items`` (cleaned item rows of one
    dataset), from its facts and ``reviews_by_item`` (item_id -> ``ReviewFacts``); the guard knows the brands of
    ``catalogue`` (all items of that dataset). ``generate`` (prompts -> raw outputs) adds the model's outputs;
    without it the grounded texts are published. Items without a published text are left out."""
    facts = item_facts(items, reviews_by_item)
    raw = generate([build_prompt(item) for item in facts]) if generate is not None else None
    published = publish(facts, known_brands(item_facts(catalogue)), raw)
    return pd.DataFrame(
        [(item.item_id, result.description) for item, (_, result, _) in zip(facts, published) if result.accepted],
        columns=["item_id", "text"],
    )


def coverage(items: pd.DataFrame, reviews: ReviewsByDataset, table: pd.DataFrame) -> dict:
    """How many of the items that lack a usable description have a published text: ``{"lacking", "published",
    "share", "by_dataset": {dataset: {"lacking", "published", "share"}}}``.

    Lacking are the items of ``items`` (cleaned rows, any datasets) whose description is missing, short or junk,
    and the items of ``reviews`` without a catalogue row; published are the accepted rows of ``table``
    (``DESCRIPTION_COLUMNS``). ``share`` is None where nothing lacks a description.
    """
    by_dataset = {}
    for dataset in sorted(set(items["dataset"]) | set(reviews)):
        group = items[items["dataset"] == dataset]
        lacking = int(needs_description(group)["needs_description"].sum())
        lacking += len(review_only_ids(reviews.get(dataset, {}), group["item_id"]))
        published = int(((table["dataset"] == dataset) & table["accepted"]).sum())
        by_dataset[dataset] = {"lacking": lacking, "published": published, "share": _share(published, lacking)}
    lacking = sum(counts["lacking"] for counts in by_dataset.values())
    published = sum(counts["published"] for counts in by_dataset.values())
    return {"lacking": lacking, "published": published, "share": _share(published, lacking), "by_dataset": by_dataset}


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
