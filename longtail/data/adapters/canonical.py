"""The canonical tables themselves (docs/data.md) as CSV, parquet or JSON lines (gzip or not).

events: ``user_id, item_id, event_type, ts`` required; ``quantity, price, rating, order_id`` optional.
items: ``item_id, title`` required; ``description, features, category, brand, price, currency, source_count``
optional (``features``: a JSON array of strings, or one feature as plain text; ``currency``: the price's ISO 4217
code, where the price text does not name it).
reviews: ``review_id, user_id, item_id, rating, text`` required; ``title, ts`` optional.
``ts`` is ISO-8601 text (or a parquet timestamp): with a zone it is converted to UTC, without one it is taken in
the source time zone (UTC unless the caller names another). Other columns are ignored.
"""

from __future__ import annotations

from pathlib import Path

from longtail.data.adapters.common import Format, Tables
from longtail.data.adapters.files import read_records

_KINDS = frozenset({"csv", "parquet", "jsonl"})


def read_events(path: Path, timezone: str) -> Tables:
    records = read_records(path)
    events = {
        "user_id": records.ident("user_id"),
        "item_id": records.ident("item_id"),
        "event_type": records.text("event_type"),
        "ts": records.timestamp("ts", timezone),
        "quantity": records.number("quantity"),
        "price": records.number("price"),
        "rating": records.number("rating"),
        "order_id": records.ident("order_id"),
    }
    return {"events": records.finish("events", events)}


def read_items(path: Path, timezone: str) -> Tables:
    records = read_records(path)
    items = {
        "item_id": records.ident("item_id"),
        "title": records.text("title"),
        "description": records.text("description"),
        "features": records.text("features"),
        "category": records.text("category"),
        "brand": records.text("brand"),
        "price": records.text("price"),
        "currency": records.text("currency"),
        # how many source records carried this item row: 1 when not given (or not a number)
        "source_count": records.number("source_count").fillna(1).astype("int64"),
    }
    return {"items": records.finish("items", items)}


def read_reviews(path: Path, timezone: str) -> Tables:
    records = read_records(path)
    reviews = {
        "review_id": records.ident("review_id"),
        "user_id": records.ident("user_id"),
        "item_id": records.ident("item_id"),
        "rating": records.number("rating"),
        "title": records.text("title"),
        "text": records.text("text"),
        "ts": records.timestamp("ts", timezone),
    }
    return {"reviews": records.finish("reviews", reviews)}


FORMATS = [
    Format(
        name="canonical_reviews",
        description="canonical reviews table (review_id, user_id, item_id, rating, text): csv, parquet or jsonl",
        kinds=_KINDS,
        signature=frozenset({"review_id", "user_id", "item_id", "rating", "text"}),
        required=("review_id", "user_id", "item_id", "rating", "text"),
        read=read_reviews,
    ),
    Format(
        name="canonical_events",
        description="canonical events table (user_id, item_id, event_type, ts): csv, parquet or jsonl",
        kinds=_KINDS,
        signature=frozenset({"user_id", "item_id", "event_type", "ts"}),
        required=("user_id", "item_id", "event_type", "ts"),
        read=read_events,
    ),
    Format(
        name="canonical_items",
        description="canonical items table (item_id, title): csv, parquet or jsonl",
        kinds=_KINDS,
        signature=frozenset({"item_id", "title"}),
        required=("item_id", "title"),
        read=read_items,
    ),
]
