from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from longtail.serving.assistant import ShopAssistant
from longtail.serving.catalogue import Filters, ShopIndex
from longtail.serving.lists import similar_items, top_rows, user_list
from tests.longtail.serving.shops import BOUGHT_REASON, PRICES, TITLES, fake_encode, item_ids, small_shop


@pytest.fixture(scope="module")
def index():
    return ShopIndex("shop", small_shop())


def test_masks_apply_prices_categories_and_excluded_words(index):
    assert index.mask(Filters(max_price=2.0)).sum() == sum(price <= 2.0 for price in PRICES)
    assert index.mask(Filters(min_price=5.0, max_price=12.0)).tolist() == [5.0 <= p <= 12.0 for p in PRICES]
    home = index.mask(Filters(category="home"))
    assert [TITLES[row] for row in np.flatnonzero(home)] == TITLES[:4]
    assert index.mask(Filters(category="home > candles")).sum() == 2
    assert index.mask(Filters(category="hom")).sum() == 0  # a node, not a string prefix
    # "candle" rules out "CANDLE" and "CANDLES", and "bag" every bag, but not "BAGEL"-like words
    no_candles = index.mask(Filters(exclude=("candle",)))
    assert not any("CANDLE" in TITLES[row] for row in np.flatnonzero(no_candles))
    assert no_candles.sum() == len(TITLES) - 2
    assert index.mask(Filters(exclude=("bag", "christmas"))).sum() == len(TITLES) - 3 - 2
    # A word is read in the item's own category node, not the shelves above it: "no home" rules out no light.
    assert index.mask(Filters(exclude=("home",))).all() and index.mask(Filters(exclude=("light",))).sum() == 10


def test_a_word_ruled_out_of_the_asked_for_shelf_is_read_in_titles_only():
    """ "halloween sweets, not chocolate ones" in "candy chocolate" had ruled out the whole shelf: no answer."""
    shop = small_shop()
    shop.items.loc[3, "title"] = "ROSE WAX MELTS"
    index = ShopIndex("shop", shop)
    candles = Filters(category="home > candles", exclude=("candle",))
    assert [index.titles[row] for row in np.flatnonzero(index.mask(candles))] == ["ROSE WAX MELTS"]
    # Asked for by the shelf above, "no candles" still rules the whole candles shelf out.
    assert not index.mask(Filters(category="home", exclude=("candles",)))[[2, 3]].any()


def test_an_item_without_a_price_fails_every_price_bound():
    shop = small_shop()
    shop.items.loc[0, "price"] = np.nan
    index = ShopIndex("shop", shop)
    assert not index.mask(Filters(max_price=100.0))[0]
    assert not index.mask(Filters(min_price=0.0))[0]
    assert index.mask(Filters())[0]


def test_a_known_users_cached_list_comes_first_and_filters_are_never_violated(index):
    served = user_list(index, "u1", 3)
    assert not served.cold_start
    assert [card["item_id"] for card in served.items] == [item_ids()[row] for row in (2, 8, 3)]
    assert served.items[0]["reasons"][0] == BOUGHT_REASON
    assert "reviewers praise scent, value (5 reviews)" in served.items[0]["reasons"]
    cheap = user_list(index, "u1", 6, Filters(max_price=3.0))
    assert len(cheap.items) == 4  # every unbought item at 3.00 or less, and nothing dearer to make up the six
    assert all(card["price"] <= 3.0 for card in cheap.items)
    bought = {item_ids()[row] for row in (0, 1, 7, 4)}
    assert not bought & {card["item_id"] for card in cheap.items}
    # the fill, past the cached list, is explained by the closest of the user's own purchases where it is similar
    # enough (a 12-item shop's random pairs are 10% same-kind, so its percentile floor would let almost none through)
    lenient = ShopIndex("shop", small_shop())
    lenient.similar_floor = 0.5
    cheap = user_list(lenient, "u1", 6, Filters(max_price=3.0))
    assert any("which you bought" in reason for card in cheap.items[1:] for reason in card["reasons"])


