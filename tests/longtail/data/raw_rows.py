"""Builders of raw warehouse rows (adapter output + provenance) for tests of cleaning and reconciliation."""

from __future__ import annotations

import pandas as pd

from longtail.data.cleaning import partition_days
from longtail.data.schema import conform_raw_frame

LOADED_AT = pd.Timestamp("2024-06-01 12:00", tz="UTC")


def raw_rows(table: str, rows: list[dict], *, source_file: str = "f.csv", dataset: str = "shop") -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    if "source_row" not in frame:
        frame["source_row"] = range(1, len(frame) + 1)
    if "ts" in frame:
        frame["ts"] = pd.to_datetime(frame["ts"], utc=True, format="ISO8601")
    raw = conform_raw_frame(table, frame)
    raw.insert(0, "loaded_at", LOADED_AT)
    raw.insert(0, "source_file", source_file)
    raw.insert(0, "file_id", "id-" + source_file)
    raw.insert(0, "dataset", dataset)
    if table == "events":
        raw["partition_day"] = partition_days(raw["ts"], raw["loaded_at"])
    return raw


def purchase(**overrides) -> dict:
    row = {
        "user_id": "u1", "item_id": "85123A", "event_type": "purchase", "ts": "2010-01-05 10:00",
        "quantity": 2.0, "price": 2.55, "order_id": "536365",
    }  # fmt: skip
    return {**row, **overrides}
