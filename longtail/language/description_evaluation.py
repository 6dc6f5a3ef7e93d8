"""How good and how safe the generated texts are: generate for items that do have a description, with it hidden,
and compare what comes out with what was hidden and with the facts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from longtail.language import guard
from longtail.language.descriptions import publish
from longtail.language.facts import clean_text, format_facts, item_facts, known_brands, needs_description
from longtail.language.prompts import build_prompt
from longtail.language.review_facts import ReviewFacts
from longtail.stats import bootstrap_mean_interval


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
    encode: Callable[[list[str]], np.ndarray],
    sample_size: int,
    seed: int = 0,
    reviews_by_item: Mapping[object, ReviewFacts] | None = None,
    generate: Callable[[list[list[dict[str, str]]]], list[str]] | None = None,
    n_examples: int = 5,
) -> dict[str, object]:
    """Publish for items that have a real description, with it hidden, and compare with what was hidden.

    ``items`` is a cleaned item table (``item_id``, ``title``, ``description``, ``category``, ``brand``,
    ``price``); ``sample_size`` items with a usable description (``needs_description``) are drawn with ``seed``.
    What is published is ``longtail.language.descriptions.publish``'s: the grounded text, or with ``generate``
    (prompts -> raw model outputs) the guarded model output where the guard accepts it. ``encode`` maps texts to
    unit ``float32`` vectors ``(n, d)``. Brands known to the guard are those of all ``items``.

    Returns a dict: ``sample_size`` (items drawn), ``accepted`` (items with a published text), ``from_model``
    (published model outputs), ``similarity_to_hidden`` (mean cosine between published descriptions and the hidden
    ones), ``similarity_facts_only`` (the same, on the same items, for the bare facts as "Label: value" text),
    ``similarity_gain`` and ``similarity_gain_ci95`` (the mean paired difference, published minus bare facts, with
    its 95% bootstrap interval), ``guard_self_check_rate`` (share of published texts in which the guard, run again,
    finds something: the guard judging its own output, not a faithfulness figure; that comes from labels, see
    ``longtail.language.faithfulness``), ``rejections_by_reason`` (model outputs per guard reason), and
    ``examples``: the first ``n_examples`` items as dicts (item_id, facts, hidden, description, ad_copy, source).
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
    facts = item_facts(sample, reviews_by_item)
    brands = known_brands(item_facts(items))
    raw = generate([build_prompt(item) for item in facts]) if generate is not None else None
    published = publish(facts, brands, raw)
    shown = [i for i, (_, result, _) in enumerate(published) if result.accepted]
    texts = [published[i][1].description for i in shown]
    with_text = _cosines(encode, texts, [hidden[i] for i in shown])
    facts_only = _cosines(encode, [format_facts(facts[i]) for i in shown], [hidden[i] for i in shown])
    gains = with_text - facts_only
    self_check = [
        bool(guard.find_violations(f"{published[i][1].description}\n{published[i][1].ad_copy}", facts[i], brands))
        for i in shown
    ]
    low, high = bootstrap_mean_interval(gains, seed=seed)
    return {
        "sample_size": len(facts),
        "accepted": len(shown),
        "from_model": sum(published[i][0] == "model" for i in shown),
        "similarity_to_hidden": float(with_text.mean()) if shown else None,
        "similarity_facts_only": float(facts_only.mean()) if shown else None,
        "similarity_gain": float(gains.mean()) if shown else None,
        "similarity_gain_ci95": [round(low, 4), round(high, 4)] if shown else None,
        "guard_self_check_rate": float(np.mean(self_check)) if shown else None,
        "rejections_by_reason": dict(sorted(Counter(r for _, _, reasons in published for r in reasons).items())),
        "examples": [
            {
                "item_id": item.item_id,
                "facts": format_facts(item),
                "hidden": hidden_text,
                "description": result.description,
                "ad_copy": result.ad_copy,
                "source": source,
            }
            for item, hidden_text, (source, result, _) in list(zip(facts, hidden, published))[:n_examples]
        ],
    }


def _cosines(encode: Callable[[list[str]], np.ndarray], texts: list[str], targets: list[str]) -> np.ndarray:
    """Row-wise cosine of unit vectors of ``texts`` and ``targets``, ``(n,)`` float64."""
    if not texts:
        return np.zeros(0)
    vectors = np.asarray(encode(texts + targets), dtype=np.float64)
    return np.sum(vectors[: len(texts)] * vectors[len(texts) :], axis=1)


def description_report(
    quality: Mapping,
    tail_recall: Mapping,
    faithfulness: Mapping[str, Mapping],
    coverage: Mapping,
    labels: pd.DataFrame,
    dataset: str | None,
    source: str,
    generator: str,
) -> dict:
    """The report of the published descriptions.

    ``quality`` is ``evaluate_generation``'s dict on ``dataset`` (the headline figures None when it did not run);
    ``tail_recall`` is ``longtail.recommend.evaluation.description_effect``'s; ``faithfulness`` maps a split
    ("report", "tune") to ``longtail.language.faithfulness.faithfulness_figures``; ``coverage`` is
    ``longtail.language.descriptions.coverage``'s; ``labels`` the labelled set; ``source`` the published source and
    ``generator`` the model's name. Adds ``faithfulness`` (per field, for ``source``, report split: ``labelled_n``,
    ``unsupported_rate``, ``ci95``, ``guard_precision``, ``guard_recall``), ``faithfulness_by_source`` (the same for
    every source), ``faithfulness_tune`` (the tune split's figures), ``coverage``, ``tail_recall_gain``, and
    ``invented_fact_rate_raw``: the share of labelled raw model texts (report split) that are not faithful. The
    examples come last.
    """
    report_split = faithfulness["report"]
    by_source = {
        name: {field: _published(figures, name) for field, figures in report_split.items()}
        for name in ("facts", "model")
    }
    raw = labels[(labels["split"] == "report") & (labels["source"] == "model")]
    return {
        **dict.fromkeys(("similarity_to_hidden", "similarity_facts_only", "similarity_gain", "guard_self_check_rate")),
        **{key: value for key, value in quality.items() if key != "examples"},
        "sample_dataset": dataset,
        "source": source,
        "faithfulness": {"source": source, **by_source[source]},
        "faithfulness_by_source": by_source,
        "faithfulness_tune": faithfulness["tune"],
        "invented_fact_rate_raw": float((raw["label"] != "faithful").mean()) if len(raw) else None,
        "coverage": dict(coverage),
        "tail_recall_without_generated": tail_recall["tail_recall_without_generated"],
        "tail_recall_with_generated": tail_recall["tail_recall_with_generated"],
        "tail_recall_gain": tail_recall["tail_recall_gain"],
        "tail_recall_gain_ci95": tail_recall.get("tail_recall_gain_ci95"),
        "tail_recall": dict(tail_recall),
        "generator": generator,
        "examples": quality["examples"],
    }


def _published(figures: Mapping, source: str) -> dict:
    published = figures["published"][source]
    return {
        "labelled_n": figures["labelled_n"],
        "published_n": published["n"],
        "unsupported_rate": published["unsupported_rate"],
        "ci95": published["ci95"],
        "guard_precision": figures["guard_precision"],
        "guard_recall": figures["guard_recall"],
        "stale": figures["stale"],
    }
