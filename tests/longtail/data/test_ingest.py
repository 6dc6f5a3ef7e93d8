import json

import duckdb
import pandas as pd

from longtail.data import landing
from longtail.data.cleaning import clean_items
from longtail.data.ingest import load_landed_files, unrecorded_files
from longtail.data.warehouse import connect, read_table

EVENTS = "user_id,item_id,event_type,ts\nu1,i1,view,2024-03-01T10:00:00Z\nu2,i1,view,2024-03-02T10:00:00Z\n"
ITEMS = "item_id,title\ni1,Tea mug\n"


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def load(root, warehouse):
    with connect(warehouse) as connection:
        return {load.file.name: load for load in load_landed_files(connection, landing.scan(root))}


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
