"""Generated descriptions for the items whose own description is missing, short or junk, one dataset at a time.

1. ``description_candidates``: the items that need a description (``longtail.language.facts.needs_description``)
   and whose facts say what they are (``is_describable``), each with its facts, prompt and cache key.
2. ``longtail.language.selection.select_within_budget`` picks the uncached ones to generate now, tail first.
3. A ``longtail.language.caches.CachedGenerator`` generates them and keeps the raw outputs.
4. ``guard_outputs`` parses each output and has the guard repair or reject it against the item's facts;
   ``guarded_descriptions`` does so for every candidate with a stored output.

``generate_descriptions`` runs the whole chain; ``describe_items`` runs it, without budget, for given items.
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
    MAX_HIGHLIGHTS,
    ItemFacts,
    is_describable,
    item_facts,
    known_brands,
    needs_description,
)
from longtail.language.prompts import build_prompt, parse_generation
from longtail.language.selection import select_within_budget
from longtail.validation import require_columns

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

Highlights = Mapping[str, Mapping[object, Sequence[str]]]


def review_highlights(
    reviews: pd.DataFrame, review_scores: pd.DataFrame, per_item: int = MAX_HIGHLIGHTS
) -> dict[str, dict[object, list[str]]]:
    """``dataset -> item_id -> titles`` of each item's ``per_item`` best-scored reviews with a non-blank title
    (sentiment score, then newest first), best first: review titles are short summaries by nature.

    ``reviews`` has ``dataset``, ``review_id``, ``item_id``, ``title`` and ``ts``; ``review_scores`` has
    ``dataset``, ``review_id`` and ``score`` (e.g. the ``review_sentiment`` table); reviews without a score are
    left out; either frame may be empty (no table yet). The titles are raw: ``item_facts`` sanitizes them before
    they reach a prompt.
    """
    if reviews.empty or review_scores.empty:
        return {}
    require_columns(reviews, ["dataset", "review_id", "item_id", "title", "ts"], "reviews")
    require_columns(review_scores, ["dataset", "review_id", "score"], "review_scores")
    titled = reviews[reviews["title"].fillna("").astype(str).str.strip() != ""]
    scored = titled.merge(review_scores[["dataset", "review_id", "score"]], on=["dataset", "review_id"])
    ranked = scored.sort_values(
        ["dataset", "item_id", "score", "ts", "review_id"], ascending=[True, True, False, False, True], kind="stable"
    )
    best = ranked.groupby(["dataset", "item_id"], sort=False).head(per_item)
    return {
        dataset: group.groupby("item_id", sort=False)["title"].agg(list).to_dict()
        for dataset, group in best.groupby("dataset")
    }


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
    items: pd.DataFrame, highlights: Highlights, key: Callable[[list[dict[str, str]]], str]
) -> Candidates:
    """The items of ``items`` (cleaned item rows of any datasets) that need a description and are describable.

    ``highlights`` maps dataset -> item_id -> review highlights (``review_highlights``); ``key`` gives a prompt's
    cache key (``CachedGenerator.key``). Items whose facts say nothing of what they are (no title, and not both a
    brand and a category) are counted under ``nothing_to_describe`` and left out.
    """
    frames, facts_by_key, brands, need_counts = [], {}, {}, {}
    for dataset, group in items.groupby("dataset") if len(items) else ():
        needs = needs_description(group)
        wanting = needs["needs_description"].to_numpy()
        facts = item_facts(group[wanting], highlights.get(dataset))
        describable = np.array([is_describable(item) for item in facts], dtype=bool)
        need_counts[dataset] = {
            **needs["reason"].value_counts().to_dict(),
            "nothing_to_describe": int((~describable).sum()),
        }
        facts = [item for item, keep in zip(facts, describable) if keep]
        prompts = [build_prompt(item) for item in facts]
        frames.append(
            pd.DataFrame(
                {
                    "dataset": dataset,
                    "item_id": group["item_id"].to_numpy()[wanting][describable],
                    "need": needs["reason"].to_numpy()[wanting][describable],
                    "prompt_hash": [key(prompt) for prompt in prompts],
                    "prompt": prompts,
                },
                columns=CANDIDATE_COLUMNS,
            )
        )
        facts_by_key.update({(dataset, item.item_id): item for item in facts})
        brands[dataset] = known_brands(item_facts(group))
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=CANDIDATE_COLUMNS)
    return Candidates(frame, facts_by_key, brands, need_counts)


def guard_outputs(
    raw_outputs: Sequence[str], facts: Sequence[ItemFacts], brands: Sequence[str]
) -> list[guard.GuardResult]:
    """Each raw model output parsed (``parse_generation``) and repaired or rejected by the guard against the facts of
    its item; ``brands`` are the catalogue's (``known_brands``)."""
    if len(raw_outputs) != len(facts):
        raise ValueError(f"got {len(raw_outputs)} outputs for {len(facts)} items")
    brands = tuple(brands)
    return [guard.guard_output(*parse_generation(raw), item, brands) for raw, item in zip(raw_outputs, facts)]


