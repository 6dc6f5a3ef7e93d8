import json

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from longtail.recommend.profiles import (
    PROFILE_COLUMNS,
    build_user_profiles,
    profile_users,
    shrunk_tail_appetite,
    tail_appetite,
)


def utc(text):
    return pd.Timestamp(text, tz="UTC")


@pytest.fixture
def events():
    """u1: 4 events on 3 items over 3 days; u0 and u2: one event each; u3: two items on one day."""
    rows = [
        ("u1", "i1", "2024-01-01 10:00", 2.0),
        ("u1", "i1", "2024-01-01 18:00", 4.0),
        ("u1", "i2", "2024-01-03 09:00", None),  # no paid price: takes i2's catalogue price, 10
        ("u1", "i3", "2024-01-05 12:00", 1.0),
        ("u2", "i4", "2024-01-10 00:00", None),  # i4 has no catalogue price either
        ("u0", "i5", "2024-01-02 06:00", 30.0),
        ("u3", "i6", "2024-01-04 12:00", 8.0),
        ("u3", "i2", "2024-01-04 08:00", None),
    ]
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "ts", "price"])
    frame["user_id"] = frame["user_id"].astype("string")
    frame["item_id"] = frame["item_id"].astype("string")
    frame["ts"] = pd.to_datetime(frame["ts"]).dt.tz_localize("UTC")
    frame["event_type"] = "purchase"
    frame["quantity"] = 1.0
    return frame


@pytest.fixture
def items():
    """Catalogue prices 1, 3, 10, 20, 30 (and one unknown): tertiles 5.33 and 16.67."""
    return pd.DataFrame(
        {
            "item_id": pd.Series(["i1", "i2", "i3", "i4", "i5", "i6"], dtype="string"),
            "category": pd.Series(["Toys > Cars", "Books", "Toys", None, "Books > Kids", "Garden"], dtype="string"),
            "price": [3.0, 10.0, 1.0, None, 30.0, 20.0],
        }
    )


VECTORS = (
    np.array(["i1", "i2", "i3", "i5"]),
    np.array([[3.0, 4.0], [0.0, 2.0], [0.0, 0.0], [-1.0, 0.0]]),  # i3's zero vector has no direction
)


def by_user(profiles):
    return profiles.set_index("user_id")


def test_activity_columns(events, items):
    profiles = build_user_profiles(events, items, {"i2", "i4"})
    assert list(profiles.columns) == PROFILE_COLUMNS
    assert profiles["user_id"].tolist() == ["u0", "u1", "u2", "u3"]
    p = by_user(profiles)
    assert p["n_events"].to_dict() == {"u0": 1, "u1": 4, "u2": 1, "u3": 2}
    assert p["n_items"].to_dict() == {"u0": 1, "u1": 3, "u2": 1, "u3": 2}
    assert p.loc["u1", "first_ts"] == utc("2024-01-01 10:00") and p.loc["u1", "last_ts"] == utc("2024-01-05 12:00")
    assert p.loc["u3", "first_ts"] == utc("2024-01-04 08:00")
    assert p["active_days"].to_dict() == {"u0": 1, "u1": 3, "u2": 1, "u3": 1}
    # as_of defaults to the latest event, 2024-01-10 00:00.
    assert p["recency_days"].to_dict() == {"u0": 7.75, "u1": 4.5, "u2": 0.0, "u3": 5.5}


def test_recency_from_an_explicit_as_of(events, items):
    p = by_user(build_user_profiles(events, items, set(), as_of=utc("2024-01-11")))
    assert p["recency_days"].to_dict() == {"u0": 8.75, "u1": 5.5, "u2": 1.0, "u3": 6.5}


def test_category_columns(events, items):
    p = by_user(build_user_profiles(events, items, set()))
    # u1: i1 twice and i3 are Toys, i2 is Books (events weigh, not distinct items).
    assert p.loc["u1", "top_categories"] == "Toys (0.75); Books (0.25)"
    assert json.loads(p.loc["u1", "category_affinity"]) == {"Toys": 0.75, "Books": 0.25}
    assert p.loc["u0", "top_categories"] == "Books (1.00)"  # top level of "Books > Kids"
    assert p.loc["u3", "top_categories"] == "Books (0.50); Garden (0.50)"  # ties by name
    assert list(json.loads(p.loc["u3", "category_affinity"])) == ["Books", "Garden"]
    assert pd.isna(p.loc["u2", "top_categories"]) and pd.isna(p.loc["u2", "category_affinity"])
    assert p["top_categories"].dtype == "string" and p["category_affinity"].dtype == "string"
    top_one = by_user(build_user_profiles(events, items, set(), top_categories=1))
    assert top_one.loc["u1", "top_categories"] == "Toys (0.75)"
    assert json.loads(top_one.loc["u1", "category_affinity"]) == {"Toys": 0.75, "Books": 0.25}


