import json

import numpy as np
import pandas as pd
import pytest

from longtail.data.interactions import interaction_matrix
from longtail.recommend.neighbours import neighbour_table, neighbours_to_csr
from longtail.recommend.serving import (
    COLD_START_USER,
    LIST_COLUMNS,
    build_served_hybrid,
    serve_recommendations,
    served_recency,
    served_settings,
)
from tests.fixtures import themed_shop

CHOSEN = {
    "l2": 100.0,
    "recent_weight": 0.3,
    "popularity_exponent": 0.25,
    "tail_weight": 0.5,
    "content_weight": 0.1,
    "sentiment_weight": 0.0,
    "half_life": 14.0,
}


@pytest.fixture(scope="module")
def shop():
    return themed_shop()


def test_served_settings_are_the_reports_tuned_l2_hybrid_settings_and_half_life_with_its_unit():
    hybrid = {name: CHOSEN[name] for name in CHOSEN if name not in ("l2", "half_life")}
    als = {"factors": 64, "regularization": 10.0, "alpha": 1.0}
    report = {
        "tuning": {
            "ease_l2": 100.0,
            "hybrid": hybrid,
            "half_life": 14.0,
            "ease_validation": {},
            "baselines": {"ALS": {"chosen": als}},
        },
        "split": {"time_column": "ts"},
    }
    assert served_settings(report) == CHOSEN | {"als_settings": als, "time_column": "ts"}
    report["split"]["time_column"] = "order_from_last"
    assert served_settings(report)["time_column"] == "order_from_last"


def test_a_half_life_chosen_in_orders_is_served_in_orders_not_days():
    # Instacart-like: one user's orders are weeks apart, so a half-life of 2 means very different things in days
    # and in orders.
    events = pd.DataFrame(
        {
            "user_id": ["u"] * 4,
            "item_id": ["a", "b", "c", "d"],
            "order_id": ["o1", "o2", "o3", "o4"],
            "ts": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"], utc=True),
        }
    )
    matrix = interaction_matrix(events)
    in_orders = served_recency(events, matrix, 2.0, "order_from_last").toarray().ravel()
    # Orders 1..4 as of order 5: ages 4, 3, 2, 1 orders.
    assert in_orders == pytest.approx(0.5 ** (np.array([4, 3, 2, 1]) / 2.0))
    # Another user with one order: their latest order is one order old too, whatever the other user's count.
    with_newcomer = pd.concat([events, events.iloc[[0]].assign(user_id="v", order_id="v1")], ignore_index=True)
    newcomer = served_recency(with_newcomer, interaction_matrix(with_newcomer), 2.0, "order_from_last").toarray()
    assert newcomer[1, 0] == pytest.approx(0.5 ** (1 / 2.0))
    in_days = served_recency(events, matrix, 2.0, "ts").toarray().ravel()
    assert in_days[-1] == 1.0 and in_days[0] < 1e-6  # 91 days old at a 2-day half-life
    served = build_served_hybrid(events, {"half_life": 2.0, "time_column": "order_from_last"})
    assert "time_column" not in served.settings
    with pytest.raises(ValueError, match="time_column"):
        served_recency(events, matrix, 2.0, "week")


def test_the_served_hybrid_uses_the_settings_and_leaves_content_out_without_vectors(shop):
    events, _, vectors = shop
    served = build_served_hybrid(events, CHOSEN, item_vectors=vectors)
    assert served.model.l2 == 100.0 and served.model.tail_weight == 0.5 and served.model.content_weight == 0.1
    assert served.model.content_similarity_ is not None
    assert served.settings == {name: value for name, value in CHOSEN.items() if name != "half_life"}
    assert len(served.matrix.user_ids) == events["user_id"].nunique() == served.model.n_users_
    # Recency halves every 14 days before the latest event.
    assert served.model.history_.max() == pytest.approx(1.0) and served.model.history_.data.min() < 0.01

    # The tuned ALS is fitted, with its settings, only where its weight is above 0.
    assert served.model.als_ is None
    with_als = build_served_hybrid(events, CHOSEN | {"als_weight": 0.5, "als_settings": {"factors": 8}})
    assert with_als.model.als_.factors == 8 and with_als.model.als_.n_users_ == served.model.n_users_
    # A binary history chosen on validation is the served scoring input, and the reasons' anchors come from it.
    binary = build_served_hybrid(events, CHOSEN | {"history_recency": 0.0})
    assert binary.model.history_recency == 0.0 and set(np.unique(binary.model.history_.data)) == {1.0}

    plain = build_served_hybrid(events, CHOSEN)
    assert plain.model.content_weight == 0.0 and plain.settings["content_weight"] == 0.0
    defaults = build_served_hybrid(events, {})
    assert defaults.model.recent_weight == 0.3 and defaults.settings == {"content_weight": 0.0}


