"""Amazon Review Data 2018 (Ni et al.) and Amazon Reviews 2023 (Hou et al.).

2018 ratings: a CSV without header, ``item,user,rating,unix_seconds`` (rating 1-5 stars, time in whole seconds).
2018 reviews, one JSON object a line: ``overall`` (stars), ``reviewText``, ``summary``, ``reviewerID``, ``asin``,
``unixReviewTime`` (seconds), ``vote``, ``verified``, ...; numbers are sometimes strings, text sometimes missing.
2018 metadata, one object a line (some files are Python dict literals instead of JSON): ``asin``, ``title``,
``description`` (list of strings), ``category`` (list; in some files, e.g. Gift Cards, feature bullets follow the
category names in it, which cleaning splits off), ``feature`` (list of strings), ``brand``, ``price`` ("$12.99" or
""), ...
2023 reviews: ``rating``, ``title``, ``text``, ``asin``, ``parent_asin``, ``user_id``, ``timestamp``
(milliseconds), ``helpful_vote``, ``verified_purchase``. 2023 metadata: ``parent_asin``, ``title``,
``main_category``, ``categories`` (list), ``description`` (list), ``features`` (list), ``store``, ``price``
(number or null), ``details`` (dict), ...

Lists become JSON array text; HTML and entities are kept as found (cleaning removes them). ``review_id`` is a
deterministic 16-hex-digit sha1 of user|item|time, so re-reading a file gives the same ids.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from longtail.data.adapters.common import Format, Probe, Tables
from longtail.data.adapters.files import read_records
from longtail.data.adapters.records import stable_id

_RATINGS_HEADER = ("item", "user", "rating", "unix_seconds")
_JSON = frozenset({"jsonl"})


def read_ratings_2018(path: Path, timezone: str) -> Tables:
    """Events (``event_type`` "rating") from a headerless 2018 ratings CSV."""
    records = read_records(path, header=_RATINGS_HEADER)
    events = {
        "user_id": records.ident("user"),
        "item_id": records.ident("item"),
        "event_type": "rating",
        "ts": records.unix_time("unix_seconds", "s"),
        "rating": records.number("rating"),
    }
    return {"events": records.finish("events", events)}


def read_reviews_2018(path: Path, timezone: str) -> Tables:
    """Reviews from a 2018 review file: ``rating`` = overall, ``title`` = summary, ``text`` = reviewText."""
    fields = ("reviewerID", "asin", "unixReviewTime", "overall", "summary", "reviewText")
    records = read_records(path, keys=fields)
    user, item, seconds = records.ident("reviewerID"), records.ident("asin"), records.ident("unixReviewTime")
    reviews = {
        "review_id": stable_id(user, item, seconds),
        "user_id": user,
        "item_id": item,
        "rating": records.number("overall"),
        "title": records.text("summary"),
        "text": records.text("reviewText"),
        "ts": records.unix_time("unixReviewTime", "s"),
    }
    return {"reviews": records.finish("reviews", reviews)}


def read_metadata_2018(path: Path, timezone: str) -> Tables:
    """Items from a 2018 metadata file, one per record (the files repeat some asins; cleaning dedupes);
    ``features`` = feature."""
    records = read_records(
        path, keys=("asin", "title", "description", "feature", "category", "brand", "price"), python_literals=True
    )
    items = {
        "item_id": records.ident("asin"),
        "title": records.text("title"),
        "description": records.text("description"),
        "features": records.text("feature"),
        "category": records.text("category"),
        "brand": records.text("brand"),
        "price": records.text("price"),
    }
    return {"items": records.finish("items", items)}


def read_reviews_2023(path: Path, timezone: str) -> Tables:
    """Reviews from a 2023 review file: ``item_id`` = parent_asin (the product, across its variants)."""
    records = read_records(path, keys=("user_id", "parent_asin", "timestamp", "rating", "title", "text"))
    user, item, millis = records.ident("user_id"), records.ident("parent_asin"), records.ident("timestamp")
    reviews = {
        "review_id": stable_id(user, item, millis),
        "user_id": user,
        "item_id": item,
        "rating": records.number("rating"),
        "title": records.text("title"),
        "text": records.text("text"),
        "ts": records.unix_time("timestamp", "ms"),
    }
    return {"reviews": records.finish("reviews", reviews)}


def read_metadata_2023(path: Path, timezone: str) -> Tables:
    """Items from a 2023 metadata file: ``brand`` = store, ``category`` = [main_category] + categories and
    ``description`` = description + features, both as JSON arrays; ``features`` = features as well."""
    fields = ("parent_asin", "title", "main_category", "categories", "description", "features", "store", "price")
    records = read_records(path, keys=fields)
    frame = records.frame
    items = {
        "item_id": records.ident("parent_asin"),
        "title": records.text("title"),
        "description": _json_arrays(frame["description"], frame["features"]),
        "features": records.text("features"),
        "category": _json_arrays(frame["main_category"], frame["categories"]),
        "brand": records.text("store"),
        "price": records.text("price"),
    }
    return {"items": records.finish("items", items)}


def _json_arrays(*columns: pd.Series) -> pd.Series:
    """Per record, the values of ``columns`` chained into one JSON array (a list contributes its elements, a
    scalar itself, a null nothing); null where nothing is left."""
    chained = [[v for value in row for v in _as_list(value)] for row in zip(*columns, strict=True)]
    return pd.Series(
        [json.dumps(values, ensure_ascii=False) if values else None for values in chained],
        index=columns[0].index,
        dtype="string",
    )


def _as_list(value: object) -> list:
    if isinstance(value, list):
        return value
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return []
    return [value]


def _looks_like_ratings(probe: Probe) -> bool:
    """A first CSV record of four fields ``item,user,<number>,<integer>`` (the 2018 ratings have no header)."""
    if not probe.first_records or len(probe.first_records[0]) != 4:
        return False
    _, _, rating, seconds = probe.first_records[0]
    try:
        float(rating)
        int(seconds)
    except ValueError:
        return False
    return True


FORMATS = [
    Format(
        name="amazon2023_reviews",
        description="Amazon Reviews 2023 reviews, JSON lines (rating, title, text, user_id, parent_asin, timestamp ms)",
        kinds=_JSON,
        signature=frozenset({"user_id", "parent_asin"}),
        required=("user_id", "parent_asin", "rating", "timestamp"),
        read=read_reviews_2023,
    ),
    Format(
        name="amazon2023_metadata",
        description="Amazon Reviews 2023 item metadata, JSON lines (parent_asin, title, categories, store, price)",
        kinds=_JSON,
        signature=frozenset({"parent_asin"}),
        required=("parent_asin",),
        read=read_metadata_2023,
    ),
    Format(
        name="amazon2018_reviews",
        description="Amazon Review Data 2018 reviews, JSON lines (overall, summary, reviewText, reviewerID, asin)",
        kinds=_JSON,
        signature=frozenset({"reviewerID", "asin"}),
        required=("reviewerID", "asin", "overall", "unixReviewTime"),
        read=read_reviews_2018,
    ),
    Format(
        name="amazon2018_metadata",
        description="Amazon Review Data 2018 item metadata, JSON lines (asin, title, description, category, brand)",
        kinds=_JSON,
        signature=frozenset({"asin"}),
        required=("asin",),
        read=read_metadata_2018,
    ),
    Format(
        name="amazon2018_ratings",
        description="Amazon Review Data 2018 ratings, CSV without header: item,user,rating,unix_seconds",
        kinds=frozenset({"csv"}),
        signature=frozenset(),
        required=_RATINGS_HEADER,
        read=read_ratings_2018,
        sniff=_looks_like_ratings,
        has_header=False,
    ),
]
