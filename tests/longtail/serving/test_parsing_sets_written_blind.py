"""The hand-labelled sets written blind after the first one: ``parsing_set_heldout.jsonl`` (the held-out set),
``parsing_set_dev2.jsonl`` (the second development set), ``parsing_set_heldout2.jsonl`` (the second held-out set),
``parsing_set_dev3.jsonl`` and ``parsing_set_heldout3.jsonl`` (the third of each), ``parsing_set_dev4.jsonl`` and
``parsing_set_heldout4.jsonl`` (the fourth of each), ``parsing_set_dev5.jsonl`` and ``parsing_set_heldout5.jsonl`` (the
fifth of each), ``parsing_set_dev6.jsonl`` and ``parsing_set_heldout6.jsonl`` (the sixth of each),
``parsing_set_dev7.jsonl`` and ``parsing_set_heldout7.jsonl`` (the seventh of each), ``parsing_set_dev8.jsonl`` and
``parsing_set_heldout8.jsonl`` (the eighth of each), their format and
their mix (their category values and item ids are checked against the raw shop data in ``test_slot_scoring.py``, with
the first set).

Each was written by someone who never saw the parser or the earlier sets, under ``docs/labels/parsing_rubric.md``.
The data helpers are those of the first set's tests.
"""

from __future__ import annotations

import json
import re
from functools import cache

import pytest

from longtail.serving.slot_scoring import OCCASIONS, SLOTS, load_parsing_set, resolve_expected
from tests.longtail.serving.test_slot_scoring import (
    DEV2_PATH,
    DEV3_PATH,
    DEV4_PATH,
    DEV5_PATH,
    DEV6_PATH,
    DEV7_PATH,
    DEV8_PATH,
    GROCERY,
    HELDOUT2_PATH,
    HELDOUT3_PATH,
    HELDOUT4_PATH,
    HELDOUT5_PATH,
    HELDOUT6_PATH,
    HELDOUT7_PATH,
    HELDOUT8_PATH,
    HELDOUT_PATH,
    MAGAZINE,
    RETAIL,
    SET_PATH,
    refinements,
)

EARLIER_THAN_FIFTH = [
    SET_PATH,
    HELDOUT_PATH,
    DEV2_PATH,
    HELDOUT2_PATH,
    DEV3_PATH,
    HELDOUT3_PATH,
    DEV4_PATH,
    HELDOUT4_PATH,
]
EARLIER_THAN_SEVENTH = [*EARLIER_THAN_FIFTH, DEV5_PATH, HELDOUT5_PATH, DEV6_PATH, HELDOUT6_PATH]
# Each set: its path, the prefix of its ids, and the sets written before it.
SETS = {
    "held_out": (HELDOUT_PATH, "heldout", [SET_PATH]),
    "second_development": (DEV2_PATH, "dev2", [SET_PATH, HELDOUT_PATH]),
    "held_out_2": (HELDOUT2_PATH, "heldout2", [SET_PATH, HELDOUT_PATH, DEV2_PATH]),
    # Written at the same time, each blind to the other.
    "third_development": (DEV3_PATH, "dev3", [SET_PATH, HELDOUT_PATH, DEV2_PATH, HELDOUT2_PATH]),
    "held_out_3": (HELDOUT3_PATH, "heldout3", [SET_PATH, HELDOUT_PATH, DEV2_PATH, HELDOUT2_PATH, DEV3_PATH]),
    "fourth_development": (
        DEV4_PATH,
        "dev4",
        [SET_PATH, HELDOUT_PATH, DEV2_PATH, HELDOUT2_PATH, DEV3_PATH, HELDOUT3_PATH],
    ),
    "held_out_4": (
        HELDOUT4_PATH,
        "heldout4",
        # Written at the same time as the fourth development set, each blind to the other.
        [SET_PATH, HELDOUT_PATH, DEV2_PATH, HELDOUT2_PATH, DEV3_PATH, HELDOUT3_PATH, DEV4_PATH],
    ),
    "fifth_development": (DEV5_PATH, "dev5", EARLIER_THAN_FIFTH),
    # Written at the same time as the fifth development set, each blind to the other.
    "held_out_5": (HELDOUT5_PATH, "heldout5", [*EARLIER_THAN_FIFTH, DEV5_PATH]),
    "sixth_development": (DEV6_PATH, "dev6", [*EARLIER_THAN_FIFTH, DEV5_PATH, HELDOUT5_PATH]),
    # Written at the same time as the sixth development set, each blind to the other.
    "held_out_6": (HELDOUT6_PATH, "heldout6", [*EARLIER_THAN_FIFTH, DEV5_PATH, HELDOUT5_PATH, DEV6_PATH]),
    "seventh_development": (DEV7_PATH, "dev7", EARLIER_THAN_SEVENTH),
    # Written at the same time as the seventh development set, each blind to the other.
    "held_out_7": (HELDOUT7_PATH, "heldout7", [*EARLIER_THAN_SEVENTH, DEV7_PATH]),
    "eighth_development": (DEV8_PATH, "dev8", [*EARLIER_THAN_SEVENTH, DEV7_PATH, HELDOUT7_PATH]),
    # Written at the same time as the eighth development set, each blind to the other.
    "held_out_8": (HELDOUT8_PATH, "heldout8", [*EARLIER_THAN_SEVENTH, DEV7_PATH, HELDOUT7_PATH, DEV8_PATH]),
}
SHOP_IDS = {RETAIL: "retail", GROCERY: "grocery", MAGAZINE: "magazine"}
each_set = pytest.mark.parametrize("name", list(SETS))


