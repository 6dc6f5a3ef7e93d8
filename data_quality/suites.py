"""Expectation suites for the warehouse tables, written as data.

Each expectation is ``(name, Great Expectations class name, kwargs)``. The name is stable: it becomes the Dagster
asset check name (one row per expectation in the UI) and keys the validation outcome, so renaming one starts a new
check history. Class names are those in ``great_expectations.expectations`` (GX 1.x).

Null handling follows GX: column-value expectations (between, in set, regex, lengths, unique) ignore nulls, so a
nullable column needs no extra rule; a column that must be filled gets an explicit ``*_not_null`` expectation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

CHECK_NAME = re.compile(r"^[A-Za-z0-9_]+$")

# Leftover markup in catalogue text: an HTML tag start (<b, </p, <!--) or an HTML entity (&amp;, &#39;).
MARKUP_PATTERN = r"<[A-Za-z/!]|&[a-z]+;|&#[0-9]+;"

EVENT_TYPES = ["view", "cart", "purchase", "rating", "review"]

# Every raw row keeps where it came from; these columns identify it.
PROVENANCE_COLUMNS = ["dataset", "file_id", "source_file", "source_row", "loaded_at"]


class Expectation(NamedTuple):
    """One named expectation: ``name`` (check name), ``type`` (GX expectation class name) and its ``kwargs``."""

    name: str
    type: str
    kwargs: Mapping[str, Any]


@dataclass(frozen=True)
class Suite:
    """A named, ordered list of expectations for one table."""

    name: str
    expectations: tuple[Expectation, ...]

    def __post_init__(self) -> None:
        names = [expectation.name for expectation in self.expectations]
        if len(set(names)) != len(names):
            raise ValueError(f"suite {self.name!r} has duplicate expectation names: {names}")
        for name in names:
            if not CHECK_NAME.match(name):
                raise ValueError(f"suite {self.name!r}: {name!r} is not a valid check name (letters, digits, _)")


def column_exists(column: str) -> Expectation:
    return Expectation(f"{column}_exists", "ExpectColumnToExist", {"column": column})


def not_null(column: str) -> Expectation:
    return Expectation(f"{column}_not_null", "ExpectColumnValuesToNotBeNull", {"column": column})


def no_markup(column: str) -> Expectation:
    return Expectation(
        f"{column}_no_markup", "ExpectColumnValuesToNotMatchRegex", {"column": column, "regex": MARKUP_PATTERN}
    )


def rating_1_to_5(column: str = "rating") -> Expectation:
    return Expectation(
        f"{column}_between_1_and_5", "ExpectColumnValuesToBeBetween", {"column": column, "min_value": 1, "max_value": 5}
    )


def raw_provenance(provenance: list[str]) -> tuple[Expectation, ...]:
    """The gate a raw table passes before cleaning: provenance columns present and filled, one row per source row."""
    return (
        *(column_exists(column) for column in provenance),
        *(not_null(column) for column in provenance),
        Expectation(
            # The same file may be landed in two datasets (two shops sharing a catalogue): same file_id, two sources.
            "file_source_row_unique",
            "ExpectCompoundColumnsToBeUnique",
            {"column_list": ["dataset", "file_id", "source_row"]},
        ),
    )


RAW_EVENTS = Suite("raw_events", raw_provenance([*PROVENANCE_COLUMNS, "partition_day"]))

RAW_ITEMS = Suite("raw_items", raw_provenance(PROVENANCE_COLUMNS))

RAW_REVIEWS = Suite("raw_reviews", raw_provenance(PROVENANCE_COLUMNS))

# The key of the cleaning rule duplicate_event: one invoice may carry the same item twice at another quantity or
# price. order_id, price and rating are null for some event types; with ignore_row_if="never" every row takes part
# and pandas compares null to null as equal, so identical events count as duplicates.
EVENT_KEY = ["dataset", "user_id", "item_id", "event_type", "ts", "order_id", "quantity", "price", "rating"]


def event_unique() -> Expectation:
    return Expectation(
        "event_unique", "ExpectCompoundColumnsToBeUnique", {"column_list": EVENT_KEY, "ignore_row_if": "never"}
    )


def quantity_positive() -> Expectation:
    return Expectation(
        "quantity_positive", "ExpectColumnValuesToBeBetween", {"column": "quantity", "min_value": 0, "strict_min": True}
    )


CLEANED_EVENTS = Suite(
    "cleaned_events",
    (
        not_null("user_id"),
        not_null("item_id"),
        not_null("ts"),
        not_null("event_type"),
        Expectation(
            "event_type_known", "ExpectColumnValuesToBeInSet", {"column": "event_type", "value_set": EVENT_TYPES}
        ),
        quantity_positive(),
        Expectation("price_not_negative", "ExpectColumnValuesToBeBetween", {"column": "price", "min_value": 0}),
        rating_1_to_5(),
        event_unique(),
        Expectation("has_rows", "ExpectTableRowCountToBeBetween", {"min_value": 1}),
    ),
)

# Sales without a customer (a shop may have none: no row count is expected).
GUEST_SALES = Suite(
    "guest_sales",
    (
        Expectation("user_id_null", "ExpectColumnValuesToBeNull", {"column": "user_id"}),
        not_null("item_id"),
        not_null("ts"),
        Expectation(
            "only_purchases", "ExpectColumnValuesToBeInSet", {"column": "event_type", "value_set": ["purchase"]}
        ),
        quantity_positive(),
        Expectation(
            "price_positive", "ExpectColumnValuesToBeBetween", {"column": "price", "min_value": 0, "strict_min": True}
        ),
        event_unique(),
    ),
)

CLEANED_ITEMS = Suite(
    "cleaned_items",
    (
        not_null("item_id"),
        Expectation(
            "dataset_item_id_unique", "ExpectCompoundColumnsToBeUnique", {"column_list": ["dataset", "item_id"]}
        ),
        no_markup("title"),
        no_markup("description"),
        no_markup("features"),
        no_markup("category"),
        Expectation("price_not_negative", "ExpectColumnValuesToBeBetween", {"column": "price", "min_value": 0}),
    ),
)

CLEANED_REVIEWS = Suite(
    "cleaned_reviews",
    (
        Expectation(
            "dataset_review_id_unique", "ExpectCompoundColumnsToBeUnique", {"column_list": ["dataset", "review_id"]}
        ),
        not_null("user_id"),
        not_null("item_id"),
        rating_1_to_5(),
        Expectation(
            "text_at_most_20000_chars", "ExpectColumnValueLengthsToBeBetween", {"column": "text", "max_value": 20000}
        ),
    ),
)

SUITES: dict[str, Suite] = {
    suite.name: suite
    for suite in (RAW_EVENTS, RAW_ITEMS, RAW_REVIEWS, CLEANED_EVENTS, GUEST_SALES, CLEANED_ITEMS, CLEANED_REVIEWS)
}
