"""Slot F1 of the query parser on the hand-labelled parsing sets (``docs/labels/parsing_rubric.md``).

``parsing_set.jsonl`` was labelled before the parser was measured, and the parser was then improved on its
failures: it is the development set. ``parsing_set_heldout.jsonl`` was labelled afterwards by someone who never saw
the parser or the first set, and the parser was never tuned on it: it is the held-out figure.
``parsing_set_dev2.jsonl`` was written blind the same way, measured once as it came, and the parser was then
improved on its failures: it is the second development set. ``parsing_set_heldout2.jsonl`` was written blind after
that improvement and only ever scored: it is the second held-out figure. ``parsing_set_dev3.jsonl`` and
``parsing_set_heldout3.jsonl`` were written blind at the same time by two people who saw neither each other's set
nor the parser; the parser was improved on the third development set's failures, and the third held-out set, never
read, was scored before and after that change: it is the figure that measures the parser as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from longtail.serving.assistant import ShopAssistant
from longtail.serving.catalogue import ShopIndex
from longtail.serving.query import QuerySpec, ShownItem, parse_query
from longtail.serving.shop_vocabulary import ShopVocabulary
from longtail.serving.slot_scoring import SLOTS, load_parsing_set, resolve_expected, slot_scores

HERE = Path(__file__).parent
PARSING_SETS = {
    "development": HERE / "parsing_set.jsonl",
    "second_development": HERE / "parsing_set_dev2.jsonl",
    "held_out": HERE / "parsing_set_heldout.jsonl",
    "held_out_2": HERE / "parsing_set_heldout2.jsonl",
    "third_development": HERE / "parsing_set_dev3.jsonl",
    "held_out_3": HERE / "parsing_set_heldout3.jsonl",
    "fourth_development": HERE / "parsing_set_dev4.jsonl",
    "held_out_4": HERE / "parsing_set_heldout4.jsonl",
    "fifth_development": HERE / "parsing_set_dev5.jsonl",
    "held_out_5": HERE / "parsing_set_heldout5.jsonl",
    "sixth_development": HERE / "parsing_set_dev6.jsonl",
    "held_out_6": HERE / "parsing_set_heldout6.jsonl",
    "seventh_development": HERE / "parsing_set_dev7.jsonl",
    "held_out_7": HERE / "parsing_set_heldout7.jsonl",
    "eighth_development": HERE / "parsing_set_dev8.jsonl",
    "held_out_8": HERE / "parsing_set_heldout8.jsonl",
}


def evaluate_parsing_sets(
    shops: Mapping[str, ShopIndex], encode: Callable[[Sequence[str]], np.ndarray]
) -> dict[str, dict | None]:
    """``evaluate_parsing`` on each of ``PARSING_SETS``, by name, with the vocabularies the assistant builds for the
    snapshot's ``shops`` (dataset -> ``ShopIndex``); ``encode`` is the model that embedded their items."""
    vocabularies = {name: ShopAssistant(index, encode).vocabulary for name, index in shops.items()}
    clustered = {name for name, index in shops.items() if index.categories_are_clusters}
    return {name: evaluate_parsing(vocabularies, clustered, path) for name, path in PARSING_SETS.items()}


def evaluate_parsing(vocabularies: Mapping[str, ShopVocabulary], clustered: set[str], path: Path) -> dict | None:
    """``slot_scores`` of ``parse_query`` on the records of ``path`` whose shop is in ``vocabularies`` (each
    record parsed with its previous turn), plus up to 20 ``mistakes`` to read; None when no record is for one of
    these shops. The category slot is not scored in the ``clustered`` shops (their categories are item clusters,
    which the labels do not name)."""
    pairs, mistakes = [], []
    for record in load_parsing_set(path):
        shop = vocabularies.get(record["dataset"])
        if shop is None:
            continue
        previous = record.get("previous")
        shown = tuple(ShownItem(item["item_id"], item["price"]) for item in previous["shown"]) if previous else ()
        spec = parse_query(record["query"], shop, QuerySpec.from_json(previous["spec"]) if previous else None, shown)
        predicted = spec.to_json()
        expected = resolve_expected(record["expected"], shop.price_quantiles, [item.price for item in shown])
        pairs.append((predicted, expected, record["dataset"]))
        if record["dataset"] in clustered:
            predicted = {slot: value for slot, value in predicted.items() if slot != "category"}
        if _normalised(predicted) != _normalised(expected) and len(mistakes) < 20:
            mistakes.append({"id": record["id"], "query": record["query"], "parsed": predicted, "expected": expected})
    if not pairs:
        return None
    return {**slot_scores(pairs, skip_category=clustered), "mistakes": mistakes}


def _normalised(spec: Mapping) -> dict:
    """The labelled slots of ``spec`` (a diet is parsed but not labelled), lists sorted."""
    return {slot: sorted(value) if isinstance(value, list) else value for slot, value in spec.items() if slot in SLOTS}