def test_category_columns_are_null_without_any_category(events, items):
    profiles = build_user_profiles(events, items.assign(category=pd.Series([None] * 6, dtype="string")), set())
    assert profiles["top_categories"].isna().all() and profiles["category_affinity"].isna().all()
    assert profiles["top_categories"].dtype == "string"


def test_median_price_and_price_band(events, items):
    p = by_user(build_user_profiles(events, items, set()))
    # u1 pays 2, 4, 10 (catalogue), 1 -> median 3; u3 pays 8 and 10 (catalogue) -> 9.
    assert p["median_price"].to_dict() == {"u0": 30.0, "u1": 3.0, "u2": pytest.approx(np.nan, nan_ok=True), "u3": 9.0}
    assert p.loc["u1", "price_band"] == "low" and p.loc["u3", "price_band"] == "mid"
    assert p.loc["u0", "price_band"] == "high" and pd.isna(p.loc["u2", "price_band"])


def test_price_band_is_null_without_catalogue_prices(events, items):
    profiles = build_user_profiles(events, items.assign(price=np.nan), set())
    assert profiles["price_band"].isna().all()
    assert by_user(profiles).loc["u1", "median_price"] == 2.0  # 2, 4, 1: the paid prices still count


@pytest.mark.parametrize("tail", [{"i2", "i4"}, np.array(["i2", "i4"]), pd.Series(["i4", "i2"], dtype="string")])
def test_tail_share_of_distinct_items(events, items, tail):
    p = by_user(build_user_profiles(events, items, tail))
    assert p["tail_share"].to_dict() == {"u0": 0.0, "u1": pytest.approx(1 / 3), "u2": 1.0, "u3": 0.5}


def test_taste_vector_is_the_renormalised_mean_of_unit_item_vectors(events, items):
    p = by_user(build_user_profiles(events, items, set(), item_vectors=VECTORS))
    # u1: unit(i1) = (0.6, 0.8), unit(i2) = (0, 1); i3's zero vector is skipped. Mean (0.3, 0.9), re-normalised.
    expected = np.array([0.3, 0.9]) / np.hypot(0.3, 0.9)
    np.testing.assert_allclose(p.loc["u1", "taste_vector"], expected, rtol=1e-6)
    assert p.loc["u1", "taste_vector"].dtype == np.float32
    np.testing.assert_array_equal(p.loc["u0", "taste_vector"], [-1.0, 0.0])
    np.testing.assert_array_equal(p.loc["u3", "taste_vector"], [0.0, 1.0])  # i6 has no vector
    assert p.loc["u2", "taste_vector"] is None
    assert build_user_profiles(events, items, set())["taste_vector"].isna().all()


def test_taste_vector_is_null_when_item_vectors_cancel_out(events, items):
    opposite = (np.array(["i1", "i2", "i3"]), np.array([[1.0, 0.0], [5.0, 5.0], [-1.0, 0.0]]))
    one_user = events[events["user_id"] == "u1"]
    with_i2 = build_user_profiles(one_user, items, set(), item_vectors=opposite)
    np.testing.assert_allclose(with_i2.loc[0, "taste_vector"], [np.sqrt(0.5), np.sqrt(0.5)], rtol=1e-6)
    without_i2 = build_user_profiles(one_user[one_user["item_id"] != "i2"], items, set(), item_vectors=opposite)
    assert without_i2.loc[0, "taste_vector"] is None


