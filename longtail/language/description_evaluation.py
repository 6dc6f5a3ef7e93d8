"""How good and how safe the generated texts are: generate for items that do have a description, with it hidden,
and compare what comes out with what was hidden and with the facts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from longtail.language import guard
from longtail.language.descriptions import guard_outputs
from longtail.language.facts import clean_text, format_facts, item_facts, known_brands, needs_description
from longtail.language.prompts import build_prompt, parse_generation


def sample_dataset(items: pd.DataFrame) -> str | None:
    """The dataset of ``items`` (cleaned item rows) with the most usable descriptions to hide, or None when no
    item has one."""
    usable = {
        dataset: int((~needs_description(group)["needs_description"]).sum())
        for dataset, group in (items.groupby("dataset") if len(items) else ())
    }
    best = max(usable, key=usable.get, default=None)
    return best if best is not None and usable[best] > 0 else None


def evaluate_generation(
    items: pd.DataFrame,
    generate: Callable[[list[list[dict[str, str]]]], list[str]],
    encode: Callable[[list[str]], np.ndarray],
    sample_size: int,
    seed: int = 0,
    highlights_by_item: Mapping[object, Sequence[str]] | None = None,
    n_examples: int = 5,
) -> dict[str, object]:
    """Generate for items that have a real description, with it hidden, and compare.

    ``items`` is a cleaned item table (``item_id``, ``title``, ``description``, ``category``, ``brand``,
    ``price``); ``sample_size`` items with a usable description (``needs_description``) are drawn with ``seed``.
    ``generate`` maps prompts (``build_prompt``) to raw outputs (e.g. ``TextGenerator.generate``); ``encode`` maps
    texts to unit ``float32`` vectors of shape ``(n, d)``. Brands known to the guard are those of all ``items``.

    Returns a dict: ``sample_size`` (items drawn), ``accepted`` and ``repaired`` (counts),
    ``similarity_to_hidden`` (mean cosine between accepted descriptions and the hidden ones; None when none is
    accepted), ``similarity_to_hidden_raw`` (the same over every parsed raw description),
    ``similarity_facts_only`` (the same for the facts as "Label: value" text: what generation adds over the bare
    facts), ``invented_fact_rate_raw`` (share of outputs, description + ad as parsed and before the guard,
    with at least one guard finding), ``invented_fact_rate_guarded`` (share of accepted outputs in which the
    checks, run again on the accepted text, still find something; 0.0 by construction, computed honestly; None
    when none is accepted),
    ``rejections_by_reason`` and ``repairs_by_reason`` (reason -> outputs), and ``examples``: the first
    ``n_examples`` outputs as dicts (item_id, facts, hidden, raw, description, ad_copy, accepted, reasons).
    """
    if isinstance(sample_size, bool) or not isinstance(sample_size, int) or sample_size < 1:
        raise ValueError(f"sample_size must be a positive integer, got {sample_size!r}")
    usable = items[~needs_description(items)["needs_description"].to_numpy()]
    if usable.empty:
        raise ValueError("items has no item with a usable description to evaluate on")
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(usable), size=min(sample_size, len(usable)), replace=False))
    sample = usable.iloc[rows]
    hidden = [clean_text(value) for value in sample["description"]]
    facts = item_facts(sample, highlights_by_item)
    brands = known_brands(item_facts(items))
    raw_outputs = generate([build_prompt(item) for item in facts])
    if len(raw_outputs) != len(facts):
        raise ValueError(f"generate returned {len(raw_outputs)} outputs for {len(facts)} prompts")

    parsed = [parse_generation(text) for text in raw_outputs]
    results = guard_outputs(raw_outputs, facts, brands)
    raw_flagged = [
        bool(guard.find_violations(f"{desc}\n{ad}", item, brands)) for (desc, ad), item in zip(parsed, facts)
    ]
    accepted = [i for i, result in enumerate(results) if result.accepted]
    still_flagged = [
        bool(guard.find_violations(f"{results[i].description}\n{results[i].ad_copy}", facts[i], brands))
        for i in accepted
    ]
    rejections = Counter(reason for result in results if not result.accepted for reason in result.reasons)
    repairs = Counter(reason for result in results if result.repaired for reason in result.reasons)
    return {
        "sample_size": len(facts),
        "accepted": len(accepted),
        "repaired": sum(result.repaired for result in results),
        "similarity_to_hidden": _mean_cosine(encode, [results[i].description for i in accepted], hidden, accepted),
        "similarity_to_hidden_raw": _mean_cosine(encode, [desc for desc, _ in parsed], hidden, range(len(hidden))),
        "similarity_facts_only": _mean_cosine(encode, [format_facts(f) for f in facts], hidden, range(len(hidden))),
        "invented_fact_rate_raw": float(np.mean(raw_flagged)),
        "invented_fact_rate_guarded": float(np.mean(still_flagged)) if accepted else None,
        "rejections_by_reason": dict(sorted(rejections.items())),
        "repairs_by_reason": dict(sorted(repairs.items())),
        "examples": [
            {
                "item_id": item.item_id,
                "facts": format_facts(item),
                "hidden": hidden_text,
                "raw": raw,
                "description": result.description,
                "ad_copy": result.ad_copy,
                "accepted": result.accepted,
                "reasons": result.reasons,
            }
            for item, hidden_text, raw, result in list(zip(facts, hidden, raw_outputs, results))[:n_examples]
        ],
    }


def _mean_cosine(
    encode: Callable[[list[str]], np.ndarray], texts: list[str], hidden: list[str], rows: Iterable[int]
) -> float | None:
    """Mean row-wise cosine between ``texts`` and ``hidden[row]`` for ``rows``; None when there are no texts.
    An empty text (nothing parsed) counts as cosine 0 rather than being encoded."""
    rows = list(rows)
    if not rows:
        return None
    present = [i for i, text in enumerate(texts) if text]
    cosines = np.zeros(len(rows), dtype=np.float64)
    if present:
        generated = np.asarray(encode([texts[i] for i in present]), dtype=np.float32)
        targets = np.asarray(encode([hidden[rows[i]] for i in present]), dtype=np.float32)
        cosines[present] = np.sum(generated * targets, axis=1)
    return float(cosines.mean())


def description_report(quality: Mapping, tail_recall: Mapping, dataset: str | None, generator: str) -> dict:
    """The report of the generated descriptions: the figures of ``quality`` (``evaluate_generation``'s dict, on
    ``dataset``; the headline figures None when it did not run), the tail recall without and with generated text
    from ``tail_recall`` (``longtail.recommend.evaluation.description_effect``) and all of it under
    ``tail_recall``, the ``generator``'s name, and the examples last."""
    return {
        **dict.fromkeys(("similarity_to_hidden", "invented_fact_rate_raw", "invented_fact_rate_guarded")),
        **{key: value for key, value in quality.items() if key != "examples"},
        "sample_dataset": dataset,
        "tail_recall_without_generated": tail_recall["tail_recall_without_generated"],
        "tail_recall_with_generated": tail_recall["tail_recall_with_generated"],
        "tail_recall": dict(tail_recall),
        "generator": generator,
        "examples": quality["examples"],
    }
