import duckdb
import pandas as pd
import pytest

from longtail.data.erasure import (
    CachedRows,
    add_erasure_requests,
    apply_erasure_requests,
    erase_users,
    mark_erasures_done,
    open_erasure_requests,
    tombstoned_users,
)

DAY = pd.Timestamp("2024-03-01", tz="UTC")


@pytest.fixture
def warehouse():
    connection = duckdb.connect()
    connection.execute("set TimeZone = 'UTC'")
    ddl = {
        "raw_events": "dataset varchar, user_id varchar, item_id varchar, ts timestamptz, partition_day timestamptz",
        "cleaned_events": "dataset varchar, user_id varchar, item_id varchar, ts timestamptz, event_day timestamptz",
        "raw_reviews": "dataset varchar, review_id varchar, user_id varchar, item_id varchar, title varchar, "
        "text varchar, ts timestamptz",
        "cleaned_reviews": "dataset varchar, review_id varchar, user_id varchar, item_id varchar, title varchar, "
        "text varchar, ts timestamptz",
        "review_sentiment": "dataset varchar, review_id varchar, item_id varchar, ts timestamptz, label varchar",
        "quarantine": "table_name varchar, dataset varchar, partition_day timestamptz, record varchar",
        "recommendation_lists": "dataset varchar, user_id varchar, item_id varchar",
        "item_sentiment": "dataset varchar, item_id varchar, positive_aspects varchar[]",
        "generated_descriptions": "dataset varchar, item_id varchar, prompt_hash varchar, accepted boolean",
        "generation_cache": "prompt_hash varchar, raw_output varchar",
        "item_text": "dataset varchar, item_id varchar, extra_text varchar",
        "item_embeddings": "dataset varchar, item_id varchar",
        "review_embeddings": "text_hash varchar, model varchar",
        "cleaned_items": "dataset varchar, item_id varchar",
    }
    for table, columns in ddl.items():
        connection.execute(f"create table {table} ({columns})")
    for dataset in ("shop", "other"):
        for user, item, day in (("u_a", "i1", 0), ("u_a", "i2", 40), ("u_b", "i1", 10)):
            ts = DAY + pd.Timedelta(days=day)
            connection.execute(
                "insert into raw_events values (?, ?, ?, ?, ?)", [dataset, user, item, ts, ts.floor("D")]
            )
            connection.execute(
                "insert into cleaned_events values (?, ?, ?, ?, ?)", [dataset, user, item, ts, ts.floor("D")]
            )
            connection.execute("insert into recommendation_lists values (?, ?, 'i3')", [dataset, user])
        for review, user, item in (("r_1", "u_a", "i1"), ("r_2", "u_b", "i2")):
            row = [dataset, review, user, item, f"title {review}", f"text {review}", DAY]
            connection.execute("insert into raw_reviews values (?, ?, ?, ?, ?, ?, ?)", row)
            connection.execute("insert into cleaned_reviews values (?, ?, ?, ?, ?, ?, ?)", row)
            connection.execute(
                "insert into review_sentiment values (?, ?, ?, ?, 'positive')", [dataset, review, item, DAY]
            )
        connection.execute(
            "insert into quarantine values ('events', ?, ?, ?), ('reviews', ?, null, ?), ('events', ?, ?, ?)",
            [dataset, DAY, '{"user_id": "u_a", "ts": "2024-03-01T00:00:00Z"}', dataset, '{"review_id": "r_1"}',
             dataset, DAY, '{"user_id": "u_b", "ts": "2024-03-01T00:00:00Z"}'],
        )  # fmt: skip
        for item in ("i1", "i2"):
            connection.execute("insert into item_sentiment values (?, ?, ['nice'])", [dataset, item])
            connection.execute(
                "insert into generated_descriptions values (?, ?, ?, true)", [dataset, item, f"p_{dataset}_{item}"]
            )
            connection.execute("insert into generation_cache values (?, 'text')", [f"p_{dataset}_{item}"])
            connection.execute("insert into item_text values (?, ?, 'generated')", [dataset, item])
            connection.execute("insert into item_embeddings values (?, ?)", [dataset, item])
            connection.execute("insert into cleaned_items values (?, ?)", [dataset, item])
    connection.execute("insert into review_embeddings values ('h_title r_1', 'm'), ('h_other', 'm')")
    yield connection
    connection.close()