def test_missing_columns_raise_clearly(events, items):
    with pytest.raises(ValueError, match=r"events lacks column\(s\) \['ts'\]"):
        build_user_profiles(events.drop(columns="ts"), items, set())
    with pytest.raises(ValueError, match=r"items lacks column\(s\) \['category'\]"):
        build_user_profiles(events, items.drop(columns="category"), set())


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda e, i: (e.head(0), i, {}), "empty"),
        (lambda e, i: (e.assign(ts=e["ts"].astype(str)), i, {}), "datetime64"),
        (lambda e, i: (e.assign(user_id=e["user_id"].where(e.index > 0)), i, {}), "null"),
        (lambda e, i: (e, pd.concat([i, i.head(1)]), {}), "one row per item_id"),
        (lambda e, i: (e, i, {"as_of": utc("2024-01-09")}), "precedes"),
        (lambda e, i: (e, i, {"as_of": pd.Timestamp("2024-01-11")}), "timezone"),
        (lambda e, i: (e, i, {"top_categories": 0}), "top_categories"),
        (lambda e, i: (e, i, {"item_vectors": (np.array(["i1"]), np.ones((2, 3)))}), "item_vectors"),
        (lambda e, i: (e, i, {"item_vectors": (np.array(["i1", "i1"]), np.ones((2, 3)))}), "unique"),
    ],
)
def test_bad_inputs_raise(events, items, change, message):
    bad_events, bad_items, kwargs = change(events, items)
    with pytest.raises(ValueError, match=message):
        build_user_profiles(bad_events, bad_items, set(), **kwargs)


def test_a_bool_mask_is_not_taken_for_tail_ids(events, items):
    with pytest.raises(ValueError, match="bool mask"):
        build_user_profiles(events, items, np.array([True, False, True]))


@pytest.fixture
def matrix():
    """Users with items [0, 1], [2, 3] (a count of 2), none, and [0, 3]; items 2 and 3 are tail."""
    X = sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 0, 2, 1], [0, 0, 0, 0], [1, 0, 0, 1]], dtype=np.float32))
    return X, np.array([False, False, True, True])


def test_tail_appetite(matrix):
    X, tail = matrix
    appetite = tail_appetite(X, tail)
    assert appetite.dtype == np.float64
    np.testing.assert_array_equal(appetite, [0.0, 1.0, 0.0, 0.5])
    # Counts are binarised and a stored zero is no interaction.
    explicit_zero = sp.csr_matrix((np.array([0.0, 3.0, 2.0]), np.array([0, 1, 2]), np.array([0, 3])), shape=(1, 4))
    np.testing.assert_array_equal(tail_appetite(explicit_zero, tail), [0.5])


def test_shrunk_tail_appetite_moves_toward_the_global_share(matrix):
    X, tail = matrix
    # Global share: 3 tail items of 6 user-item pairs = 0.5; m = 2 pseudo-items at that share.
    np.testing.assert_allclose(shrunk_tail_appetite(X, tail, prior_strength=2.0), [0.25, 0.75, 0.5, 0.5])
    np.testing.assert_allclose(shrunk_tail_appetite(X, tail, prior_strength=1e9), 0.5)
    np.testing.assert_allclose(
        shrunk_tail_appetite(X, tail, prior_strength=1e-9)[[0, 1, 3]], [0.0, 1.0, 0.5], atol=1e-8
    )


def test_tail_appetite_inputs_are_checked(matrix):
    X, tail = matrix
    with pytest.raises(ValueError, match="bool mask"):
        tail_appetite(X, tail[:3])
    with pytest.raises(ValueError, match="bool mask"):
        tail_appetite(X, tail.astype(int))
    with pytest.raises(ValueError, match="prior_strength"):
        shrunk_tail_appetite(X, tail, prior_strength=0.0)
    with pytest.raises(ValueError, match="scipy.sparse"):
        tail_appetite(X.toarray(), tail)
    with pytest.raises(ValueError, match="non-negative"):
        tail_appetite(-X, tail)


def test_profile_users_takes_the_tail_from_the_events_themselves(events, items):
    # i1 and i2 have two of the 8 events each, the others one: 80% takes five items (ties by index), not i6.
    profiles = by_user(profile_users(events, items, VECTORS))
    expected = build_user_profiles(events, items, ["i6"], item_vectors=VECTORS).set_index("user_id")
    pd.testing.assert_frame_equal(profiles.drop(columns="taste_vector"), expected.drop(columns="taste_vector"))
    assert profiles.loc["u1", "tail_share"] == 0.0 and profiles.loc["u3", "tail_share"] == 0.5
    np.testing.assert_allclose(profiles.loc["u1", "taste_vector"], expected.loc["u1", "taste_vector"])


def test_profile_users_without_catalogue_or_vectors(events, items):
    profiles = by_user(profile_users(events, items.iloc[:0], (np.array([]), np.zeros((0, 0)))))
    assert profiles["top_categories"].isna().all() and profiles["taste_vector"].isna().all()
    assert profiles.loc["u1", "median_price"] == 2.0  # only the prices paid: 1, 2, 4
