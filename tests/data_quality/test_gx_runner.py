"""Every suite passes on a clean frame, and every expectation fails, naming the failing values, on a frame that
breaks just that expectation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest

from data_quality.gx_runner import ExpectationOutcome, validate
from data_quality.suites import SUITES, Expectation, Suite

TS = pd.Timestamp("2024-03-01 10:00", tz="UTC")


def provenance(n: int, **columns: Any) -> pd.DataFrame:
    """A raw table of ``n`` rows from one file, with its provenance columns filled."""
    return pd.DataFrame(
        {
            "dataset": ["shop"] * n,
            "file_id": ["f1"] * n,
            "source_file": ["landing/shop/events.csv"] * n,
            "loaded_at": [TS] * n,
            "source_row": list(range(1, n + 1)),
            **columns,
        }
    )


GOOD: dict[str, Callable[[], pd.DataFrame]] = {
    "raw_events": lambda: provenance(
        3,
        partition_day=[TS.date()] * 3,
        user_id=["u1", "u2", None],
        item_id=["i1", "i2", "i3"],
        event_type=["view", "purchase", "nonsense"],  # raw rows may be wrong; only provenance is gated
        ts=["2024-03-01T10:00:00", "bad", None],
        quantity=["1", "-2", None],
        price=["1.5", None, "x"],
        rating=[None, None, None],
        order_id=[None, "o1", None],
        parse_error=[None, None, "bad ts"],
        raw_record=['{"a":1}', '{"a":2}', '{"a":3}'],
    ),
    "raw_items": lambda: provenance(
        2,
        item_id=["i1", "i2"],
        title=["<b>Mug</b>", "Lamp"],
        description=[None, "A lamp"],
        category=["Home > Kitchen", None],
        brand=["Acme", None],
        price=["$3.00", None],
        source_count=[1, 2],
        parse_error=[None, None],
        raw_record=['{"id":"i1"}', '{"id":"i2"}'],
    ),
    "raw_reviews": lambda: provenance(
        2,
        review_id=["r1", "r1"],
        user_id=["u1", None],
        item_id=["i1", "i2"],
        rating=["5", "9"],
        title=["Great", None],
        text=["Works", ""],
        ts=["1700000000", None],
        parse_error=[None, None],
        raw_record=["{}", "{}"],
    ),
    "cleaned_events": lambda: pd.DataFrame(
        {
            "dataset": ["shop"] * 4,
            "user_id": ["u1", "u1", "u2", "u2"],
            "item_id": ["i1", "i1", "i1", "i2"],
            "event_type": ["view", "purchase", "purchase", "rating"],
            "ts": [TS, TS, TS, TS + pd.Timedelta(hours=1)],
            "event_day": [TS.date()] * 4,
            "quantity": [1.0, 2.0, 1.0, 1.0],
            "price": [np.nan, 3.5, 0.0, np.nan],
            "rating": [np.nan, np.nan, np.nan, 4.0],
            "order_id": [None, "o1", "o2", None],
            "file_id": ["f1"] * 4,
            "source_file": ["landing/shop/events.csv"] * 4,
            "source_row": [1, 2, 3, 4],
        }
    ),
    "guest_sales": lambda: pd.DataFrame(
        {
            "dataset": ["shop"] * 2,
            "user_id": pd.Series([None, None], dtype="string"),
            "item_id": ["i1", "i1"],
            "event_type": ["purchase", "purchase"],
            "ts": [TS, TS],
            "event_day": [TS.date()] * 2,
            "quantity": [1.0, 2.0],  # one invoice, one item, two lines
            "price": [3.5, 3.5],
            "rating": [np.nan, np.nan],
            "order_id": ["o1", "o1"],
            "file_id": ["f1"] * 2,
            "source_file": ["landing/shop/events.csv"] * 2,
            "source_row": [1, 2],
        }
    ),
    "cleaned_items": lambda: pd.DataFrame(
        {
            "dataset": ["shop", "shop", "other"],
            "item_id": ["i1", "i2", "i1"],
            "title": ["Mug", "Lamp & shade", "Mug <3"],
            "description": ["A mug", None, "Fits 5 < 6"],
            "features": ['["Dishwasher safe", "Holds 300 ml"]', None, None],
            "category": ["Home > Kitchen", None, "Home"],
            "brand": ["Acme", None, None],
            "price": [3.0, np.nan, 0.0],
            "source_file": ["items.jsonl"] * 3,
            "source_row": [1, 2, 3],
        }
    ),
    "cleaned_reviews": lambda: pd.DataFrame(
        {
            "dataset": ["shop", "shop"],
            "review_id": ["r1", "r2"],
            "user_id": ["u1", "u2"],
            "item_id": ["i1", "i1"],
            "rating": [5.0, 1.0],
            "title": ["Great", None],
            "text": ["Works well", None],
            "ts": [TS, TS],
            "source_file": ["reviews.jsonl"] * 2,
            "source_row": [1, 2],
        }
    ),
}


@dataclass(frozen=True)
class Break:
    """How to break one expectation (a function of the good frame) and what the outcome must then report."""

    breaks: Callable[[pd.DataFrame], pd.DataFrame]
    failing_values: list[Any] | None = None  # reported failing values, for row-level expectations
    observed_value: Any = None  # for aggregate expectations


def set_value(column: str, value: Any, row: int = 0) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def breaks(frame: pd.DataFrame) -> pd.DataFrame:
        frame[column] = frame[column].astype(object)
        frame.at[row, column] = value
        return frame

    return breaks


def drop(column: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda frame: frame.drop(columns=[column])


def duplicate_first_row(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([frame, frame.iloc[[0]]], ignore_index=True)


def raw_breaks(provenance_columns: list[str]) -> dict[str, Break]:
    return {
        **{f"{column}_exists": Break(drop(column)) for column in provenance_columns},
        **{f"{column}_not_null": Break(set_value(column, None), [None]) for column in provenance_columns},
        "file_source_row_unique": Break(
            duplicate_first_row,
            [
                {"dataset": "shop", "file_id": "f1", "source_row": 1},
                {"dataset": "shop", "file_id": "f1", "source_row": 1},
            ],
        ),
    }


PROVENANCE = ["dataset", "file_id", "source_file", "source_row", "loaded_at"]

BREAKS: dict[str, dict[str, Break]] = {
    "raw_events": raw_breaks([*PROVENANCE, "partition_day"]),
    "raw_items": raw_breaks(PROVENANCE),
    "raw_reviews": raw_breaks(PROVENANCE),
    "cleaned_events": {
        "user_id_not_null": Break(set_value("user_id", None), [None]),
        "item_id_not_null": Break(set_value("item_id", None), [None]),
        "ts_not_null": Break(set_value("ts", None), [None]),
        "event_type_not_null": Break(set_value("event_type", None), [None]),
        "event_type_known": Break(set_value("event_type", "click"), ["click"]),
        "quantity_positive": Break(set_value("quantity", 0.0, row=1), [0.0]),
        "price_not_negative": Break(set_value("price", -3.5, row=1), [-3.5]),
        "rating_between_1_and_5": Break(set_value("rating", 6.0, row=3), [6.0]),
        # Two order-less views of the same item at the same time are duplicates: null order_ids compare equal.
        "event_unique": Break(
            duplicate_first_row,
            [
                {
                    "dataset": "shop",
                    "user_id": "u1",
                    "item_id": "i1",
                    "event_type": "view",
                    "ts": TS.isoformat(),
                    "order_id": None,
                    "quantity": 1.0,
                    "price": None,
                    "rating": None,
                },
            ]
            * 2,
        ),
        "has_rows": Break(lambda frame: frame.iloc[0:0], observed_value=0),
    },
    "guest_sales": {
        "user_id_null": Break(set_value("user_id", "u1"), ["u1"]),
        "item_id_not_null": Break(set_value("item_id", None), [None]),
        "ts_not_null": Break(set_value("ts", None), [None]),
        "only_purchases": Break(set_value("event_type", "view"), ["view"]),
        "quantity_positive": Break(set_value("quantity", 0.0), [0.0]),
        "price_positive": Break(set_value("price", 0.0), [0.0]),
        "event_unique": Break(
            set_value("quantity", 1.0, row=1),
            [
                {
                    "dataset": "shop",
                    "user_id": None,
                    "item_id": "i1",
                    "event_type": "purchase",
                    "ts": TS.isoformat(),
                    "order_id": "o1",
                    "quantity": 1.0,
                    "price": 3.5,
                    "rating": None,
                },
            ]
            * 2,
        ),
    },
    "cleaned_items": {
        "item_id_not_null": Break(set_value("item_id", None), [None]),
        "dataset_item_id_unique": Break(set_value("item_id", "i1", row=1), [{"dataset": "shop", "item_id": "i1"}] * 2),
        "title_no_markup": Break(set_value("title", "<b>Mug</b>"), ["<b>Mug</b>"]),
        "description_no_markup": Break(set_value("description", "Tea &amp; coffee"), ["Tea &amp; coffee"]),
        "features_no_markup": Break(set_value("features", '["<b>Bold</b>"]'), ['["<b>Bold</b>"]']),
        "category_no_markup": Break(set_value("category", "Home &#62; Kitchen"), ["Home &#62; Kitchen"]),
        "price_not_negative": Break(set_value("price", -1.0), [-1.0]),
    },
    "cleaned_reviews": {
        "dataset_review_id_unique": Break(
            set_value("review_id", "r1", row=1), [{"dataset": "shop", "review_id": "r1"}] * 2
        ),
        "user_id_not_null": Break(set_value("user_id", None), [None]),
        "item_id_not_null": Break(set_value("item_id", None), [None]),
        "rating_between_1_and_5": Break(set_value("rating", 0.0), [0.0]),
        "text_at_most_20000_chars": Break(set_value("text", "x" * 20001), ["x" * 20001]),
    },
}

CASES = [(table, name) for table, breaks in BREAKS.items() for name in breaks]


def columns_of(expectation: Expectation) -> set[str]:
    kwargs = expectation.kwargs
    return {kwargs["column"]} if "column" in kwargs else set(kwargs.get("column_list", []))


def outcomes_by_name(frame: pd.DataFrame, suite: Suite) -> dict[str, ExpectationOutcome]:
    return {outcome.name: outcome for outcome in validate(frame, suite)}


def test_every_expectation_has_a_breaking_case():
    assert {table: [e.name for e in suite.expectations] for table, suite in SUITES.items()} == {
        table: list(breaks) for table, breaks in BREAKS.items()
    }


@pytest.mark.parametrize("table", list(SUITES))
def test_suite_passes_on_good_frame(table):
    outcomes = validate(GOOD[table](), SUITES[table])

    assert [o.name for o in outcomes] == [e.name for e in SUITES[table].expectations]
    assert [o.name for o in outcomes if not o.success] == []
    assert all(o.failing_values == [] and o.error is None for o in outcomes)


@pytest.mark.parametrize(("table", "name"), CASES, ids=[f"{t}.{n}" for t, n in CASES])
def test_expectation_fails_on_breaking_frame(table, name):
    case = BREAKS[table][name]

    outcomes = outcomes_by_name(case.breaks(GOOD[table]()), SUITES[table])

    outcome = outcomes[name]
    assert not outcome.success
    if case.failing_values is not None:
        assert outcome.failing_values == case.failing_values
        assert outcome.unexpected_count == len(case.failing_values)
        assert sum(c["count"] for c in outcome.failing_value_counts) == len(case.failing_values)
    if case.observed_value is not None:
        assert outcome.observed_value == case.observed_value
    # Breaking one rule leaves the others passing, except those on a dropped column.
    if name.endswith("_exists"):
        dropped = name.removesuffix("_exists")
        expected_failures = {e.name for e in SUITES[table].expectations if dropped in columns_of(e)}
    else:
        expected_failures = {name}
    assert {n for n, o in outcomes.items() if not o.success} == expected_failures


def test_missing_column_is_reported_as_error():
    frame = GOOD["cleaned_reviews"]().drop(columns=["user_id"])

    outcome = outcomes_by_name(frame, SUITES["cleaned_reviews"])["user_id_not_null"]

    assert not outcome.success
    assert 'column "user_id"' in outcome.error


def test_failing_values_are_capped_at_20():
    frame = pd.DataFrame({"item_id": [f"i{n}" for n in range(50)], "price": [-float(n + 1) for n in range(50)]})
    frame = frame.assign(dataset="shop", title="t", description="d", category="c")

    outcome = outcomes_by_name(frame, SUITES["cleaned_items"])["price_not_negative"]

    assert outcome.unexpected_count == 50
    assert len(outcome.failing_values) == 20
    assert len(outcome.failing_value_counts) == 20