@cache
def records_of(name: str) -> list[dict]:
    return load_parsing_set(SETS[name][0])


def by_dataset(records: list[dict]) -> dict[str, list[dict]]:
    return {name: [r for r in records if r["dataset"] == name] for name in (RETAIL, GROCERY, MAGAZINE)}


def tagged(records: list[dict], tag: str) -> list[dict]:
    return [r for r in records if tag in r.get("tags", [])]


@each_set
def test_set_is_valid_and_ids_name_the_shop(name):
    records = records_of(name)
    assert len(records) >= 110
    for record in records:
        prefix = f"{SETS[name][1]}-{SHOP_IDS[record['dataset']]}-"
        assert re.fullmatch(re.escape(prefix) + r"\d{3}", record["id"]), record["id"]


@each_set
def test_set_has_the_planned_mix(name):
    records = records_of(name)
    groups = by_dataset(records)
    assert 40 <= len(groups[RETAIL]) <= 55
    assert 30 <= len(groups[GROCERY]) <= 42
    assert 25 <= len(groups[MAGAZINE]) <= 36
    assert len(refinements(records)) >= 30
    assert all(len(refinements(group)) >= 5 for group in groups.values())
    assert len(tagged(records, "injection")) >= 10
    assert all(tagged(group, "injection") for group in groups.values())
    assert sum(set(r["expected"]) <= {"occasion"} for r in records) >= 12
    assert sum(not r["expected"] for r in records) >= 5
    assert len(tagged(records, "typo")) >= 3
    # every slot and symbol is exercised, every shop has like-X queries, every occasion value is used
    assert {slot for r in records for slot in r["expected"]} == set(SLOTS)
    symbols = {
        r["expected"][s] for r in records for s in ("min_price", "max_price") if isinstance(r["expected"].get(s), str)
    }
    assert symbols == {"p25", "p75", "prev_median"}
    assert all(any("like_item" in r["expected"] for r in group) for group in groups.values())
    assert {o for r in records for o in r["expected"].get("occasion", [])} == OCCASIONS
    # each query text appears once per shop and previous turn
    keys = [(r["dataset"], r["query"], json.dumps(r.get("previous"), sort_keys=True)) for r in records]
    assert len(set(keys)) == len(keys)


@each_set
def test_refinements_show_five_items_and_keep_within_the_shop_format(name):
    for record in refinements(records_of(name)):
        shown = record["previous"]["shown"]
        assert len(shown) == 5, record["id"]
        assert len({item["item_id"] for item in shown}) == 5, record["id"]
        priced = [item["price"] is not None for item in shown]
        assert all(priced) if record["dataset"] == RETAIL else not any(priced), record["id"]


@each_set
def test_set_resolves_with_any_quantiles(name):
    for record in records_of(name):
        shown = [item["price"] for item in record.get("previous", {}).get("shown", [])]
        resolved = resolve_expected(record["expected"], {25: 1.25, 75: 4.25}, shown)
        assert not any(isinstance(resolved.get(s), str) for s in ("min_price", "max_price")), record["id"]
        low, high = resolved.get("min_price"), resolved.get("max_price")
        assert low is None or high is None or low <= high, record["id"]


@each_set
def test_refinements_pick_shown_items(name):
    """A like_item set by a refinement is one of the items the previous turn showed."""
    for record in refinements(records_of(name)):
        like = record["expected"].get("like_item")
        if like is not None and like != record["previous"]["spec"].get("like_item"):
            assert like in [item["item_id"] for item in record["previous"]["shown"]], record["id"]


def normalised(query: str) -> str:
    return " ".join(query.lower().split())


@each_set
def test_queries_are_new(name):
    """No query repeats one of a set written before (compared lowercased, spaces collapsed)."""
    earlier = {(r["dataset"], normalised(r["query"])) for path in SETS[name][2] for r in load_parsing_set(path)}
    repeated = [r["id"] for r in records_of(name) if (r["dataset"], normalised(r["query"])) in earlier]
    assert not repeated
