import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from longtail.recommend.evaluation.split import temporal_split
from longtail.recommend.matrices import head_mask, item_popularity, tail_items

DAY0 = pd.Timestamp("2024-01-01", tz="UTC")


def events(rows):
    return pd.DataFrame(
        [(user, item, DAY0 + pd.Timedelta(days=day)) for user, item, day in rows], columns=["user_id", "item_id", "ts"]
    )


# Last event on day 41 -> cut = day 13 with test_days=28.
EVENTS = events(
    [
        ("u1", "a", 1),
        ("u1", "b", 2),
        ("u2", "b", 3),
        ("u2", "b", 4),  # counts: u2 x b = 2
        ("u4", "c", 5),
        ("u1", "a", 40),  # repeat of a train item: not a target
        ("u1", "c", 41),  # new item: target
        ("u1", "z", 41),  # unknown to train: dropped
        ("u1", "z", 41),  # same pair again: counted once
        ("u2", "b", 13),  # exactly at the cut: test side; a repeat, so u2 has no targets
        ("u3", "a", 20),  # cold user
        ("u4", "a", 30),  # new items for u4
        ("u4", "b", 30),
    ]
)


def test_global_cut_and_sides():
    split = temporal_split(EVENTS, test_days=28)
    assert split.cut == DAY0 + pd.Timedelta(days=13)
    assert (split.train["ts"] < split.cut).all() and (split.test["ts"] >= split.cut).all()
    assert len(split.train) == 5 and len(split.test) == 8


def test_matrices_and_new_item_targets():
    data = temporal_split(EVENTS, test_days=28).build_matrices()
    assert data.user_ids.tolist() == ["u1", "u2", "u4"]  # u3 has no training history
    assert data.item_ids.tolist() == ["a", "b", "c"]  # z appears only in test
    assert isinstance(data.train, sp.csr_matrix) and data.train.dtype == np.float32
    assert data.train.toarray().tolist() == [[1, 1, 0], [0, 2, 0], [0, 0, 1]]
    assert data.eval_users.tolist() == [0, 2]  # u1, u4
    assert data.test_targets.shape == (2, 3)
    assert data.test_targets.toarray().tolist() == [[0, 0, 1], [1, 1, 0]]  # u1: {c}; u4: {a, b}
    assert data.dropped_unknown_items == 1
    assert data.cold_users == 1
    assert data.users_without_targets == 1  # u2: only a repeat


def test_integer_time_column_counts_units():
    frame = pd.DataFrame(
        {
            "user_id": ["u1"] * 5 + ["u2"] * 2,
            "item_id": ["a", "b", "c", "d", "e", "a", "f"],
            "order_number": [1, 2, 3, 4, 5, 1, 4],
        }
    )
    split = temporal_split(frame, test_days=2, time_column="order_number")
    assert split.cut == 4
    assert sorted(split.test["order_number"].tolist()) == [4, 4, 5]
    data = split.build_matrices()
    assert data.item_ids.tolist() == ["a", "b", "c"]
    assert data.dropped_unknown_items == 3  # u1 d, u1 e, u2 f


@pytest.mark.parametrize(
    "frame, kwargs, message",
    [
        (EVENTS.iloc[:0], {}, "empty"),
        (EVENTS.drop(columns="item_id"), {}, "lacks column"),
        (EVENTS, {"time_column": "when"}, "lacks column"),
        (EVENTS.assign(user_id=[None] + ["u"] * 12), {}, "null values"),
        (EVENTS.assign(ts=EVENTS["ts"].astype(str)), {}, "datetime or integer"),
        (EVENTS, {"test_days": 0}, "at least 1"),
        (EVENTS, {"test_days": 60}, "training side empty"),
    ],
)
def test_bad_input_raises(frame, kwargs, message):
    with pytest.raises(ValueError, match=message):
        temporal_split(frame, **kwargs)


def test_split_at_online_retail_scale():
    rng = np.random.default_rng(0)
    n = 400_000
    frame = pd.DataFrame(
        {
            "user_id": rng.integers(0, 4000, n).astype(str),
            "item_id": rng.integers(0, 4000, n).astype(str),
            "ts": DAY0 + pd.to_timedelta(rng.integers(0, 365 * 86400, n), unit="s"),
        }
    )
    data = temporal_split(frame).build_matrices()
    assert data.train.shape == (4000, 4000)
    assert data.test_targets.shape[0] == len(data.eval_users)


def test_tail_items_on_popularity_vector():
    # total 30, 80% = 24 reached after 12 + 8 + 4
    assert tail_items(np.array([12, 8, 4, 3, 2, 1])).tolist() == [False, False, False, True, True, True]
    # from a users x items matrix, popularity is buyers, not events: one user's 40 orders of item 1 make it no more
    # popular than item 2's one order; buyers [3, 1, 1] (events [3, 40, 1]), total 5, 80% = 4 reached by items 0, 1
    train = sp.csr_matrix(np.array([[1, 40, 0], [1, 0, 0], [1, 0, 1]], dtype=np.float32))
    assert item_popularity(train).tolist() == [3, 1, 1]
    assert tail_items(train).tolist() == [False, False, True]


def test_head_ties_break_by_index_and_float_share():
    assert head_mask(np.array([5, 5, 5, 5]), 0.5).tolist() == [True, True, False, False]
    assert head_mask(np.array([3, 7]), 0.7).tolist() == [False, True]  # 0.7 * 10 is 7.000000000000001
    assert tail_items(np.array([4, 0, 1]), head_share=1.0).tolist() == [False, True, False]
    assert not head_mask(np.zeros(3), 0.8).any()
    with pytest.raises(ValueError, match="head_share"):
        tail_items(np.array([1, 2]), head_share=0.0)