def test_review_quality_reaches_the_served_hybrid(shop):
    events, _, _ = shop
    reviews = pd.DataFrame({"item_id": ["i1", "i1", "i2"], "score": [1.0, 1.0, -1.0], "ts": events["ts"].min()})
    served = build_served_hybrid(events, CHOSEN | {"sentiment_weight": 0.5}, review_scores=reviews)
    quality = dict(zip(served.matrix.item_ids, served.model.quality_))
    assert quality["i1"] > 0 > quality["i2"] and quality["i3"] == 0


def test_every_user_gets_a_full_unseen_list_with_reasons_and_a_new_user_gets_one_too(shop):
    events, items, vectors = shop
    served = serve_recommendations(events, CHOSEN, item_vectors=vectors, items=items, list_length=10)
    lists = served.lists
    assert list(lists.columns) == LIST_COLUMNS
    known = lists[lists["user_id"] != COLD_START_USER]
    assert known["user_id"].nunique() == events["user_id"].nunique()
    assert (known.groupby("user_id")["rank"].agg(["min", "max", "size"]).to_numpy() == [1, 10, 10]).all()
    assert known.merge(events[["user_id", "item_id"]].drop_duplicates()).empty
    assert set(known["reason_kind"]) <= {"bought", "similar", "popular"} and known["score"].notna().all()
    bought = known[known["reason_kind"] == "bought"]
    assert len(bought) and bought["anchor_item_id"].notna().all()
    titles = items.set_index("item_id")["title"]
    assert (known["title"] == known["item_id"].map(titles)).all()
    first = bought.iloc[0]
    assert titles[first["anchor_item_id"]] in first["reason"]
    new_user = lists[lists["user_id"] == COLD_START_USER]
    assert new_user["rank"].tolist() == list(range(1, 11)) and new_user["score"].isna().all()
    assert set(new_user["reason_kind"]) == {"popular"}

    summary = served.summary
    assert summary["users"] == events["user_id"].nunique() and summary["rows"] == len(lists)
    assert summary["catalogue"] == events["item_id"].nunique()
    assert summary["tail_share_of_list_items"] == pytest.approx(known["is_tail"].mean(), abs=1e-4)
    assert json.loads(summary["settings"])["tail_weight"] == 0.5


