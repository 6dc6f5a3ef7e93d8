import numpy as np
import pandas as pd
import pytest

from longtail.data import landing
from longtail.data.cleaning import clean_events, clean_items, partition_days
from longtail.data.ingest import LoadPrivacy, load_landed_files
from longtail.data.schema import RAW_EVENT_DTYPES, conform_raw_frame
from longtail.data.synthetic import (
    DIRTY_EVENT_RULES,
    dirty_event_counts,
    iter_synthetic_events,
    shop_size,
    synthetic_shop,
    write_synthetic_shop,
)
from longtail.data.warehouse import connect, read_table
from longtail.privacy.pseudonyms import Pseudonyms

PRIVACY = LoadPrivacy(Pseudonyms(b"a test key of 32 characters....."))


@pytest.fixture(scope="module")
def shop():
    return synthetic_shop(200_000, seed=7)


@pytest.fixture(scope="module")
def cleaning(shop):
    return clean_events(_raw_events(shop.events))


def test_the_same_seed_gives_the_same_shop_and_another_seed_another():
    first, again = synthetic_shop(20_000, seed=3), synthetic_shop(20_000, seed=3)
    pd.testing.assert_frame_equal(first.events, again.events)
    pd.testing.assert_frame_equal(first.items, again.items)
    other = synthetic_shop(20_000, seed=4)
    assert not first.events["item_id"].equals(other.events["item_id"])


def test_the_chunks_are_the_shop_piece_by_piece_with_order_ids_unique_across_them():
    chunks = list(iter_synthetic_events(25_000, seed=2, chunk_events=10_000))
    assert [len(chunk) for chunk in chunks] == [10_000, 10_000, 5_000]
    whole = synthetic_shop(25_000, seed=2, chunk_events=10_000).events
    pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), whole)
    # An order belongs to one user at one time, whichever chunk it is in (cancellations and broken times aside).
    dirty = whole["order_id"].str.startswith("C") | (whole["ts"].dt.year < 2000)
    purchases = whole[(whole["event_type"] == "purchase") & ~dirty]
    per_order = purchases.groupby("order_id").agg(users=("user_id", "nunique"), times=("ts", "nunique"))
    assert (per_order["users"] == 1).all() and (per_order["times"] == 1).all()


def test_events_are_canonical_with_the_default_sizes(shop):
    events = shop.events
    assert len(events) == 200_000
    assert list(events.columns) == [c for c in RAW_EVENT_DTYPES if c != "rating"]
    assert {c: str(t) for c, t in events.dtypes.items()} == {c: t for c, t in RAW_EVENT_DTYPES.items() if c != "rating"}
    assert shop_size(200_000) == (10_000, 10_000) and shop_size(1_000_000) == (50_000, 50_000)
    assert events["user_id"].nunique() <= 10_000
    assert set(events["event_type"]) == {"purchase", "view"}
    assert (events["event_type"] == "view").mean() == pytest.approx(0.1, abs=0.001)
    plausible = events["ts"][events["ts"].dt.year > 2000]
    assert plausible.min() >= pd.Timestamp("2022-12-31", tz="UTC")
    assert plausible.max() < pd.Timestamp("2025-01-01", tz="UTC")
    views = events[events["event_type"] == "view"]
    assert views["order_id"].isna().all() and views["quantity"].isna().all() and views["price"].isna().all()