def test_the_closest_bought_item_is_named_only_when_similar_enough():
    index = ShopIndex("shop", small_shop())
    bought = index.history["u1"]["rows"]
    alike = index.vectors[bought] @ index.vectors[5]  # JUMBO BAG VINTAGE LEAF; u1 bought JUMBO BAG RED RETROSPOT
    assert index.closest_bought("u1", 5) == (bought[np.argmax(alike)] if alike.max() >= index.similar_floor else None)
    index.similar_floor = float(alike.max())
    assert index.titles[index.closest_bought("u1", 5)] == "JUMBO BAG RED RETROSPOT"
    index.similar_floor = float(alike.max()) + 1e-6
    assert index.closest_bought("u1", 5) is None
    index.similar_floor = 1.01  # above any cosine: the fill past u1's 4 cached items names none of u1's items
    fill = user_list(index, "u1", 12).items[4:]
    assert fill and all("which you bought" not in reason for card in fill for reason in card["reasons"])


def test_exclude_seen_false_lets_bought_items_back(index):
    everything = user_list(index, "u1", 12, exclude_seen=False)
    assert {item_ids()[0], item_ids()[4]} <= {card["item_id"] for card in everything.items}


def test_an_unknown_user_gets_the_new_user_list_then_the_most_bought(index):
    served = user_list(index, "someone new", 5)
    assert served.cold_start
    ids = [card["item_id"] for card in served.items]
    assert ids[:3] == [item_ids()[row] for row in (4, 7, 0)]
    assert len(set(ids)) == 5
    assert user_list(index, "someone new", 5, Filters(category="bags")).items[0]["item_id"] == item_ids()[4]


def test_similar_items_are_the_stored_neighbours_then_the_nearest_vectors(index):
    similar = similar_items(index, item_ids()[0], 4)
    assert [card["item_id"] for card in similar[:2]] == [item_ids()[1], item_ids()[3]]
    assert len(similar) == 4 and item_ids()[0] not in {card["item_id"] for card in similar}


def test_a_similar_card_claims_only_the_links_the_data_shows():
    """I00's stored neighbours are I01 (the same kind, one co-buyer) and I03 (another kind); three more customers
    bought I00 with I03. Each card says "similar" only at the floor, and "customers who bought" only from three."""
    ids = item_ids()
    shop = small_shop()
    more = pd.DataFrame({"user_id": ["u5", "u5", "u6", "u6", "u7", "u7"], "item_id": [ids[0], ids[3]] * 3, "times": 1})
    index = ShopIndex("shop", replace(shop, history=pd.concat([shop.history, more], ignore_index=True)))
    assert index.co_buyers(0, np.array([1, 3, 4, 11])).tolist() == [1, 3, 1, 0]
    alike = index.vectors @ index.vectors[0]
    index.similar_floor = float(alike[1])
    assert alike[3] < index.similar_floor
    cards = {card["item_id"]: card["reasons"] for card in similar_items(index, ids[0], 6)}
    assert cards[ids[1]][0] == f"similar to {TITLES[0]}"
    assert cards[ids[3]][0] == f"3 customers who bought {TITLES[0]} also bought this"
    for item_id, reasons in cards.items():
        row = index.position[item_id]
        assert (f"similar to {TITLES[0]}" in reasons) == (alike[row] >= index.similar_floor)
        assert any("customers who bought" in reason for reason in reasons) == (item_id == ids[3])
    # past the stored neighbours, the nearest vectors below the floor and bought with I00 by nobody claim no link
    unlinked = [reasons for item_id, reasons in cards.items() if item_id not in (ids[1], ids[3])]
    assert len(unlinked) == 4 and not any(TITLES[0] in reason for reasons in unlinked for reason in reasons)


def test_top_rows_orders_by_score_then_row_and_skips_minus_infinity():
    scores = np.array([0.5, -np.inf, 0.9, 0.5, 0.1])
    assert top_rows(scores, 3).tolist() == [2, 0, 3]
    assert top_rows(scores, 10).tolist() == [2, 0, 3, 4]