def test_stored_neighbours_explain_what_no_co_purchase_does_where_the_items_are_alike(shop):
    events, items, (ids, _) = shop
    n_items = len(ids)
    # Items 2j and 2j + 1 are twins, all others far apart; each item's only neighbour is the next one, so half the
    # neighbour pairs are twins and half are neighbours only because every item has one.
    rng = np.random.default_rng(0)
    vectors = np.repeat(rng.normal(size=(n_items // 2 + 1, 64)), 2, axis=0)[:n_items]
    vectors = vectors + 0.01 * rng.normal(size=vectors.shape)
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    indices = ((np.arange(n_items) + 1) % n_items)[:, None]
    neighbours = neighbour_table(ids, neighbours_to_csr(indices, np.ones((n_items, 1)), n_items), "blended")
    served = serve_recommendations(
        events, CHOSEN, items=items, item_vectors=(ids, vectors), neighbours=neighbours, list_length=20
    )
    similar = served.lists[served.lists["reason_kind"] == "similar"]
    assert len(similar)
    anchors, targets = (similar[column].str[1:].astype(int) for column in ("anchor_item_id", "item_id"))
    # Only twins: the anchor is the user's item whose neighbour the listed one is, and its twin.
    assert ((anchors + 1 == targets) & (anchors % 2 == 0)).all()
    without = serve_recommendations(events, CHOSEN, items=items, item_vectors=(ids, vectors), list_length=20)
    assert "similar" not in set(without.lists["reason_kind"])


def test_repeat_purchase_shops_may_list_items_already_bought(shop):
    events, items, _ = shop
    lists = serve_recommendations(events, CHOSEN, items=items, exclude_seen=False).lists
    assert not lists.merge(events[["user_id", "item_id"]].drop_duplicates()).empty


def test_lists_and_reasons_name_an_item_without_a_title_by_its_category_and_brand(shop):
    events, items, vectors = shop
    untitled = items.assign(title=None, category="Gifts > Candles", brand="Acme")
    lists = serve_recommendations(events, CHOSEN, item_vectors=vectors, items=untitled, list_length=10).lists
    bought = lists[lists["reason_kind"] == "bought"]
    assert len(bought) and (lists["title"] == "Candles (Acme)").all()
    assert bought["reason"].str.contains("who bought Candles (Acme) also", regex=False).all()


def test_a_shop_without_a_catalogue_names_items_by_what_their_reviews_mention(shop):
    events, items, vectors = shop
    ids = items["item_id"].astype(str)
    mentions = pd.Series("hair, shampoo", index=ids[1:], dtype="string")  # the first item's reviews share nothing
    lists = serve_recommendations(events, CHOSEN, item_vectors=vectors, review_mentions=mentions, list_length=10).lists
    named = lists["item_id"] != ids.iloc[0]
    assert (lists.loc[named, "title"] == lists.loc[named, "item_id"] + " (reviews mention hair, shampoo)").all()
    assert lists.loc[~named, "title"].isna().all()
    bought = lists[(lists["reason_kind"] == "bought") & (lists["anchor_item_id"] != ids.iloc[0])]
    assert len(bought)
    assert all(
        f"who bought {a} (reviews mention hair, shampoo) also" in r
        for a, r in bought[["anchor_item_id", "reason"]].to_numpy()
    )


@pytest.mark.parametrize("twinned_by", ["title and price", "reviews"])
def test_a_list_shows_items_whose_cards_read_the_same_once_and_none_like_one_the_user_has(shop, twinned_by):
    events, items, vectors = shop
    # i1 is sold as another listing of i0: the same title and price (the Magazine shop sells "Glamour" under 19
    # ids), or the same reviews (Amazon repeats a product's reviews under the id of each of its sizes).
    twins, products = items.copy(), None
    if twinned_by == "reviews":
        products = pd.Series({"i0": "i0", "i1": "i0", "i2": "i2"})
    else:
        twins.loc[twins["item_id"] == "i1", ["title", "price"]] = twins.loc[
            twins["item_id"] == "i0", ["title", "price"]
        ].to_numpy()
    served = serve_recommendations(events, CHOSEN, item_vectors=vectors, items=twins, products=products, list_length=10)
    lists = served.lists
    listed = lists.groupby("user_id")["item_id"].agg(set)
    assert not any({"i0", "i1"} <= items_listed for items_listed in listed)
    owners = events.groupby("user_id")["item_id"].agg(set)
    assert not any(
        ({"i0", "i1"} & owners.get(user, set())) and ({"i0", "i1"} & items_listed)
        for user, items_listed in listed.items()
    )
    # The places left are taken by the next candidates: every list stays full.
    known = lists[lists["user_id"] != COLD_START_USER]
    assert (known.groupby("user_id").size() == 10).all()
    assert served.summary["repeated_cards_left_out"] > 0
    before = serve_recommendations(events, CHOSEN, item_vectors=vectors, items=items, list_length=10)
    assert before.summary["repeated_cards_left_out"] == 0