def test_item_popularity_is_a_long_tail(shop):
    events = shop.events
    purchases = events[(events["event_type"] == "purchase") & events["item_id"].str.startswith("SKU")]
    _, n_items = shop_size(200_000)
    bought = purchases["item_id"].value_counts().to_numpy()
    counts = np.sort(np.concatenate([bought, np.zeros(n_items - len(bought))]))[::-1]
    assert counts[: n_items // 5].sum() / counts.sum() > 0.75  # the top fifth of the items hold most purchases
    assert (counts <= 5).mean() > 0.5  # a majority of the catalogue is bought five times or fewer
    assert counts[0] / counts.sum() < 0.05  # no single item dominates


def test_baskets_hold_about_four_distinct_items_and_user_activity_is_heavy_tailed(cleaning):
    purchases = cleaning.cleaned[cleaning.cleaned["event_type"] == "purchase"]
    baskets = purchases.groupby("order_id").size()
    assert baskets.mean() == pytest.approx(4.0, abs=0.3)
    assert baskets.min() == 1 and baskets.max() >= 15
    assert not purchases.duplicated(["order_id", "item_id"]).any()
    orders = purchases.groupby("user_id")["order_id"].nunique().sort_values(ascending=False)
    assert orders.median() <= 4 and orders.iloc[0] >= 50
    assert orders.iloc[: len(orders) // 10].sum() / orders.sum() > 0.35


def test_the_dirty_rows_are_quarantined_by_their_rules(shop, cleaning):
    assert shop.dirty_events == dirty_event_counts(200_000) and set(shop.dirty_events) == set(DIRTY_EVENT_RULES)
    assert sum(shop.dirty_events.values()) == 1_000
    assert cleaning.quarantine_counts() == shop.dirty_events
    assert len(cleaning.cleaned) + len(cleaning.quarantined) == 200_000


def test_the_catalogue_has_text_by_category_with_thin_and_junk_rows(shop):
    items = shop.items
    real = items[items["item_id"].str.startswith("SKU")].drop_duplicates("item_id")
    assert len(real) == 10_000
    assert real["category"].str.fullmatch(r"[A-Z][a-z]+ > [A-Z][A-Za-z ]+").all()
    assert real["description"].isna().mean() == pytest.approx(0.16, abs=0.02)
    assert real["title"].str.fullmatch(r"[A-Z]{2}-\d{4} [A-Z]+").mean() == pytest.approx(0.04, abs=0.01)
    assert real["title"].str.contains("<b>").mean() == pytest.approx(0.02, abs=0.01)
    assert (real["price"] > 0).all()
    plain = real[real["description"].notna() & ~real["title"].str.contains("<|set of")]
    # A description speaks of the item its title names.
    assert all(title.split()[-1] in text for title, text in zip(plain["title"], plain["description"]))


def test_the_files_load_through_the_landing_folder_and_clean_as_expected(tmp_path):
    root, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    files = write_synthetic_shop(root / "synthetic", 30_000, seed=5, chunk_events=12_000)
    assert [path.name for path in files.event_files] == [f"events-{i:05d}.parquet" for i in range(3)]
    with connect(warehouse) as connection:
        loads = load_landed_files(connection, landing.scan(root), PRIVACY)
        assert {(load.file.name, load.status, load.format) for load in loads} == {
            *((path.name, "loaded", "canonical_events") for path in files.event_files),
            ("items.parquet", "loaded", "canonical_items"),
        }
        raw_events, raw_items = read_table(connection, "raw_events"), read_table(connection, "raw_items")
    assert len(raw_events) == 30_000 and raw_events["parse_error"].isna().all()
    cleaned = clean_events(raw_events)
    assert cleaned.quarantine_counts() == files.dirty_events
    items = clean_items(raw_items)
    assert items.quarantine_counts() == files.dirty_items
    assert items.repairs["title_tidied"] > 0  # the HTML titles
    assert len(items.cleaned) == shop_size(30_000)[1]


def _raw_events(events: pd.DataFrame) -> pd.DataFrame:
    """``events`` as raw_events rows of one file loaded now (as ``longtail.data.ingest`` stores them)."""
    raw = conform_raw_frame("events", events.assign(source_row=np.arange(1, len(events) + 1)))
    loaded_at = pd.Timestamp.now(tz="UTC")
    raw.insert(0, "loaded_at", loaded_at)
    raw.insert(0, "source_file", "events.parquet")
    raw.insert(0, "file_id", "id-events")
    raw.insert(0, "dataset", "synthetic")
    raw["partition_day"] = partition_days(raw["ts"], raw["loaded_at"])
    return raw