def test_top_rows_with_keys_keep_the_best_row_of_each_key_and_look_deeper_when_needed():
    scores = np.array([5.0, 4.0, 3.0, 2.0, 1.0, 0.0])
    assert top_rows(scores, 3, np.array([0, 0, 1, 1, 2, 3])).tolist() == [0, 2, 4]
    # The best eight rows share one key: the second key's row lies past the first look (4 * k rows).
    many = np.arange(10, 0, -1, dtype=np.float64)
    assert top_rows(many, 2, np.array([0] * 8 + [1, 2])).tolist() == [0, 8]
    assert top_rows(many, 5, np.array([0] * 8 + [1, 2])).tolist() == [0, 8, 9]


@pytest.fixture(scope="module", params=["title and price", "product"])
def twins(request):
    """The shop with item 1 a twin of item 0: the same title at the same price, as Online Retail's colour variants
    under one description are; or the same product (``product_id``), as Amazon's ids of one shoe in other sizes are,
    whatever their titles say."""
    shop = small_shop()
    if request.param == "product":
        shop.items.loc[1, "product_id"] = shop.items.loc[0, "item_id"]
    else:
        shop.items.loc[1, ["title", "price"]] = [TITLES[0], PRICES[0]]
    return ShopIndex("shop", shop)


def test_cards_that_read_the_same_are_listed_once(twins):
    ids = item_ids()
    assert twins.card_keys[0] == twins.card_keys[1] and len(set(twins.card_keys)) == len(TITLES) - 1
    # Item 1 is item 0's first stored neighbour: as a similar item it would show the item itself again.
    similar = similar_items(twins, ids[0], 4)
    assert ids[1] not in {card["item_id"] for card in similar} and len(similar) == 4
    for user in ("someone new", "u1"):
        served = user_list(twins, user, len(TITLES))
        seen_keys = {twins.card_keys[row] for row in twins.history.get(user, {"rows": ()})["rows"]}
        shown_keys = [twins.card_keys[twins.position[card["item_id"]]] for card in served.items]
        assert len(shown_keys) == len(set(shown_keys)) == len(set(twins.card_keys) - seen_keys)


def test_a_twin_of_a_bought_item_counts_as_seen():
    """u1 bought item 0 and not item 2, which reads the same (and tops u1's cached list): it is not offered to them
    as something new, in lists or in chat."""
    shop = small_shop()
    shop.items.loc[2, ["title", "price"]] = [TITLES[0], PRICES[0]]
    index, ids = ShopIndex("shop", shop), item_ids()
    assert 0 in index.history["u1"]["rows"] and 2 not in index.history["u1"]["rows"]
    assert index.seen("u1")[[0, 2]].all() and not index.seen("someone new").any()
    assert ids[2] not in {card["item_id"] for card in user_list(index, "u1", len(TITLES)).items}
    assert ids[2] in {card["item_id"] for card in user_list(index, "u1", len(TITLES), exclude_seen=False).items}
    answer = ShopAssistant(index, fake_encode).answer("something nice", "u1", k=len(TITLES))
    assert answer.items and not {ids[0], ids[2]} & {card["item_id"] for card in answer.items}


def test_a_diet_rules_out_the_titles_that_break_it():
    shop = small_shop()
    titles = [*TITLES[:8], "TEA CUP VEGAN CHICKEN DESIGN", "GLASS JAR ANCHOVIES", *TITLES[10:]]
    index = ShopIndex("shop", replace(shop, items=shop.items.assign(title=titles)))
    vegetarian = Filters(diet=("vegetarian",))
    allowed = index.mask(vegetarian)
    # Anchovies break the diet; a title that states it ("VEGAN CHICKEN") keeps it.
    assert np.flatnonzero(~allowed).tolist() == [9]
    assert vegetarian.describe() == ["vegetarian only"]
