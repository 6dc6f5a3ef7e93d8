"""Scoring the shop assistant's query parser against the hand-labelled set ``parsing_set.jsonl``.

A parsed query spec is a JSON object holding only the slots that are set (the contract, with the labelling
decisions, is ``docs/labels/parsing_rubric.md``):

- ``category``: a node of the shop's category tree, a path such as ``"snacks > chips pretzels"``;
- ``min_price`` / ``max_price``: inclusive bounds in £ (numbers); in the labels also the symbols ``"p75"`` (min),
  ``"p25"`` and ``"prev_median"`` (max), which ``resolve_expected`` turns into numbers;
- ``exclude``: a list of lowercase singular words ruled out;
- ``novelty``: ``"tail"`` or ``"any"``;
- ``like_item``: an item id;
- ``occasion``: a list drawn from ``OCCASIONS``.

Each line of the set is ``{"id", "dataset", "query", "previous"?, "expected", "tags"?}``: ``previous`` (only for
refinements) is ``{"spec": {...}, "shown": [{"item_id": str, "price": float | null}, ...]}``, the previous turn's
resolved spec and the items it showed, in order; ``tags`` marks kinds a reader cannot see from the slots
(``"injection"``, ``"typo"``).

Scoring counts slot-value units: a scalar slot is one unit, matched when equal (numbers to a relative 1e-6); each
element of ``exclude`` / ``occasion`` is one unit (compared lowercased and stripped). Precision, recall and F1 are
micro-averaged over units, overall and per slot.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Container, Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

SLOTS = ("category", "min_price", "max_price", "exclude", "novelty", "like_item", "occasion")
LIST_SLOTS = frozenset({"exclude", "occasion"})
PRICE_SLOTS = frozenset({"min_price", "max_price"})
# The symbols a label may use for a price bound, by slot.
PRICE_SYMBOLS = {"min_price": frozenset({"p75"}), "max_price": frozenset({"p25", "prev_median"})}
QUANTILE_OF_SYMBOL = {"p25": 25, "p75": 75}
NOVELTY_VALUES = frozenset({"tail", "any"})
OCCASIONS = frozenset(
    {
        # occasions
        "birthday", "christmas", "wedding", "anniversary", "valentine", "easter", "halloween", "party",
        "baby shower", "housewarming", "retirement", "gift",
        # recipients
        "mum", "dad", "kid", "baby", "teacher", "friend", "wife", "husband", "girlfriend", "boyfriend", "grandma",
        "grandad", "colleague", "teenager",
    }
)  # fmt: skip
# dataset -> (has category paths, has prices)
DATASETS = {
    "uci_online_retail_ii": (False, True),
    "instacart_sample": (True, False),
    "amazon2018_magazine": (True, False),
}
RECORD_KEYS = frozenset({"id", "dataset", "query", "previous", "expected", "tags"})
TAGS = frozenset({"injection", "typo"})
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 20240601
RELATIVE_TOLERANCE = 1e-6


class ParsingSetError(ValueError):
    """A line of a parsing set that breaks the format; the message names the file, the line and the field."""

    def __init__(self, path: str | Path, line: int, field: str | None, reason: str):
        self.path, self.line, self.field, self.reason = str(path), line, field, reason
        where = f"{self.path}, line {line}" + (f", field {field!r}" if field else "")
        super().__init__(f"{where}: {reason}")


def resolve_expected(
    expected: Mapping[str, object], price_quantiles: Mapping[int, float], shown_prices: Sequence[float | None]
) -> dict:
    """``expected`` with its price symbols replaced by numbers (£): ``"p25"`` / ``"p75"`` by
    ``price_quantiles[25]`` / ``[75]`` (the shop's item-price percentiles, keyed by percent), ``"prev_median"`` by
    the median of the non-null ``shown_prices`` (the previous turn's shown items, in £). Other slots are copied.
    Raises ValueError when a needed quantile is missing or no shown price is known."""
    resolved = {slot: list(value) if isinstance(value, list) else value for slot, value in expected.items()}
    for slot in PRICE_SLOTS & resolved.keys():
        value = resolved[slot]
        if isinstance(value, str) and value in QUANTILE_OF_SYMBOL:
            percent = QUANTILE_OF_SYMBOL[value]
            if percent not in price_quantiles:
                raise ValueError(f"{slot} is {value!r} but price_quantiles has no {percent}th percentile")
            resolved[slot] = float(price_quantiles[percent])
        elif value == "prev_median":
            known = [float(price) for price in shown_prices if price is not None]
            if not known:
                raise ValueError(f"{slot} is 'prev_median' but no shown item has a price")
            resolved[slot] = float(statistics.median(known))
    return resolved


def load_parsing_set(path: str | Path) -> list[dict]:
    """The records of a parsing-set JSON-lines file, each validated (see the module docstring for the format).
    Raises ``ParsingSetError`` naming the file, the 1-based line and the field of the first problem."""
    path = Path(path)
    records, seen = [], {}
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            raise ParsingSetError(path, number, None, "blank line (one JSON object per line)")
        try:
            record = json.loads(text)
        except json.JSONDecodeError as error:
            raise ParsingSetError(path, number, None, f"not valid JSON: {error.msg}") from None
        _check_record(record, path, number)
        if record["id"] in seen:
            raise ParsingSetError(path, number, "id", f"{record['id']!r} already used on line {seen[record['id']]}")
        seen[record["id"]] = number
        records.append(record)
    return records


def _check_record(record: object, path: Path, line: int) -> None:
    def fail(field: str | None, reason: str):
        raise ParsingSetError(path, line, field, reason)

    if not isinstance(record, dict):
        fail(None, "a line must be a JSON object")
    for key in sorted(record.keys() - RECORD_KEYS):
        fail(key, f"unknown field (allowed: {', '.join(sorted(RECORD_KEYS))})")
    for key in ("id", "dataset", "query"):
        if not isinstance(record.get(key), str) or not record[key].strip():
            fail(key, "missing or not a non-empty string")
    if record["dataset"] not in DATASETS:
        fail("dataset", f"{record['dataset']!r} is not one of {', '.join(sorted(DATASETS))}")
    tags = record.get("tags", [])
    if not isinstance(tags, list) or any(not isinstance(tag, str) or tag not in TAGS for tag in tags):
        fail("tags", f"must be a list of {', '.join(sorted(TAGS))}")
    previous = record.get("previous")
    priced_shown = False
    if previous is not None:
        if not isinstance(previous, dict) or set(previous) != {"spec", "shown"}:
            fail("previous", "must be an object with exactly 'spec' and 'shown'")
        _check_spec(previous["spec"], record["dataset"], "previous.spec", fail, symbols=False)
        shown = previous["shown"]
        if not isinstance(shown, list) or not shown:
            fail("previous.shown", "must be a non-empty list of shown items")
        for i, item in enumerate(shown):
            field = f"previous.shown[{i}]"
            if not isinstance(item, dict) or set(item) != {"item_id", "price"}:
                fail(field, "must be an object with exactly 'item_id' and 'price'")
            if not isinstance(item["item_id"], str) or not item["item_id"].strip():
                fail(f"{field}.item_id", "must be a non-empty string")
            price = item["price"]
            if price is not None and (not _is_number(price) or price < 0):
                fail(f"{field}.price", f"must be a number >= 0 or null, not {price!r}")
            priced_shown = priced_shown or price is not None
    if "expected" not in record:
        fail("expected", "missing (use {} for a query that sets no slot)")
    _check_spec(record["expected"], record["dataset"], "expected", fail, symbols=True)
    if record["expected"].get("max_price") == "prev_median" and not priced_shown:
        fail("expected.max_price", "'prev_median' needs a previous turn with at least one priced shown item")


def _check_spec(spec: object, dataset: str, where: str, fail, *, symbols: bool) -> None:
    """Checks one spec (``expected`` or ``previous.spec``); ``symbols`` says whether price symbols are allowed."""
    if not isinstance(spec, dict):
        fail(where, "must be a JSON object of slots")
    has_categories, has_prices = DATASETS[dataset]
    for slot, value in spec.items():
        field = f"{where}.{slot}"
        if slot not in SLOTS:
            fail(field, f"unknown slot (slots: {', '.join(SLOTS)})")
        if slot == "category":
            if not has_categories:
                fail(field, f"{dataset} has no category paths: the slot is not labelled there")
            if not isinstance(value, str) or not value.strip() or value != value.strip():
                fail(field, "must be a non-empty path without surrounding spaces")
        elif slot in PRICE_SLOTS:
            if not has_prices:
                fail(field, f"{dataset} has no prices: price slots are never set there")
            allowed = PRICE_SYMBOLS[slot] if symbols else frozenset()
            if not (_is_number(value) and value >= 0) and not (isinstance(value, str) and value in allowed):
                shown = f" or one of {', '.join(sorted(allowed))}" if allowed else ""
                fail(field, f"must be a number >= 0 (in £){shown}, not {value!r}")
        elif slot in LIST_SLOTS:
            if not isinstance(value, list) or not value:
                fail(field, "must be a non-empty list (leave the slot out when nothing is set)")
            for i, element in enumerate(value):
                if not isinstance(element, str) or not element or element != element.strip().lower():
                    fail(f"{field}[{i}]", f"must be a lowercase string without surrounding spaces, not {element!r}")
                if slot == "occasion" and element not in OCCASIONS:
                    fail(f"{field}[{i}]", f"{element!r} is not in the occasion vocabulary")
            if len(set(value)) != len(value):
                fail(field, "repeats a value")
        elif slot == "novelty":
            if not isinstance(value, str) or value not in NOVELTY_VALUES:
                fail(field, f"must be one of {', '.join(sorted(NOVELTY_VALUES))}, not {value!r}")
        elif not isinstance(value, str) or not value.strip():  # like_item
            fail(field, "must be a non-empty item id")
    low, high = spec.get("min_price"), spec.get("max_price")
    if _is_number(low) and _is_number(high) and low > high:
        fail(f"{where}.min_price", f"{low} is above max_price {high}")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _same(a: object, b: object) -> bool:
    """Equal values of the same kind: numbers (not booleans) to a relative ``RELATIVE_TOLERANCE``, else ``==``."""
    if _is_number(a) and _is_number(b):
        return math.isclose(a, b, rel_tol=RELATIVE_TOLERANCE, abs_tol=0.0)
    return type(a) is type(b) and a == b


def _slot_values(spec: Mapping[str, object], slot: str) -> list:
    """The units of one slot of a spec: [] when unset (absent, null, "" or []), a list slot's distinct elements
    lowercased and stripped (a lone string counts as one element), else [value]."""
    value = spec.get(slot)
    if value is None or value == "" or value == []:
        return []
    if slot in LIST_SLOTS:
        elements = value if isinstance(value, list) else [value]
        return list(
            dict.fromkeys(e.strip().lower() if isinstance(e, str) else f"<not a string: {e!r}>" for e in elements)
        )
    return [value]


def _query_counts(predicted: Mapping, expected: Mapping, dataset: str, skip_category: Container[str]) -> dict:
    """slot -> (tp, fp, fn) for one query."""
    if not isinstance(predicted, Mapping) or not isinstance(expected, Mapping):
        raise ValueError(f"{dataset}: predicted and expected specs must be JSON objects")
    for slot in PRICE_SLOTS:
        if isinstance(expected.get(slot), str):
            raise ValueError(f"{dataset}: expected {slot} {expected[slot]!r} is a symbol; resolve_expected first")
    counts = {}
    for slot in SLOTS:
        if slot == "category" and dataset in skip_category:
            continue
        guessed, wanted = _slot_values(predicted, slot), _slot_values(expected, slot)
        unmatched = list(wanted)
        tp = 0
        for value in guessed:
            match = next((i for i, w in enumerate(unmatched) if _same(value, w)), None)
            if match is not None:
                tp += 1
                unmatched.pop(match)
        counts[slot] = (tp, len(guessed) - tp, len(unmatched))
    return counts


def _rates(tp: int, fp: int, fn: int) -> dict:
    """Counts with precision, recall and F1 (None where undefined: no unit predicted, expected, or either)."""
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": tp / (tp + fp) if tp + fp else None,
        "recall": tp / (tp + fn) if tp + fn else None,
        "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None,
    }


def slot_scores(pairs: Iterable[tuple[dict, dict, str]], skip_category: Container[str]) -> dict:
    """Micro precision, recall and F1 of predicted specs over slot-value units.

    ``pairs``: ``(predicted spec, resolved expected spec, dataset)`` per query; both specs hold numbers, not price
    symbols (``resolve_expected``). ``skip_category``: datasets whose category slot is ignored on both sides.
    Returns ``{"queries": n, "exact": queries with every unit right and none extra, "exact_rate",
    "overall": {tp, fp, fn, precision, recall, f1, f1_ci95: [low, high]}, "slots": {slot: {tp, fp, fn,
    precision, recall, f1}}, "datasets": {dataset: {queries, exact, tp, fp, fn, precision, recall, f1}}}``.
    ``f1_ci95`` is a percentile bootstrap over queries (``BOOTSTRAP_RESAMPLES`` resamples, seed ``BOOTSTRAP_SEED``).
    """
    per_query = [
        (dataset, _query_counts(predicted, expected, dataset, skip_category)) for predicted, expected, dataset in pairs
    ]
    if not per_query:
        raise ValueError("no queries to score")
    totals = np.array([[sum(c[k] for c in counts.values()) for k in range(3)] for _, counts in per_query])
    exact = totals[:, 1:].sum(axis=1) == 0
    overall = _rates(*(int(v) for v in totals.sum(axis=0)))
    overall["f1_ci95"] = _bootstrap_f1(totals)
    slots = {
        slot: _rates(*(sum(counts[slot][k] for _, counts in per_query if slot in counts) for k in range(3)))
        for slot in SLOTS
    }
    datasets = {}
    for name in dict.fromkeys(dataset for dataset, _ in per_query):
        rows = np.array([d == name for d, _ in per_query])
        datasets[name] = {
            "queries": int(rows.sum()),
            "exact": int(exact[rows].sum()),
            **_rates(*(int(v) for v in totals[rows].sum(axis=0))),
        }
    return {
        "queries": len(per_query),
        "exact": int(exact.sum()),
        "exact_rate": float(exact.mean()),
        "overall": overall,
        "slots": slots,
        "datasets": datasets,
    }


def _bootstrap_f1(totals: np.ndarray) -> list[float | None]:
    """95% percentile interval of the micro F1 over queries resampled with replacement; ``totals`` is
    (queries, 3) tp/fp/fn. None bounds when no resample has any unit."""
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    draws = rng.integers(0, len(totals), size=(BOOTSTRAP_RESAMPLES, len(totals)))
    tp, fp, fn = (totals[:, k][draws].sum(axis=1).astype(float) for k in range(3))
    units = 2 * tp + fp + fn
    f1 = np.divide(2 * tp, units, out=np.full(len(units), np.nan), where=units > 0)
    if np.isnan(f1).all():
        return [None, None]
    low, high = np.nanpercentile(f1, [2.5, 97.5])
    return [float(low), float(high)]