def fake_cache_keys(reviews):
    return [CachedRows("review_embeddings", "text_hash", [f"h_{title}" for title in reviews["title"]])]


def rows_naming(connection, needle: str) -> dict[str, int]:
    """Rows of each table whose any column, as text, holds ``needle`` (dataset 'shop' only where it has one)."""
    found = {}
    for (table,) in connection.execute("select table_name from information_schema.tables").fetchall():
        columns = [
            c
            for (c,) in connection.execute(
                f"select column_name from information_schema.columns where table_name = '{table}'"
            ).fetchall()
        ]
        scope = "dataset = 'shop' and " if "dataset" in columns else ""
        text = " || '|' || ".join(f"coalesce(cast(\"{c}\" as varchar), '')" for c in columns)
        count = connection.execute(
            f"select count(*) from {table} where {scope}contains({text}, ?)", [needle]
        ).fetchone()[0]
        if count:
            found[table] = count
    return found


def test_erasure_deletes_the_customer_and_what_their_reviews_built_in_one_dataset_only(warehouse):
    deletion = erase_users(warehouse, "shop", ["u_a"], cache_keys=fake_cache_keys)

    assert deletion.rows == {
        "raw_events": 2, "cleaned_events": 2, "recommendation_lists": 2, "raw_reviews": 1, "cleaned_reviews": 1,
        "review_sentiment": 1, "quarantine": 2, "item_sentiment": 1, "generated_descriptions": 1,
        "generation_cache": 1, "item_text": 1, "item_embeddings": 1, "review_embeddings": 1,
    }  # fmt: skip
    assert (deletion.first_day, deletion.last_day) == (DAY, DAY + pd.Timedelta(days=40))
    assert rows_naming(warehouse, "u_a") == {} and rows_naming(warehouse, "r_1") == {}
    # The other customer, the other dataset and the items nobody erased reviewed stay.
    assert warehouse.execute("select count(*) from raw_events where user_id = 'u_b'").fetchone()[0] == 2
    assert warehouse.execute("select count(*) from raw_events where dataset = 'other'").fetchone()[0] == 3
    assert warehouse.execute("select count(*) from generated_descriptions where dataset = 'shop'").fetchone()[0] == 1
    assert warehouse.execute("select count(*) from quarantine where dataset = 'shop'").fetchone()[0] == 1
    assert warehouse.execute("select count(*) from cleaned_items").fetchone()[0] == 4

    again = erase_users(warehouse, "shop", ["u_a"], cache_keys=fake_cache_keys)
    assert again.rows == {} and again.first_day is None


def test_requests_go_pending_erased_done_and_keep_their_days_for_a_retry(warehouse):
    now = pd.Timestamp("2025-01-01", tz="UTC")
    add_erasure_requests(warehouse, "shop", ["u_a"], now)
    assert open_erasure_requests(warehouse)["status"].tolist() == ["pending"]

    deleted = apply_erasure_requests(warehouse, now=now)
    assert deleted["shop"].rows["raw_events"] == 2 and tombstoned_users(warehouse, "shop") == {"u_a"}
    request = open_erasure_requests(warehouse).iloc[0]
    assert request["status"] == "erased" and request["rows_deleted"] == deleted["shop"].total

    retry = apply_erasure_requests(warehouse, now=now)  # the refresh failed: applying again still covers the days
    assert retry["shop"].rows == {} and retry["shop"].first_day == DAY
    mark_erasures_done(warehouse, "shop", ["u_a"], now)
    assert open_erasure_requests(warehouse).empty
    # The bookkeeping keeps the pseudonym: it is what keeps the customer out of later loads.
    assert set(rows_naming(warehouse, "u_a")) == {"erased_users", "erasure_requests"}
