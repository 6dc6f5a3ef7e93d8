"""The parser's slot scorer, and the validity of the hand-labelled set ``longtail/serving/parsing_set.jsonl``.

The checks of category values and item ids against the data read the raw shared files under ``LONGTAIL_DATA_DIR``
(e.g. ``../shared/data``) and are skipped when it is unset.
"""

from __future__ import annotations

import gzip
import json
import os
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from longtail.data.adapters.instacart import PLACEHOLDER_NAMES
from longtail.data.text_repairs import category_path
from longtail.serving.slot_scoring import (
    OCCASIONS,
    ParsingSetError,
    load_parsing_set,
    resolve_expected,
    slot_scores,
)

SET_PATH = Path(__file__).resolve().parents[3] / "longtail" / "serving" / "parsing_set.jsonl"
HELDOUT_PATH = SET_PATH.with_name("parsing_set_heldout.jsonl")
DEV2_PATH = SET_PATH.with_name("parsing_set_dev2.jsonl")
HELDOUT2_PATH = SET_PATH.with_name("parsing_set_heldout2.jsonl")
DEV3_PATH = SET_PATH.with_name("parsing_set_dev3.jsonl")
HELDOUT3_PATH = SET_PATH.with_name("parsing_set_heldout3.jsonl")
DEV4_PATH = SET_PATH.with_name("parsing_set_dev4.jsonl")
HELDOUT4_PATH = SET_PATH.with_name("parsing_set_heldout4.jsonl")
DEV5_PATH = SET_PATH.with_name("parsing_set_dev5.jsonl")
HELDOUT5_PATH = SET_PATH.with_name("parsing_set_heldout5.jsonl")
DEV6_PATH = SET_PATH.with_name("parsing_set_dev6.jsonl")
HELDOUT6_PATH = SET_PATH.with_name("parsing_set_heldout6.jsonl")
DEV7_PATH = SET_PATH.with_name("parsing_set_dev7.jsonl")
HELDOUT7_PATH = SET_PATH.with_name("parsing_set_heldout7.jsonl")
DEV8_PATH = SET_PATH.with_name("parsing_set_dev8.jsonl")
HELDOUT8_PATH = SET_PATH.with_name("parsing_set_heldout8.jsonl")
ALL_SETS = {
    "development": SET_PATH,
    "held_out": HELDOUT_PATH,
    "dev2": DEV2_PATH,
    "held_out_2": HELDOUT2_PATH,
    "dev3": DEV3_PATH,
    "held_out_3": HELDOUT3_PATH,
    "dev4": DEV4_PATH,
    "held_out_4": HELDOUT4_PATH,
    "dev5": DEV5_PATH,
    "held_out_5": HELDOUT5_PATH,
    "dev6": DEV6_PATH,
    "held_out_6": HELDOUT6_PATH,
    "dev7": DEV7_PATH,
    "held_out_7": HELDOUT7_PATH,
    "dev8": DEV8_PATH,
    "held_out_8": HELDOUT8_PATH,
}
DATA_DIR = os.environ.get("LONGTAIL_DATA_DIR")
RETAIL, GROCERY, MAGAZINE = "uci_online_retail_ii", "instacart_sample", "amazon2018_magazine"
NO_CATEGORY = {RETAIL}


# ---------------------------------------------------------------- scoring


def test_perfect_predictions_score_one():
    expected = [
        ({"category": "snacks", "exclude": ["nut"]}, GROCERY),
        ({"max_price": 5.0, "occasion": ["gift", "mum"]}, RETAIL),
        ({}, MAGAZINE),
    ]
    scores = slot_scores([(spec, spec, dataset) for spec, dataset in expected], NO_CATEGORY)
    assert scores["queries"] == 3 and scores["exact"] == 3 and scores["exact_rate"] == 1.0
    assert scores["overall"] | {"f1_ci95": None} == {
        "tp": 5, "fp": 0, "fn": 0, "precision": 1.0, "recall": 1.0, "f1": 1.0, "f1_ci95": None
    }  # fmt: skip
    assert scores["overall"]["f1_ci95"] == [1.0, 1.0]
    assert scores["slots"]["novelty"] == {"tp": 0, "fp": 0, "fn": 0, "precision": None, "recall": None, "f1": None}
    assert scores["datasets"][MAGAZINE] == {
        "queries": 1, "exact": 1, "tp": 0, "fp": 0, "fn": 0, "precision": None, "recall": None, "f1": None
    }  # fmt: skip


