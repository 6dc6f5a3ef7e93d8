"""The canonical tables (docs/data.md) as adapters emit them and the warehouse stores them.

Adapters emit *raw* frames: one row per source record, values as found (strings kept as strings; numbers and
timestamps parsed leniently, a failure recorded in ``parse_error`` instead of raising). The loader adds the
provenance columns; cleaning turns raw rows into cleaned rows or quarantined rows.
"""

from __future__ import annotations

import pandas as pd

# Columns every adapter emits on every raw frame, after the table's own columns.
ROW_COLUMNS = ["source_row", "parse_error", "raw_record"]
# Columns the loader adds to every raw row: which dataset and file it came from, and when it was loaded.
PROVENANCE_COLUMNS = ["dataset", "file_id", "source_file", "loaded_at"]

EVENT_TYPES = ("view", "cart", "purchase", "rating", "review")

# name -> pandas dtype of the raw frame an adapter returns.
RAW_EVENT_DTYPES = {
    "user_id": "string",
    "item_id": "string",
    "event_type": "string",
    "ts": "datetime64[ns, UTC]",
    "quantity": "float64",
    "price": "float64",
    "rating": "float64",
    "order_id": "string",
}
RAW_ITEM_DTYPES = {
    "item_id": "string",
    "title": "string",
    "description": "string",  # a JSON array when the source stores a list
    "features": "string",  # feature bullets: a JSON array of strings, or one feature as plain text
    "category": "string",  # a path "A > B", or a JSON array when the source stores a list
    "brand": "string",
    "price": "string",  # as written in the source: "12.99", "$12.99", "" ...
    # The price's ISO 4217 code where the format states it (Online Retail II: sterling); null where the price text
    # may carry its own symbol ("$12.99"), which cleaning reads.
    "currency": "string",
    "source_count": "int64",  # how many source records carried exactly this item row
}
RAW_REVIEW_DTYPES = {
    "review_id": "string",
    "user_id": "string",
    "item_id": "string",
    "rating": "float64",
    "title": "string",
    "text": "string",
    "ts": "datetime64[ns, UTC]",
}
ROW_DTYPES = {"source_row": "int64", "parse_error": "string", "raw_record": "string"}

RAW_DTYPES = {"events": RAW_EVENT_DTYPES, "items": RAW_ITEM_DTYPES, "reviews": RAW_REVIEW_DTYPES}
TABLES = tuple(RAW_DTYPES)

# What cleaning writes: cleaned rows per table, and every rejected raw row with its rule (docs/data.md).
QUARANTINE_COLUMNS = [
    "table_name",
    "rule",
    "detail",
    "dataset",
    "file_id",
    "source_file",
    "source_row",
    "partition_day",
    "record",
]
QUARANTINE_DDL = """
create table if not exists quarantine (
    table_name varchar, rule varchar, detail varchar, dataset varchar, file_id varchar, source_file varchar,
    source_row bigint, partition_day timestamptz, record varchar
)
"""
CLEANED_EVENT_COLUMNS = [
    "dataset", "user_id", "item_id", "event_type", "ts", "event_day", "quantity", "price", "rating", "order_id",
    "file_id", "source_file", "source_row",
]  # fmt: skip
# features: a JSON array of feature strings (null when none); category: a path "A > B"; currency: the price's ISO
# 4217 code, null when the price or its currency is unknown.
CLEANED_ITEM_COLUMNS = [
    "dataset", "item_id", "title", "description", "features", "category", "brand", "price", "currency", "file_id",
    "source_file", "source_row",
]  # fmt: skip
CLEANED_REVIEW_COLUMNS = [
    "dataset", "review_id", "user_id", "item_id", "rating", "title", "text", "ts", "file_id", "source_file",
    "source_row",
]  # fmt: skip
CLEANED_COLUMNS = {"events": CLEANED_EVENT_COLUMNS, "items": CLEANED_ITEM_COLUMNS, "reviews": CLEANED_REVIEW_COLUMNS}


def empty_raw_frame(table: str) -> pd.DataFrame:
    """An empty raw frame of ``table`` ("events", "items" or "reviews") with the right columns and dtypes."""
    dtypes = {**RAW_DTYPES[table], **ROW_DTYPES}
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in dtypes.items()})


def conform_raw_frame(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with exactly the raw columns of ``table`` in order and dtype; missing columns become nulls."""
    dtypes = {**RAW_DTYPES[table], **ROW_DTYPES}
    out = pd.DataFrame(index=frame.index)
    for name, dtype in dtypes.items():
        if name in frame.columns:
            out[name] = frame[name].astype(dtype)
        else:
            out[name] = pd.Series(1 if dtype == "int64" else None, index=frame.index, dtype=object).astype(dtype)
    return out.reset_index(drop=True)
