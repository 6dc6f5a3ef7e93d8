import pandas as pd

from longtail.data.interactions import interaction_matrix, load_interactions, with_order_numbers, with_orders_from_last
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
            "('a', 'u2', 'i1', timestamptz '2024-01-01'), ('a', 'u3', 'i2', null::timestamptz))"
            " t(dataset, user_id, item_id, ts)"
        )
        frame = load_interactions(connection, "a")
    assert frame[["user_id", "item_id", "source"]].values.tolist() == [["u2", "i1", "review"], ["u1", "i1", "event"]]


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
