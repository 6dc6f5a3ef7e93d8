import json

import duckdb
import pandas as pd

from longtail.data import landing
from longtail.data.adapters import read_file
from longtail.data.cleaning import clean_items
from longtail.data.erasure import record_tombstones
from longtail.data.ingest import LoadPrivacy, describe, load_landed_files, unrecorded_files, vanished_files
from longtail.data.retraction import RETRACTED_FOLDER, pending_retractions, request_retraction
from longtail.data.warehouse import connect, fetch_one, read_table
from longtail.privacy.pseudonyms import Pseudonyms

PRIVACY = LoadPrivacy(Pseudonyms(b"a test key of 32 characters....."))

EVENTS = "user_id,item_id,event_type,ts\nu1,i1,view,2024-03-01T10:00:00Z\nu2,i1,view,2024-03-02T10:00:00Z\n"
ITEMS = "item_id,title\ni1,Tea mug\n"


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def load(root, warehouse):
    with connect(warehouse) as connection:
        return {load.file.name: load for load in load_landed_files(connection, landing.scan(root), PRIVACY)}


def test_unrecorded_files_are_those_a_load_would_read(tmp_path):
    root, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    write(root / "shop" / "events.csv", EVENTS)
    with connect(warehouse) as connection:
        assert [f.name for f in unrecorded_files(connection, landing.scan(root))] == ["events.csv"]
    load(root, warehouse)

    write(root / "shop" / "items.csv", ITEMS)
    write(root / "shop" / "notes.csv", "colour,size\nred,XL\n")
    # Read-only, as the landing sensor asks while no run writes.
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert [f.name for f in unrecorded_files(connection, landing.scan(root))] == ["items.csv", "notes.csv"]
    load(root, warehouse)
    with connect(warehouse) as connection:
        # The rejected file is recorded too: reading it again would fail again.
        assert unrecorded_files(connection, landing.scan(root)) == []
        write(root / "shop" / "events.csv", EVENTS + "u3,i1,view,2024-04-01T10:00:00Z\n")
        assert [f.name for f in unrecorded_files(connection, landing.scan(root))] == ["events.csv"]


def test_a_load_names_the_tables_whose_rows_it_added_or_removed(tmp_path):
    root, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    write(root / "shop" / "events.csv", EVENTS)
    write(root / "shop" / "items.csv", ITEMS)
    write(root / "shop" / "notes.csv", "colour,size\nred,XL\n")
    first = load(root, warehouse)
    assert first["events.csv"].changed_tables == {"events"}
    assert first["items.csv"].changed_tables == {"items"}
    assert first["notes.csv"].status == "rejected" and first["notes.csv"].changed_tables == set()

    # A new version of a file without events removes the old version's events: events changed too.
    write(root / "shop" / "events.csv", "item_id,title\ni2,Kettle\n")
    replaced = load(root, warehouse)["events.csv"]
    assert replaced.replaced_rows["events"] == 2 and replaced.rows["events"] == 0
    assert replaced.changed_tables == {"events", "items"}
    assert load(root, warehouse) == {}


def test_raw_items_of_an_older_warehouse_take_the_features_column(tmp_path):
    root, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    write(root / "shop" / "items.csv", ITEMS)
    load(root, warehouse)
    with connect(warehouse) as connection:
        connection.execute("alter table raw_items drop column features")  # as written before features existed
        assert clean_items(read_table(connection, "raw_items")).cleaned["features"].isna().all()
    write(root / "shop" / "more.csv", 'item_id,title,features\ni2,Kettle,"[""Boils in 2 minutes""]"\n')
    load(root, warehouse)
    with connect(warehouse) as connection:
        cleaned = clean_items(read_table(connection, "raw_items")).cleaned.set_index("item_id")
    assert pd.isna(cleaned.loc["i1", "features"])
    assert json.loads(cleaned.loc["i2", "features"]) == ["Boils in 2 minutes"]


def test_a_file_that_breaks_the_reader_is_rejected_alone_with_a_short_reason(tmp_path):
    root, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    write(root / "shop" / "events.csv", EVENTS)
    write(root / "shop" / "odd.csv", EVENTS.replace("u1", "u9"))

    def read(landed):
        if landed.name == "odd.csv":
            raise TypeError("unhashable type: 'list' " + "x" * 100_000)
        return read_file(landed.path)

    with connect(warehouse) as connection:
        loads = {load.file.name: load for load in load_landed_files(connection, landing.scan(root), PRIVACY, read=read)}
        assert loads["events.csv"].status == "loaded" and loads["events.csv"].rows["events"] == 2
        assert loads["odd.csv"].status == "rejected"
        assert "odd.csv" in loads["odd.csv"].error and "TypeError: unhashable type" in loads["odd.csv"].error
        assert len(loads["odd.csv"].error) < 1_000
        assert fetch_one(connection, "select count(*) from raw_events where source_file = 'odd.csv'")[0] == 0
        statuses = dict(connection.execute("select name, status from landing_files").fetchall())
    assert statuses == {"events.csv": "loaded", "odd.csv": "rejected"}


