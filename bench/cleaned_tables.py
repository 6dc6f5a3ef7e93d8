"""The shared datasets read and cleaned as the pipeline does, for the benchmarks, without Dagster.

    from cleaned_tables import cleaned, sales
    events = cleaned("events", "uci_online_retail_ii")
    sold = sales("uci_online_retail_ii")  # what demand_history counts: the cleaned events and the guest sales

Every file under ``$LONGTAIL_DATA_DIR`` (default ``../shared/data``) is read with ``longtail.data.adapters.read_file``
(its folder naming the dataset, as ``longtail ingest`` does) and cleaned with ``longtail.data.cleaning`` (the guest
sales with ``longtail.data.guest_sales``); the cleaned tables are cached as parquet in ``build/cleaned_tables/``
(delete the folder after the data or the cleaning rules change).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from longtail.data.adapters import read_file
from longtail.data.cleaning import CLEANERS, partition_days
from longtail.data.guest_sales import clean_guest_sales

CACHE = Path(__file__).resolve().parent.parent / "build" / "cleaned_tables"


def cleaned(table: str, dataset: str | None = None) -> pd.DataFrame:
    """The cleaned ``table`` ("events", "items", "reviews" or "guest_sales") of every dataset, or of ``dataset``
    only."""
    path = CACHE / f"cleaned_{table}.parquet"
    if not path.exists():
        _build_cache()
    frame = pd.read_parquet(path)
    return frame[frame["dataset"] == dataset].reset_index(drop=True) if dataset else frame


def sales(dataset: str | None = None) -> pd.DataFrame:
    """What ``demand_history`` counts: the cleaned events and the guest sales (of ``dataset`` only, if given)."""
    return pd.concat([cleaned("events", dataset), cleaned("guest_sales", dataset)], ignore_index=True)


def _build_cache() -> None:
    data_dir = Path(os.environ.get("LONGTAIL_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "data"))
    raw = {table: [] for table in CLEANERS}
    loaded_at = pd.Timestamp.now(tz="UTC")
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file() and p.suffix != ".md"):
        try:
            result = read_file(path)
        except Exception as error:  # lookup files (aisles.csv, ...) are read through their main file
            print(f"skipped {path.name}: {error}")
            continue
        for table in CLEANERS:
            frame = getattr(result, table)
            if frame is not None and len(frame):
                provenance = {"dataset": path.parent.name, "file_id": path.name, "source_file": path.name}
                raw[table].append(frame.assign(**provenance, loaded_at=loaded_at))
    CACHE.mkdir(parents=True, exist_ok=True)
    for table, cleaner in CLEANERS.items():
        frames = pd.concat(raw[table], ignore_index=True)
        if table == "events":
            frames["partition_day"] = partition_days(frames["ts"], frames["loaded_at"])
            clean_guest_sales(frames).cleaned.to_parquet(CACHE / "cleaned_guest_sales.parquet")
        cleaner(frames).cleaned.to_parquet(CACHE / f"cleaned_{table}.parquet")
