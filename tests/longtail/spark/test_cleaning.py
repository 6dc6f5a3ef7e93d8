"""Cleaning on a two-worker Spark cluster gives exactly the rows of the local cleaning: the same cleaned rows, the
same quarantined rows with the same rules and messages, the same repairs; on the fixture shop's files with hostile
rows added, and on every shared dataset."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from longtail.data.cleaning import CLEANERS
from longtail.data.ingest import LoadPrivacy, load_landed_files
from longtail.data.landing import scan
from longtail.data.warehouse import read_table
from longtail.privacy.pseudonyms import Pseudonyms
from longtail.spark.cleaning import clean_on_spark
from longtail.spark.exchange import export_query
from longtail.spark.session import tasks_by_executor
from tests.fixtures import (
    EVENTS_CSV,
    assert_ran_on_every_executor,
    shop_history,
    write_events,
    write_items,
    write_reviews,
)

pytestmark = pytest.mark.spark
DATA_DIR = os.environ.get("LONGTAIL_DATA_DIR")
PRIVACY = LoadPrivacy(Pseudonyms(b"a test key of 32 characters....."))

# Rows every rule rejects, and copies that differ only in whitespace around the user (still duplicates).
HOSTILE_EVENTS = EVENTS_CSV + (
    "u5,i1,purchase,1999-01-01T00:00:00Z,1,3.5,o9\n"
    "u5,i1,purchase,not a time,1,3.5,o9\n"
    "u5,i1,teleport,2024-03-04T10:00:00Z,1,3.5,o10\n"
    "u5,i2,purchase,2024-03-04T10:00:00Z,1,0,o10\n"
    "u5,i2,rating,2024-03-04T10:00:00Z,1,,\n"
    "u6 ,i2,purchase,2024-03-04T11:00:00Z,1,12.0,o11\n"
    " u6,i2,purchase,2024-03-04T11:00:00Z,1,12.0,o11\n"
    "u6,,purchase,2024-03-04T11:00:00Z,1,12.0,o11\n"
)


def loaded_warehouse(landing: Path, path: Path) -> duckdb.DuckDBPyConnection:
    """A warehouse holding the raw rows of every file under ``landing``, loaded as the ingest job loads them."""
    connection = duckdb.connect(str(path))
    load_landed_files(connection, scan(landing), PRIVACY)
    return connection


def comparable(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` by file and row, every value a Python object and every missing one None: Parquet and DuckDB
    hand back the same values under other dtypes (string against object, NaN against NA)."""
    rows = rows.sort_values(["file_id", "source_row"], kind="stable").reset_index(drop=True).astype(object)
    return rows.where(rows.notna(), None)


def assert_cleans_alike(spark, connection: duckdb.DuckDBPyConnection, tmp_path: Path) -> dict[str, int]:
    """Clean every raw table locally and on ``spark``; assert identical results; return raw rows per table."""
    sizes = {}
    for table, clean in CLEANERS.items():
        raw = read_table(connection, f"raw_{table}")
        raw_path = export_query(connection, f"select * from raw_{table}", None, tmp_path / f"raw_{table}.parquet")
        local = clean(raw)
        on_spark = clean_on_spark(spark, table, raw_path, tmp_path / f"cleaned_{table}").result(connection)
        pd.testing.assert_frame_equal(comparable(on_spark.cleaned), comparable(local.cleaned))
        pd.testing.assert_frame_equal(comparable(on_spark.quarantined), comparable(local.quarantined))
        assert on_spark.repairs == local.repairs
        assert len(on_spark.cleaned) + len(on_spark.quarantined) == len(raw)
        sizes[table] = len(raw)
    return sizes


def test_fixture_shop_with_hostile_rows_cleans_alike_on_both_workers(spark, tmp_path):
    landing = tmp_path / "landing"
    write_events(landing / "shop" / "events.csv", HOSTILE_EVENTS)
    write_events(landing / "shop" / "events_again.csv", HOSTILE_EVENTS.replace("o1\n", "o1 \n"))
    write_items(landing / "shop" / "items.csv")
    write_reviews(landing / "shop" / "reviews.jsonl")
    events, items = shop_history()
    write_events(landing / "history" / "events.csv", events)
    write_items(landing / "history" / "items.csv", items)
    before = tasks_by_executor(spark)

    sizes = assert_cleans_alike(spark, loaded_warehouse(landing, tmp_path / "warehouse.duckdb"), tmp_path)

    assert sizes["events"] > 800
    assert_ran_on_every_executor(spark, before)


@pytest.mark.real_data
@pytest.mark.skipif(not DATA_DIR, reason="LONGTAIL_DATA_DIR is not set")
def test_every_shared_dataset_cleans_alike(spark, tmp_path):
    landing = tmp_path / "landing"
    for folder in sorted(p for p in Path(DATA_DIR).iterdir() if p.is_dir()):
        shutil.copytree(folder, landing / folder.name, ignore=shutil.ignore_patterns("*.md"))

    sizes = assert_cleans_alike(spark, loaded_warehouse(landing, tmp_path / "warehouse.duckdb"), tmp_path)

    assert sizes["events"] > 500_000 and sizes["items"] > 0 and sizes["reviews"] > 0
