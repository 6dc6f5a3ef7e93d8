import duckdb
import pandas as pd

from longtail.data.landing import SUPERSEDED
from longtail.data.retention import expire_landing_files, expire_rows
from tests.fixtures import write_events

NOW = pd.Timestamp("2024-06-01", tz="UTC")  # the frozen clock
SINCE = {"shop": NOW - pd.Timedelta(days=90)}  # 2024-03-03
HEADER = "user_id,item_id,event_type,ts,quantity,price,order_id\n"
OLD = "u1,i1,purchase,2024-01-05T10:00:00Z,1,3.5,o1\n"
NEW = "u2,i1,purchase,2024-05-05T10:00:00Z,1,3.5,o2\n"


def test_expiry_deletes_exactly_the_rows_before_the_cut_off_of_each_dataset():
    connection = duckdb.connect()
    connection.execute("set TimeZone = 'UTC'")
    connection.execute(
        "create table raw_events (dataset varchar, user_id varchar, ts timestamptz, partition_day timestamptz)"
    )
    connection.execute(
        "create table cleaned_reviews (dataset varchar, review_id varchar, user_id varchar, item_id varchar, "
        "title varchar, text varchar, ts timestamptz)"
    )
    connection.execute("create table review_sentiment (dataset varchar, review_id varchar, ts timestamptz)")
    connection.execute("create table quarantine (table_name varchar, dataset varchar, record varchar)")
    for dataset in ("shop", "kept"):
        for user, ts in (("u_old", "2024-03-02T23:59:59Z"), ("u_new", "2024-03-03T00:00:00Z"), ("u_none", None)):
            day = ts and ts[:10]
            connection.execute("insert into raw_events values (?, ?, ?, ?)", [dataset, user, ts, day])
        connection.execute(
            "insert into cleaned_reviews values (?, 'r_old', 'u_old', 'i1', 't', 'x', '2024-01-01'), "
            "(?, 'r_new', 'u_new', 'i1', 't', 'x', '2024-04-01')",
            [dataset, dataset],
        )
        connection.execute(
            "insert into review_sentiment values (?, 'r_old', '2024-01-01'), (?, 'r_new', '2024-04-01')",
            [dataset, dataset],
        )
        connection.execute(
            "insert into quarantine values ('events', ?, ?), ('events', ?, ?), ('events', ?, ?)",
            [dataset, '{"ts": "2024-03-01T00:00:00.000Z"}', dataset, '{"ts": "2024-05-01T00:00:00.000Z"}',
             dataset, '{"ts": null}'],
        )  # fmt: skip

    deleted = expire_rows(connection, SINCE)

    assert deleted["shop"].rows == {"raw_events": 1, "cleaned_reviews": 1, "review_sentiment": 1, "quarantine": 1}
    assert deleted["shop"].first_day == deleted["shop"].last_day == pd.Timestamp("2024-03-02", tz="UTC")
    shop = connection.execute("select user_id from raw_events where dataset = 'shop' order by all").fetchall()
    assert shop == [("u_new",), ("u_none",)]  # a row without a time is kept: cleaning quarantines it
    assert connection.execute("select count(*) from raw_events where dataset = 'kept'").fetchone()[0] == 3
    assert connection.execute("select count(*) from quarantine where dataset = 'shop'").fetchone()[0] == 2
    assert expire_rows(connection, SINCE)["shop"].rows == {}


def test_expiry_deletes_wholly_expired_landing_files_and_archives_and_keeps_the_rest(tmp_path):
    landing = tmp_path / "landing"
    old = write_events(landing / "shop" / "old.csv", HEADER + OLD)
    mixed = write_events(landing / "shop" / "mixed.csv", HEADER + OLD + NEW)
    new = write_events(landing / "shop" / "new.csv", HEADER + NEW)
    archive = write_events(landing / "shop" / SUPERSEDED / "abc-new.csv", HEADER + OLD)
    items = write_events(landing / "shop" / "items.csv", "item_id,title\ni1,Mug\n")
    elsewhere = write_events(landing / "other" / "old.csv", HEADER + OLD)
    connection = duckdb.connect()
    connection.execute("create table landing_files (dataset varchar, name varchar, file_id varchar, status varchar)")
    from longtail.data.landing import scan

    for landed in scan(landing):
        connection.execute(
            "insert into landing_files values (?, ?, ?, 'loaded')", [landed.dataset, landed.name, landed.file_id]
        )

    expiry = expire_landing_files(landing, SINCE, connection)

    assert sorted(expiry.deleted) == sorted([old, archive]) and expiry.kept == [mixed] and not expiry.unreadable
    assert not old.exists() and not archive.exists()
    assert mixed.exists() and new.exists() and items.exists() and elsewhere.exists()
    statuses = dict(connection.execute("select dataset || '/' || name, status from landing_files").fetchall())
    assert statuses["shop/old.csv"] == "expired" and statuses["shop/mixed.csv"] == "loaded"
