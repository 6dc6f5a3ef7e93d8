import json

import dagster as dg
import pandas as pd
import pytest

from assets.partitions import partition_key, partition_keys_between, range_tags
from orchestration.definitions import ASSETS, CHECKS
from orchestration.sensors import RANGE_END_TAG, RANGE_START_TAG
from tests.fixtures import REVIEWS, write_events, write_reviews


def run(home, selection, instance=None, periods=None):
    """Materialize ``selection``; cleaned_events over the partitions ``periods`` (first, last) as one run."""
    tags = {RANGE_START_TAG: periods[0], RANGE_END_TAG: periods[1]} if periods else None
    return dg.materialize(
        [*ASSETS, *CHECKS],
        selection=selection,
        resources=home.resources(),
        instance=instance,
        tags=tags,
        raise_on_error=False,
    )


UNPARTITIONED = "key:raw_events or key:raw_items or key:raw_reviews or key:cleaned_items or key:cleaned_reviews"


def failed_checks(result):
    return sorted(e.check_name for e in result.get_asset_check_evaluations() if not e.passed)


def test_items_and_reviews_are_cleaned_and_quarantined_by_rule(home):
    home.drop_shop_files()
    result = run(home, UNPARTITIONED)
    assert result.success, failed_checks(result)
    assert failed_checks(result) == []
    items = home.warehouse().read_table("cleaned_items").set_index("item_id")
    assert sorted(items.index) == ["i1", "i2", "i3"]
    assert items.loc["i1", "description"] == "A sturdy mug & saucer"
    assert items.loc["i1", "price"] == 3.5
    assert items.loc["i3", "title"] is None or items["title"].isna()["i3"]
    quarantine = home.warehouse().read_table("quarantine")
    assert quarantine.groupby(["table_name", "rule"]).size().to_dict() == {
        ("items", "non_product_code"): 1,
        ("reviews", "invalid_rating"): 1,
    }
    [detail] = quarantine[quarantine["rule"] == "invalid_rating"]["detail"]
    assert detail == "reviews.jsonl, row 3, column 'rating': 9.0 is not a rating from 1 to 5"


def test_events_backfill_is_one_run_and_idempotent(home):
    home.drop_shop_files()
    write_events(home.landing / "shop" / "may.csv", "user_id,item_id,event_type,ts\nu9,i1,view,2024-05-20T08:00:00Z\n")
    instance = dg.DagsterInstance.ephemeral()
    assert run(home, UNPARTITIONED, instance).success
    first = run(home, "cleaned_events", instance, periods=("2024-01-01", "2024-01-01"))
    assert first.success, failed_checks(first)
    # The window is January to April only: May's event waits for its own partition.
    assert home.count("select count(*) from cleaned_events") == 3
    quarantined = home.warehouse().read_table("quarantine", "table_name = 'events'")
    assert quarantined["rule"].value_counts().to_dict() == {
        "duplicate_event": 1, "cancellation": 1, "missing_user": 1, "non_product_code": 1,
    }  # fmt: skip
    # An overlapping backfill and a single-partition rerun rewrite their windows: nothing is duplicated.
    overlapping = run(home, "cleaned_events", instance, periods=("2023-09-01", "2024-05-01"))
    assert overlapping.success, failed_checks(overlapping)
    assert len(overlapping.get_asset_materialization_events()) == 3
    assert run(home, "cleaned_events", instance, periods=("2024-01-01", "2024-01-01")).success
    assert home.count("select count(*) from cleaned_events") == 4
    assert home.count("select count(*) from cleaned_events where user_id = ?", [home.pseudonym("u9")]) == 1
    assert home.count("select count(*) from quarantine where table_name = 'events'") == 4
    assert len(instance.get_materialized_partitions(dg.AssetKey("cleaned_events"))) == 3


def test_reconciliation_fails_when_a_cleaned_row_goes_missing(home):
    home.drop_shop_files()
    instance = dg.DagsterInstance.ephemeral()
    assert run(home, UNPARTITIONED, instance).success
    assert run(home, "cleaned_events", instance, periods=("2024-01-01", "2024-01-01")).success
    with home.warehouse().connect() as connection:
        connection.execute("delete from cleaned_events where user_id = ?", [home.pseudonym("u2")])
    result = dg.materialize(
        [*ASSETS, *CHECKS],
        selection=dg.AssetSelection.checks_for_assets("cleaned_events"),
        resources=home.resources(),
        instance=instance,
        raise_on_error=False,
    )
    assert "raw_rows_reconciled" in failed_checks(result)


