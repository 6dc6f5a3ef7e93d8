import pandas as pd

from longtail.data.interactions import (
    REVIEW_COPIES_SQL,
    interaction_matrix,
    load_interactions,
    with_order_numbers,
    with_orders_from_last,
)
from longtail.data.warehouse import connect


def test_events_and_reviews_are_both_interactions(tmp_path):
    with connect(tmp_path / "w.duckdb") as connection:
        connection.execute(
            "create table cleaned_events as select * from (values "
            "('a', 'u1', 'i1', timestamptz '2024-01-02', 2.0, 'o1'),"
            " ('b', 'u9', 'i9', timestamptz '2024-01-01', 1.0, 'o9'))"
            " t(dataset, user_id, item_id, ts, price, order_id)"
        )
        connection.execute(
            "create table cleaned_reviews as select * from (values "
            "('a', 'u2', 'i1', timestamptz '2024-01-01', 'good'), ('a', 'u3', 'i2', null::timestamptz, 'bad'))"
            " t(dataset, user_id, item_id, ts, text)"
        )
        frame = load_interactions(connection, "a")
    assert frame[["user_id", "item_id", "source"]].values.tolist() == [["u2", "i1", "review"], ["u1", "i1", "event"]]


def test_a_review_repeated_under_several_ids_is_one_interaction_under_the_id_with_fewest_reviews(tmp_path):
    # u1's review is on "shoe" and on "page" (which also holds u2's and u3's): one interaction, under "shoe". The
    # copies may differ in case, spacing and time of day. u4's wordless ratings and u5's review written on another
    # day are no copies.
    rows = [
        ("shoe", "u1", "2024-01-01 09:00", "Fits  well"), ("page", "u1", "2024-01-01 18:00", "fits well"),
        ("page", "u2", "2024-01-02", "ok"), ("page", "u3", "2024-01-03", "ok"),
        ("shoe", "u4", "2024-01-04", ""), ("page", "u4", "2024-01-04", None),
        ("shoe", "u5", "2024-01-05", "nice"), ("page", "u5", "2024-01-06", "nice"),
    ]  # fmt: skip
    reviews = pd.DataFrame(rows, columns=["item_id", "user_id", "ts", "text"]).assign(dataset="a")
    reviews["ts"] = pd.to_datetime(reviews["ts"], utc=True, format="mixed")
    with connect(tmp_path / "w.duckdb") as connection:
        connection.register("reviews_frame", reviews)
        connection.execute("create table cleaned_reviews as select * from reviews_frame")
        frame = load_interactions(connection, "a")
        copies = connection.sql(REVIEW_COPIES_SQL, params={"d": "a"}).df()
    assert sorted(map(tuple, frame[["user_id", "item_id"]].to_numpy())) == [
        ("u1", "shoe"), ("u2", "page"), ("u3", "page"), ("u4", "page"), ("u4", "shoe"), ("u5", "page"), ("u5", "shoe")
    ]  # fmt: skip
    # The review copies give each of u1's two copies one text, and leave the wordless ratings out.
    assert len(copies) == 6 and copies["review"].nunique() == 5
    assert copies.loc[copies["item_id"] == "shoe", "review"].iloc[0] == "u1|2024-01-01|fits well"


def test_a_reviews_table_written_without_reviews_gives_no_interactions(tmp_path):
    # The Spark engine's cleaning leaves a shop without reviews an empty table of untyped (NULL) columns.
    with connect(tmp_path / "w.duckdb") as connection:
        connection.execute(
            "create table cleaned_reviews as select 'a' as dataset, null as user_id, null as item_id, null as ts,"
            " null as text where false"
        )
        assert load_interactions(connection, "a").empty
        assert connection.sql(REVIEW_COPIES_SQL, params={"d": "a"}).df().empty


def test_order_numbers_count_each_users_orders_in_time():
    frame = pd.DataFrame(
        {
            "user_id": ["u1", "u1", "u1", "u2", "u1"],
            "item_id": ["a", "b", "c", "a", "d"],
            "ts": pd.to_datetime(["2024-01-05", "2024-01-05", "2024-01-01", "2024-01-09", "2024-01-07"], utc=True),
            "order_id": ["o2", "o2", "o1", "o9", None],
        }
    )
    numbered = with_order_numbers(frame)
    assert numbered["order_number"].tolist() == [2, 2, 1, 1, 3]
    assert numbered.index.equals(frame.index)
    # Counted back from each user's own latest order: u1's third order and u2's only one are both 0.
    assert with_orders_from_last(frame)["order_from_last"].tolist() == [-1, -1, -2, 0, 0]


def test_matrix_counts_interactions_on_a_fixed_item_axis():
    frame = pd.DataFrame({"user_id": ["u2", "u1", "u1", "u1"], "item_id": ["i1", "i1", "i1", "zz"]})
    matrix = interaction_matrix(frame, item_ids=pd.Index(["i0", "i1"]).to_numpy())
    assert matrix.user_ids.tolist() == ["u1", "u2"]
    assert matrix.matrix.toarray().tolist() == [[0, 2], [0, 1]]