def test_partial_predictions_count_units():
    pairs = [
        # max right, novelty wrong (one fp and one fn), occasion missing (fn)
        ({"max_price": 10, "novelty": "any"}, {"max_price": 10.0, "novelty": "tail", "occasion": ["kid"]}, RETAIL),
        # an extra slot the label does not have (fp), like_item right
        ({"like_item": "22423", "min_price": 3}, {"like_item": "22423"}, RETAIL),
        # nothing predicted, nothing expected: exactly right
        ({}, {}, RETAIL),
    ]
    scores = slot_scores(pairs, NO_CATEGORY)
    overall = scores["overall"]
    assert (overall["tp"], overall["fp"], overall["fn"]) == (2, 2, 2)
    assert overall["precision"] == pytest.approx(0.5) and overall["recall"] == pytest.approx(0.5)
    assert overall["f1"] == pytest.approx(0.5)
    assert scores["exact"] == 1
    assert scores["slots"]["novelty"] == {"tp": 0, "fp": 1, "fn": 1, "precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert scores["slots"]["occasion"]["fn"] == 1 and scores["slots"]["occasion"]["precision"] is None
    assert scores["slots"]["min_price"]["fp"] == 1 and scores["slots"]["min_price"]["recall"] is None
    low, high = overall["f1_ci95"]
    assert 0.0 <= low <= overall["f1"] <= high <= 1.0


def test_numbers_match_to_a_relative_millionth_and_types_matter():
    def f1(predicted, expected):
        return slot_scores([({"max_price": predicted}, {"max_price": expected}, RETAIL)], NO_CATEGORY)["overall"]["f1"]

    assert f1(5, 5.0) == 1.0
    assert f1(3.7500001, 3.75) == 1.0
    assert f1(3.76, 3.75) == 0.0
    assert f1("5", 5.0) == 0.0
    assert f1(True, 1.0) == 0.0


def test_list_slots_score_each_element():
    pairs = [
        ({"exclude": ["Candle", "glass ", "pink"]}, {"exclude": ["candle", "glass", "heart"]}, RETAIL),
        ({"occasion": ["gift", "gift", "mum"]}, {"occasion": ["mum", "gift", "birthday"]}, RETAIL),
        ({"occasion": "party"}, {"occasion": ["party"]}, RETAIL),  # a lone string is one element
        ({"exclude": [], "occasion": None}, {}, RETAIL),  # empty and null mean unset
    ]
    scores = slot_scores(pairs, NO_CATEGORY)
    assert {k: scores["slots"]["exclude"][k] for k in ("tp", "fp", "fn")} == {"tp": 2, "fp": 1, "fn": 1}
    assert {k: scores["slots"]["occasion"][k] for k in ("tp", "fp", "fn")} == {"tp": 3, "fp": 0, "fn": 1}
    assert scores["exact"] == 2


def test_skip_category_ignores_the_slot_for_those_datasets_only():
    pairs = [
        ({"category": "gifts", "max_price": 5}, {"max_price": 5}, RETAIL),
        ({"category": "snacks"}, {"category": "snacks > chips pretzels"}, GROCERY),
    ]
    scores = slot_scores(pairs, NO_CATEGORY)
    assert scores["slots"]["category"] == {"tp": 0, "fp": 1, "fn": 1, "precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert scores["datasets"][RETAIL]["exact"] == 1 and scores["exact"] == 1
    everything = slot_scores(pairs, set())
    assert everything["slots"]["category"]["fp"] == 2 and everything["exact"] == 0


def test_bootstrap_interval_is_fixed_and_brackets_the_f1():
    pairs = [({"novelty": "tail"}, {"novelty": "tail" if i % 3 else "any"}, RETAIL) for i in range(60)]
    first, second = slot_scores(pairs, NO_CATEGORY), slot_scores(pairs, NO_CATEGORY)
    assert first["overall"]["f1_ci95"] == second["overall"]["f1_ci95"]
    low, high = first["overall"]["f1_ci95"]
    assert low < first["overall"]["f1"] < high


def test_scoring_refuses_unresolved_symbols_and_no_queries():
    with pytest.raises(ValueError, match="resolve_expected"):
        slot_scores([({}, {"max_price": "p25"}, RETAIL)], NO_CATEGORY)
    with pytest.raises(ValueError, match="no queries"):
        slot_scores([], NO_CATEGORY)


# ---------------------------------------------------------------- symbols


def test_resolve_expected_replaces_symbols():
    quantiles = {25: 1.25, 50: 2.51, 75: 4.25}
    assert resolve_expected({"max_price": "p25", "exclude": ["nut"]}, quantiles, []) == {
        "max_price": 1.25,
        "exclude": ["nut"],
    }
    assert resolve_expected({"min_price": "p75"}, quantiles, []) == {"min_price": 4.25}
    assert resolve_expected({"max_price": "prev_median"}, quantiles, [3.75, None, 1.25, 4.25]) == {"max_price": 3.75}
    assert resolve_expected({"max_price": "prev_median"}, quantiles, [1.0, 2.0]) == {"max_price": 1.5}
    assert resolve_expected({"min_price": 2, "max_price": 9.5}, quantiles, []) == {"min_price": 2, "max_price": 9.5}


def test_resolve_expected_does_not_change_its_input():
    expected = {"max_price": "p25", "occasion": ["gift"]}
    resolved = resolve_expected(expected, {25: 1.0}, [])
    resolved["occasion"].append("mum")
    assert expected == {"max_price": "p25", "occasion": ["gift"]}


def test_resolve_expected_errors():
    with pytest.raises(ValueError, match="75th percentile"):
        resolve_expected({"min_price": "p75"}, {25: 1.0}, [])
    with pytest.raises(ValueError, match="no shown item has a price"):
        resolve_expected({"max_price": "prev_median"}, {25: 1.0}, [None, None])


# ---------------------------------------------------------------- the file format


GOOD = {"id": "retail-001", "dataset": RETAIL, "query": "mugs under £5", "expected": {"max_price": 5}}
REFINEMENT = {
    "id": "retail-002",
    "dataset": RETAIL,
    "query": "cheaper?",
    "previous": {"spec": {"max_price": 5}, "shown": [{"item_id": "22423", "price": 12.75}]},
    "expected": {"max_price": "prev_median"},
}


def write_lines(tmp_path: Path, *lines: object) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path


def test_load_reads_valid_lines(tmp_path):
    assert load_parsing_set(write_lines(tmp_path, GOOD, REFINEMENT)) == [GOOD, REFINEMENT]


@pytest.mark.parametrize(
    ("second_line", "field", "reason"),
    [
        ("{not json", None, "not valid JSON"),
        ("", None, "blank line"),
        ([1, 2], None, "JSON object"),
        (GOOD, "id", "already used on line 1"),
        (GOOD | {"id": "x", "dataset": "ebay"}, "dataset", "'ebay' is not one of"),
        (GOOD | {"id": "x", "query": " "}, "query", "non-empty string"),
        (GOOD | {"id": "x", "note": "hi"}, "note", "unknown field"),
        (GOOD | {"id": "x", "tags": ["funny"]}, "tags", "must be a list of"),
        ({k: v for k, v in GOOD.items() if k != "expected"} | {"id": "x"}, "expected", "missing"),
        (GOOD | {"id": "x", "expected": {"colour": "red"}}, "expected.colour", "unknown slot"),
        (GOOD | {"id": "x", "expected": {"category": "gifts"}}, "expected.category", "no category paths"),
        (GOOD | {"id": "x", "expected": {"max_price": "p75"}}, "expected.max_price", "p25, prev_median"),
        (GOOD | {"id": "x", "expected": {"min_price": -1}}, "expected.min_price", "number >= 0"),
        (GOOD | {"id": "x", "expected": {"min_price": 9, "max_price": 5}}, "expected.min_price", "above max_price"),
        (GOOD | {"id": "x", "expected": {"max_price": "prev_median"}}, "expected.max_price", "previous turn"),
        (GOOD | {"id": "x", "expected": {"exclude": ["Candles"]}}, "expected.exclude[0]", "lowercase"),
        (GOOD | {"id": "x", "expected": {"exclude": []}}, "expected.exclude", "non-empty list"),
        (GOOD | {"id": "x", "expected": {"occasion": ["gift", "gift"]}}, "expected.occasion", "repeats"),
        (GOOD | {"id": "x", "expected": {"occasion": ["mothers day"]}}, "expected.occasion[0]", "vocabulary"),
        (GOOD | {"id": "x", "expected": {"novelty": "new"}}, "expected.novelty", "any, tail"),
        (GOOD | {"id": "x", "expected": {"novelty": ["tail"]}}, "expected.novelty", "any, tail"),
        (GOOD | {"id": "x", "expected": {"like_item": ""}}, "expected.like_item", "item id"),
        (
            GOOD | {"id": "x", "dataset": GROCERY, "expected": {"max_price": "p25"}},
            "expected.max_price",
            "no prices",
        ),
        (REFINEMENT | {"id": "x", "previous": {"spec": {}}}, "previous", "exactly 'spec' and 'shown'"),
        (REFINEMENT | {"id": "x", "previous": {"spec": {}, "shown": []}}, "previous.shown", "non-empty"),
        (
            REFINEMENT
            | {"id": "x", "previous": {"spec": {"max_price": "p25"}, "shown": [{"item_id": "1", "price": 1}]}},
            "previous.spec.max_price",
            "number >= 0",
        ),
        (
            REFINEMENT | {"id": "x", "previous": {"spec": {}, "shown": [{"item_id": "1", "price": "£2"}]}},
            "previous.shown[0].price",
            "number >= 0 or null",
        ),
        (
            REFINEMENT | {"id": "x", "previous": {"spec": {}, "shown": [{"item_id": "1", "price": None}]}},
            "expected.max_price",
            "priced shown item",
        ),
    ],
)
def test_bad_lines_name_the_file_line_and_field(tmp_path, second_line, field, reason):
    path = write_lines(tmp_path, GOOD, second_line)
    with pytest.raises(ParsingSetError) as caught:
        load_parsing_set(path)
    error = caught.value
    assert (error.path, error.line, error.field) == (str(path), 2, field)
    assert str(error).startswith(f"{path}, line 2" + (f", field {field!r}: " if field else ": "))
    assert reason in str(error)


# ---------------------------------------------------------------- the real set


@cache
def parsing_set() -> list[dict]:
    return load_parsing_set(SET_PATH)


def refinements(records: list[dict]) -> list[dict]:
    return [r for r in records if "previous" in r]


def test_real_set_is_valid_and_has_the_planned_mix():
    records = parsing_set()
    assert len(records) >= 120
    by_dataset = {name: [r for r in records if r["dataset"] == name] for name in (RETAIL, GROCERY, MAGAZINE)}
    assert 45 <= len(by_dataset[RETAIL]) <= 60
    assert 35 <= len(by_dataset[GROCERY]) <= 48
    assert 25 <= len(by_dataset[MAGAZINE]) <= 36
    assert len(refinements(records)) >= 30
    assert all(refinements(by_dataset[name]) for name in by_dataset)
    assert sum("injection" in r.get("tags", []) for r in records) >= 10
    assert sum(set(r["expected"]) <= {"occasion"} for r in records) >= 15
    assert sum("typo" in r.get("tags", []) for r in records) >= 3
    # every slot and symbol is exercised, and every dataset has like-X queries
    slots = {slot for r in records for slot in r["expected"]}
    assert slots == {"category", "min_price", "max_price", "exclude", "novelty", "like_item", "occasion"}
    symbols = {
        r["expected"][s] for r in records for s in ("min_price", "max_price") if isinstance(r["expected"].get(s), str)
    }
    assert symbols == {"p25", "p75", "prev_median"}
    assert all(any("like_item" in r["expected"] for r in group) for group in by_dataset.values())
    occasions = {o for r in records for o in r["expected"].get("occasion", [])}
    assert occasions <= OCCASIONS and len(occasions) >= 20
    # each query text appears once per shop and its previous turn
    keys = [(r["dataset"], r["query"], json.dumps(r.get("previous"), sort_keys=True)) for r in records]
    assert len(set(keys)) == len(keys)


def test_real_set_resolves_with_any_quantiles():
    for record in parsing_set():
        shown = [item["price"] for item in record.get("previous", {}).get("shown", [])]
        resolved = resolve_expected(record["expected"], {25: 1.25, 75: 4.25}, shown)
        assert not any(isinstance(resolved.get(s), str) for s in ("min_price", "max_price")), record["id"]


def test_real_set_refinements_pick_shown_items_by_position():
    """A like_item set by a refinement is one of the items the previous turn showed, or one named in the query."""
    for record in refinements(parsing_set()):
        like = record["expected"].get("like_item")
        if like is not None and like != record["previous"]["spec"].get("like_item"):
            assert like in [item["item_id"] for item in record["previous"]["shown"]], record["id"]


# ---------------------------------------------------------------- the real set against the raw data

needs_data = pytest.mark.skipif(not DATA_DIR, reason="LONGTAIL_DATA_DIR is not set")


def nodes_of(paths: set[str]) -> set[str]:
    """Every path and every prefix of it at a " > " boundary."""
    nodes = set()
    for path in paths:
        steps = path.split(" > ")
        nodes.update(" > ".join(steps[:n]) for n in range(1, len(steps) + 1))
    return nodes


@cache
def shop(dataset: str) -> tuple[frozenset[str], frozenset[str]]:
    """(item ids, category tree nodes) of one shop, from the raw files as the adapters and cleaning read them."""
    root = Path(DATA_DIR) / dataset
    if dataset == RETAIL:
        codes = pd.read_parquet(root / "online_retail_II_2009_2010.parquet", columns=["StockCode"])["StockCode"]
        return frozenset(codes.dropna().astype(str).str.strip()), frozenset()
    if dataset == GROCERY:
        products = pd.read_csv(root / "products.csv", dtype=str)
        aisles = pd.read_csv(root / "aisles.csv", dtype=str).set_index("aisle_id")["aisle"]
        departments = pd.read_csv(root / "departments.csv", dtype=str).set_index("department_id")["department"]
        department, aisle = products["department_id"].map(departments), products["aisle_id"].map(aisles)
        shelved = ~(department.isin(PLACEHOLDER_NAMES) & aisle.isin(PLACEHOLDER_NAMES))  # no shelf, as the adapter
        paths = set(department[shelved] + " > " + aisle[shelved])
        return frozenset(products["product_id"].str.strip()), frozenset(nodes_of(paths))
    ids, paths = set(), set()
    with gzip.open(root / "meta_Magazine_Subscriptions.json.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            ids.add(str(record["asin"]).strip())
            if record.get("category"):
                path = category_path(json.dumps(record["category"], ensure_ascii=False))  # unescapes "&amp;"
                if path:
                    paths.add(path)
    return frozenset(ids), frozenset(nodes_of(paths))


@needs_data
@pytest.mark.parametrize("path", list(ALL_SETS.values()), ids=list(ALL_SETS))
def test_set_categories_are_nodes_of_the_shop_tree(path):
    for record in load_parsing_set(path):
        for spec in (record["expected"], record.get("previous", {}).get("spec", {})):
            if "category" in spec:
                assert spec["category"] in shop(record["dataset"])[1], (record["id"], spec["category"])


@needs_data
@pytest.mark.parametrize("path", list(ALL_SETS.values()), ids=list(ALL_SETS))
def test_set_item_ids_exist_in_the_shop(path):
    for record in load_parsing_set(path):
        ids = shop(record["dataset"])[0]
        named = [spec["like_item"] for spec in (record["expected"], record.get("previous", {}).get("spec", {}))
                 if "like_item" in spec]  # fmt: skip
        named += [item["item_id"] for item in record.get("previous", {}).get("shown", [])]
        for item_id in named:
            assert item_id in ids, (record["id"], item_id)