@pytest.mark.parametrize(
    "bad_line, rule, column",
    [
        ("u5,i1,purchase,2024-03-01T11:00:00Z,many,3.5,o6", "malformed_row", "quantity"),
        ("u5,i1,purchase,not a time,1,3.5,o6", "malformed_row", "ts"),
        ("u5,i1,purchase,2024-03-01T11:00:00Z,1,3.5,o6,surplus,fields", "malformed_row", None),
    ],
)
def test_bad_rows_are_quarantined_naming_file_row_and_column(home, bad_line, rule, column):
    good_line = "u1,i1,purchase,2024-03-01T10:00:00Z,2,3.5,o1"
    header = "user_id,item_id,event_type,ts,quantity,price,order_id"
    write_events(home.landing / "shop" / "events.csv", "\n".join([header, bad_line, good_line]) + "\n")
    instance = dg.DagsterInstance.ephemeral()
    assert run(home, UNPARTITIONED, instance).success
    # A row whose timestamp cannot be read is cleaned in the partition of the day it was loaded.
    for period in sorted({partition_key(day) for day in home.warehouse().read_table("raw_events")["partition_day"]}):
        result = run(home, "cleaned_events", instance, periods=(period, period))
        assert result.success, failed_checks(result)
    [row] = home.warehouse().read_table("quarantine").itertuples()
    assert row.rule == rule
    assert row.detail.startswith("events.csv, row 1")
    if column:
        assert repr(column) in row.detail or column in row.detail
    assert home.count("select count(*) from raw_events") == 2
    assert home.count("select count(*) from cleaned_events") == 1


def test_non_utf8_bytes_and_overlong_text_are_quarantined_not_lost(home):
    header = b"user_id,item_id,event_type,ts,quantity,price,order_id\n"
    good = b"u1,i1,purchase,2024-03-01T10:00:00Z,2,3.5,o1\n"
    latin1 = "u2,CAF\xc9,purchase,2024-03-01T11:00:00Z,1,3.5,o2\n".encode("latin-1")
    (home.landing / "shop").mkdir(parents=True)
    (home.landing / "shop" / "events.csv").write_bytes(header + good + latin1)
    long_review = {
        "review_id": "r9",
        "user_id": "u",
        "item_id": "i1",
        "rating": 4,
        "text": "word " * 5_000,
        "ts": "2024-03-05T00:00:00Z",
    }
    write_reviews(home.landing / "shop" / "reviews.jsonl", [REVIEWS[0], long_review])
    instance = dg.DagsterInstance.ephemeral()
    assert run(home, UNPARTITIONED, instance).success
    assert run(home, "cleaned_events", instance, periods=("2024-01-01", "2024-01-01")).success
    quarantine = home.warehouse().read_table("quarantine").set_index("rule")
    assert quarantine.loc["malformed_row", "detail"].startswith("events.csv, row 2, column 'item_id'")
    assert json.loads(quarantine.loc["malformed_row", "record"])["item_id"] == "CAF\\xc9"
    assert quarantine.loc["text_too_long", "detail"] == (
        "reviews.jsonl, row 2, column 'text': 24999 characters exceed the limit of 20000"
    )
    assert json.loads(quarantine.loc["text_too_long", "record"])["text"] == long_review["text"]


def test_days_map_to_the_four_month_partitions_holding_them():
    assert partition_key("2024-04-30T23:59:59Z") == partition_key(pd.Timestamp("2024-01-01")) == "2024-01-01"
    assert partition_key(pd.Timestamp("2024-05-01 00:30", tz="Europe/Berlin")) == "2024-01-01"
    assert partition_keys_between("2024-03-15", "2024-09-02") == ["2024-01-01", "2024-05-01", "2024-09-01"]
    assert range_tags("2024-03-15", "2024-05-02") == {RANGE_START_TAG: "2024-01-01", RANGE_END_TAG: "2024-05-01"}