def test_the_same_file_in_two_datasets_loads_into_each(tmp_path):
    root, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    write(root / "shopA" / "base.csv", EVENTS)
    write(root / "shopB" / "base.csv", EVENTS)
    loads = load(root, warehouse)
    assert {load.status for load in loads.values()} == {"loaded"}
    with connect(warehouse) as connection:
        counts = dict(connection.execute("select dataset, count(*) from raw_events group by all").fetchall())
    assert counts == {"shopA": 2, "shopB": 2}


def test_a_retracted_file_leaves_the_raw_tables_once_and_can_be_landed_again(tmp_path):
    root, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    write(root / "shop" / "events.csv", EVENTS)
    write(root / "shop" / "items.csv", ITEMS)
    (events,) = [f for f in landing.scan(root) if f.name == "events.csv"]
    load(root, warehouse)

    request_retraction(root, "shop", "events.csv", events.file_id, events.path)
    assert not events.path.exists() and [f.name for f in landing.scan(root)] == ["items.csv"]
    with connect(warehouse) as connection:
        (retracted,) = load_landed_files(connection, landing.scan(root), PRIVACY, retractions=pending_retractions(root))
        assert retracted.status == "retracted" and retracted.replaced_rows["events"] == 2
        assert retracted.changed_tables == {"events"}
        assert str(retracted.first_day.date()) == "2024-03-01" and str(retracted.last_day.date()) == "2024-03-02"
        assert fetch_one(connection, "select count(*) from raw_events")[0] == 0
        assert fetch_one(connection, "select count(*) from raw_items")[0] == 1
        # Applying the requests again does nothing.
        assert load_landed_files(connection, landing.scan(root), PRIVACY, retractions=pending_retractions(root)) == []

    # The kept copy, landed again, loads again: the request only retracted the earlier load.
    (kept,) = (root / RETRACTED_FOLDER).glob("*-events.csv")
    write(root / "shop" / "events.csv", kept.read_text())
    with connect(warehouse) as connection:
        (again,) = load_landed_files(connection, landing.scan(root), PRIVACY, retractions=pending_retractions(root))
        assert again.status == "loaded" and again.rows["events"] == 2


def test_a_loaded_file_removed_by_hand_is_reported_and_its_rows_kept(tmp_path):
    root, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    write(root / "shop" / "events.csv", EVENTS)
    write(root / "shop" / "items.csv", ITEMS)
    load(root, warehouse)
    (root / "shop" / "events.csv").unlink()
    with connect(warehouse) as connection:
        gone = vanished_files(connection, landing.scan(root))
        assert gone[["dataset", "name", "rows"]].values.tolist() == [["shop", "events.csv", 2]]
        assert fetch_one(connection, "select count(*) from raw_events")[0] == 2


def test_customers_are_stored_as_pseudonyms_even_where_a_problem_row_quotes_them(tmp_path):
    root, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    write(root / "shop" / "events.csv", EVENTS + "cust-77,i1,view,not a time\n")
    review = {"review_id": "rev-9", "user_id": "cust-77", "item_id": "i1", "rating": "five", "text": "ok"}
    write(root / "shop" / "reviews.jsonl", json.dumps(review) + "\n")
    load(root, warehouse)
    pseudonyms = PRIVACY.pseudonyms
    with connect(warehouse) as connection:
        events = read_table(connection, "raw_events")
        reviews = read_table(connection, "raw_reviews")
    assert set(events["user_id"]) == {pseudonyms.user("shop", user) for user in ("u1", "u2", "cust-77")}
    problem = events[events["parse_error"].notna()].iloc[0]
    assert "cust-77" not in problem["raw_record"] and pseudonyms.user("shop", "cust-77") in problem["raw_record"]
    assert reviews["review_id"].str.fullmatch(r"r_[0-9a-f]{24}").all()
    assert "cust-77" not in reviews["raw_record"].iloc[0] and "rev-9" not in reviews["raw_record"].iloc[0]


def test_erased_customers_and_rows_past_retention_are_withheld_at_every_load(tmp_path):
    root, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    write(root / "shop" / "events.csv", EVENTS + "u3,i1,view,2024-05-01T10:00:00Z\n")
    with connect(warehouse) as connection:
        record_tombstones(connection, "shop", [PRIVACY.pseudonyms.user("shop", "u2")], pd.Timestamp.now(tz="UTC"))
        retained = LoadPrivacy(PRIVACY.pseudonyms, {"shop": pd.Timestamp("2024-03-02", tz="UTC")})
        (first,) = load_landed_files(connection, landing.scan(root), retained)
        # u1's view of 1 March is past retention, u2 is erased: only u3's view is stored.
        assert first.rows["events"] == 1
        assert first.withheld == {"erased customers": 1, "past retention": 1}
        assert "withheld 1 rows of erased customers; withheld 1 rows of past retention" in describe(first)
        # A changed version of the file (a re-delivery) is withheld the same way.
        write(root / "shop" / "events.csv", EVENTS + "u3,i1,view,2024-05-01T10:00:00Z\nu2,i2,view,2024-05-02\n")
        (again,) = load_landed_files(connection, landing.scan(root), retained)
        assert again.withheld["erased customers"] == 2
        stored = read_table(connection, "raw_events")["user_id"]
    assert set(stored) == {PRIVACY.pseudonyms.user("shop", "u3")}