def guarded_descriptions(candidates: Candidates, outputs: Mapping[str, str], model: str) -> pd.DataFrame:
    """One row per candidate with a stored output (``outputs``: cache key -> raw output), ``DESCRIPTION_COLUMNS``:
    the guarded description and ad copy, whether accepted and repaired, and the reasons, comma-separated."""
    frame = candidates.frame[candidates.frame["prompt_hash"].isin(outputs.keys())]
    rows = []
    for dataset, group in frame.groupby("dataset", sort=False):
        facts = [candidates.facts[(dataset, item_id)] for item_id in group["item_id"]]
        results = guard_outputs([outputs[key] for key in group["prompt_hash"]], facts, candidates.brands[dataset])
        rows += [
            {
                "dataset": dataset,
                "item_id": item_id,
                "need": need,
                "prompt_hash": key,
                "description": result.description,
                "ad_copy": result.ad_copy,
                "accepted": result.accepted,
                "repaired": result.repaired,
                "reasons": ",".join(result.reasons),
                "model": model,
            }
            for item_id, need, key, result in zip(group["item_id"], group["need"], group["prompt_hash"], results)
        ]
    return pd.DataFrame(rows, columns=DESCRIPTION_COLUMNS).astype({"accepted": bool, "repaired": bool})


@dataclass(frozen=True)
class DescriptionRun:
    """What ``generate_descriptions`` did: ``table`` (``DESCRIPTION_COLUMNS``, every candidate generated so far),
    the ``candidates``, the rows ``selected`` for generation in this run, and ``generate_seconds`` spent on them."""

    table: pd.DataFrame
    candidates: Candidates
    selected: pd.DataFrame
    generate_seconds: float

    @property
    def generated(self) -> int:
        """Rows of ``table`` generated in this run."""
        return int(self.table["prompt_hash"].isin(self.selected["prompt_hash"]).sum())

    def reasons(self) -> tuple[Counter, Counter]:
        """``(rejections, repairs)``: outputs per guard reason among the rejected and the repaired rows."""
        table = self.table
        rejections = Counter(r for value in table.loc[~table["accepted"], "reasons"] for r in value.split(",") if r)
        repairs = Counter(r for value in table.loc[table["repaired"], "reasons"] for r in value.split(",") if r)
        return rejections, repairs


def generate_descriptions(
    items: pd.DataFrame,
    highlights: Highlights,
    popularity: Mapping[str, pd.Series],
    generator: CachedGenerator,
    budget: int,
) -> DescriptionRun:
    """Generate at most ``budget`` new descriptions, tail first, and guard every stored one.

    ``items`` are cleaned item rows of any datasets; ``highlights`` as ``review_highlights`` gives them;
    ``popularity`` maps a dataset to its interactions per ``item_id`` (``select_within_budget``: items without
    any come last).
    """
    candidates = description_candidates(items, highlights, generator.key)
    cached = generator.cached_keys()
    selected = select_within_budget(candidates.frame, popularity, cached, budget)
    generator.log(
        f"{len(candidates.frame):,} items need a description, {candidates.frame['prompt_hash'].isin(cached).sum():,} "
        f"are cached; generating {len(selected):,} "
        f"now (budget {budget}) with {generator.model}"
    )
    started = time.perf_counter()
    generator(selected["prompt"].tolist())
    generate_seconds = time.perf_counter() - started
    outputs = generator.outputs(candidates.frame["prompt_hash"].tolist())
    return DescriptionRun(
        guarded_descriptions(candidates, outputs, generator.model), candidates, selected, generate_seconds
    )


def describe_items(
    items: pd.DataFrame,
    catalogue: pd.DataFrame,
    highlights: Mapping[object, Sequence[str]] | None,
    generator: CachedGenerator,
) -> pd.DataFrame:
    """``item_id, text``: the accepted generated description of each of ``items`` (cleaned item rows of one
    dataset), from prompts with its ``highlights`` (item_id -> review highlights); the guard knows the brands of
    ``catalogue`` (all items of that dataset). Rejected items are left out."""
    facts = item_facts(items, highlights)
    results = guard_outputs(
        generator([build_prompt(item) for item in facts]), facts, known_brands(item_facts(catalogue))
    )
    accepted = [(item.item_id, result.description) for item, result in zip(facts, results) if result.accepted]
    return pd.DataFrame(accepted, columns=["item_id", "text"])
