import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from longtail.recommend.cards import card_keys, item_prices, one_per_card, review_products


def test_titles_that_differ_by_an_accent_or_a_mark_read_the_same():
    # Magazine's Bon Appétit is also titled without its accent, and with the é lost; Instacart's marks come and go.
    titles = ["Bon Appetit", "Bon Appétit", "Bon  apptit", "Phish Food® Ice Cream", "Phish Food Ice Cream",
              "Phish Food Ice Cream", "Café", "日本", "中国"]  # fmt: skip
    prices = np.array([np.nan, np.nan, np.nan, 4.99, 4.99, 5.49, 3.0, 1.0, 1.0])
    keys = card_keys(titles, prices)
    assert keys[0] == keys[1] == keys[2] and keys[3] == keys[4]
    assert len(set(keys)) == 6  # another price, another title, and titles with nothing in ASCII stay apart


def test_a_list_shows_each_card_once_and_the_next_candidates_take_the_places_left():
    # Items 0 and 1 read as one card, as do 2 and 3; item 4 is a card of its own.
    cards = np.array([0, 0, 1, 1, 2, 3])
    recommended = np.array([[0, 1, 2, 3, 4, 5], [3, 4, 2, 0, -1, -1]])
    scores = np.array([[6, 5, 4, 3, 2, 1], [6, 5, 4, 3, np.nan, np.nan]], dtype=np.float32)
    items, kept_scores, dropped = one_per_card(recommended, scores, cards, 4)
    assert items.tolist() == [[0, 2, 4, 5], [3, 4, 0, -1]]
    np.testing.assert_array_equal(kept_scores, np.array([[6, 4, 2, 1], [6, 5, 3, np.nan]], dtype=np.float32))
    # Of each user's first four candidates, two and one repeated a card listed above.
    assert dropped.tolist() == [2, 1]


def test_a_card_the_user_has_is_left_out_of_their_list():
    cards = np.array([0, 0, 1, 2])
    seen = sp.csr_matrix(np.array([[1, 0, 0, 0], [0, 0, 0, 0]]))  # user 0 has item 0; item 1 reads the same
    recommended = np.array([[1, 2, 3], [1, 2, 3]])
    items, _, dropped = one_per_card(recommended, np.ones((2, 3), np.float32), cards, 2, seen=seen)
    assert items.tolist() == [[2, 3], [1, 2]] and dropped.tolist() == [1, 0]


def test_an_item_shows_its_catalogue_price_else_the_median_it_sold_at():
    catalogue = pd.DataFrame({"price": [2.5, None, 0.0]}, index=pd.Index(["a", "b", "c"], name="item_id"))
    sold = pd.DataFrame({"item_id": ["a", "b", "b", "b", "c"], "price": [9.0, 1.0, 3.0, 2.0, None]})
    prices = item_prices(catalogue, sold, pd.Index(["a", "b", "c", "d"]))
    np.testing.assert_array_equal(prices, [2.5, 2.0, np.nan, np.nan])  # a price of 0 is no price


def _reviews(rows):
    return pd.DataFrame(rows, columns=["item_id", "review"])


def test_ids_that_carry_the_same_reviews_are_one_product():
    # Shoes "s1" and "s2" carry the same three reviews; "s3" holds two of them and one of its own (2 of 4 together);
    # "x" shares one review with "s1", too few to join them.
    rows = [(item, review) for item in ("s1", "s2") for review in ("fits", "small", "great")]
    rows += [("s3", "fits"), ("s3", "small"), ("s3", "comfy"), ("x", "great"), ("x", "nice"), ("x", "fine")]
    assert review_products(_reviews(rows)).to_dict() == {"s1": "s1", "s2": "s1", "s3": "s1", "x": "x"}


def test_a_page_that_gathers_the_reviews_of_several_items_joins_the_one_that_makes_most_of_them():
    # "page" carries the six reviews of "shampoo" and the two of "lotion": 6 of 8 together, and 2 of 8.
    shampoo = [("shampoo", f"review {n}") for n in range(6)]
    lotion = [("lotion", f"other {n}") for n in range(2)]
    page = [("page", review) for _, review in shampoo + lotion]
    products = review_products(_reviews(shampoo + lotion + page))
    assert products.to_dict() == {"lotion": "lotion", "page": "page", "shampoo": "page"}


def test_reviews_need_their_columns():
    with pytest.raises(ValueError, match=r"reviews lacks column\(s\) \['review'\]"):
        review_products(pd.DataFrame({"item_id": ["a"], "text": ["t"]}))


def test_items_of_one_product_are_one_card_whatever_their_titles():
    keys = card_keys(["Shoe (red)", "Shoe (blue)", "Soap"], np.array([10.0, 12.0, 3.0]), ["s1", "s1", "soap"])
    assert keys[0] == keys[1] != keys[2]
