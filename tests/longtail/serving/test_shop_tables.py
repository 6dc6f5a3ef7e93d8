import numpy as np
import pandas as pd

from longtail.recommend.serving import LIST_COLUMNS, serve_recommendations
from longtail.recommend.text import display_titles
from longtail.serving.shop_tables import shop_tables
from tests.longtail.serving.shops import item_ids, small_shop


def test_facts_are_counted_from_the_data():
    items = small_shop().items.set_index("item_id")
    ids = item_ids()
    assert items.loc[ids[4], "buyers"] == 4  # every user bought it
    assert not items.loc[ids[4], "is_tail"]
    assert items.loc[ids[11], "buyers"] == 0 and items.loc[ids[11], "is_tail"]
    assert items.loc[ids[2], "praise"] == "scent, value" and items.loc[ids[2], "n_reviews"] == 5
    assert items.loc[ids[3], "praise"] == "" and items.loc[ids[3], "n_reviews"] == 0


def test_items_seen_only_in_events_are_served_and_prices_fall_back_to_sales():
    interactions = pd.DataFrame({"user_id": ["a", "a", "b"], "item_id": ["X", "Y", "Y"], "price": [2.0, 3.0, 5.0]})
    catalogue = pd.DataFrame({"item_id": ["X"], "title": ["A THING"], "price": [None]})
    tables = shop_tables(interactions, catalogue, pd.DataFrame(columns=LIST_COLUMNS))
    items = tables.items.set_index("item_id")
    assert list(items.index) == ["X", "Y"]
    assert items.loc["Y", "price"] == 4.0 and items.loc["X", "price"] == 2.0
    assert pd.isna(items.loc["Y", "title"])
    assert tables.vectors.shape == (2, 0)
    assert sorted(map(tuple, tables.history[["user_id", "item_id", "times"]].to_numpy())) == [
        ("a", "X", 1), ("a", "Y", 1), ("b", "Y", 1)
    ]  # fmt: skip


def test_the_shop_serves_in_the_currency_most_of_its_catalogue_names():
    assert small_shop().settings["currency"] == "GBP"
    catalogue = pd.DataFrame({"item_id": ["X", "Y", "Z"], "price": [1.0, 2.0, None], "currency": ["USD", "USD", None]})
    no_lists = pd.DataFrame(columns=LIST_COLUMNS)
    assert shop_tables(pd.DataFrame(columns=["user_id", "item_id"]), catalogue, no_lists).settings["currency"] == "USD"
    unnamed = catalogue.drop(columns="currency")
    assert shop_tables(pd.DataFrame(columns=["user_id", "item_id"]), unnamed, no_lists).settings["currency"] is None


def test_vectors_follow_the_items_rows():
    shop = small_shop()
    np.testing.assert_allclose(np.linalg.norm(shop.vectors, axis=1), 1.0, rtol=1e-5)
    assert shop.vectors.shape == (len(shop.items), 8)


def test_items_without_a_usable_title_are_named_by_their_category_and_brand():
    titles = pd.Series(["Bird Watcher", None, 'Magazines" />', None, None], dtype="string")
    categories = pd.Series(["Mags > Nature", "Mags > Nature", "Mags > Cooking", None, None], dtype="string")
    brands = pd.Series(["Pardson", None, "Meredith", "Acme", None], dtype="string")
    shown = display_titles(titles, categories, brands)
    assert shown.tolist()[:4] == ["Bird Watcher", "Nature", "Cooking (Meredith)", "Acme"]
    assert pd.isna(shown.iloc[4])


def test_a_review_only_shop_names_its_items_and_clusters_by_what_reviews_mention():
    ids = [f"B{n:03d}" for n in range(23)] + ["BXQZLV"]  # an id with letters a cluster name could take
    interactions = pd.DataFrame({"user_id": ["u"] * len(ids), "item_id": ids})
    # Two kinds of items, as their vectors and their reviews say; the last item's reviews share no phrase.
    mentions = pd.Series(["hair, shampoo"] * 12 + ["soap, lather"] * 11, index=ids[:-1], dtype="string")
    vectors = np.zeros((len(ids), 4), np.float32)
    vectors[:12, 0] = vectors[12:, 1] = 1.0
    vectors[np.arange(len(ids)), 2] = np.linspace(0.0, 0.1, len(ids))  # apart, so that clusters can split a kind
    tables = shop_tables(
        interactions,
        pd.DataFrame(),
        pd.DataFrame(columns=LIST_COLUMNS),
        item_vectors=(np.array(ids), vectors),
        review_mentions=mentions,
    )
    items = tables.items.set_index("item_id")
    assert items.loc["B000", "title"] == "B000 (reviews mention hair, shampoo)"
    assert items.loc["B012", "title"] == "B012 (reviews mention soap, lather)"
    assert pd.isna(items.loc["BXQZLV", "title"])
    # No cluster is named by ids: each by the words of its items' mentions.
    for kind, words in (("B000", {"hair", "shampoo"}), ("B012", {"soap", "lather"})):
        assert set(items.loc[kind, "category"].split()) <= words
    assert "xqzlv" not in " ".join(items["category"]).lower()


def test_praise_that_only_restates_the_items_title_is_left_out():
    """ "Reviewers praise geographic, national, educational" on National Geographic: the first two are its name."""
    interactions = pd.DataFrame({"user_id": ["a", "b"], "item_id": ["N", "C"]})
    catalogue = pd.DataFrame({"item_id": ["N", "C"], "title": ["NATIONAL GEOGRAPHIC", "Country Living"]})
    sentiment = pd.DataFrame(
        {"item_id": ["N", "C"], "n_reviews": [45, 9], "positive_share": [0.9, 0.8],
         "positive_aspects": [["geographic", "national", "educational"], ["country living", "country"]]}
    )  # fmt: skip
    tables = shop_tables(interactions, catalogue, pd.DataFrame(columns=LIST_COLUMNS), item_sentiment=sentiment)
    assert tables.items.set_index("item_id")["praise"].to_dict() == {"N": "educational", "C": ""}


def test_each_item_records_its_product_and_an_item_without_one_is_its_own():
    interactions = pd.DataFrame({"user_id": ["a", "b", "c"], "item_id": ["S1", "S2", "X"]})
    products = pd.Series({"S1": "S1", "S2": "S1"})  # the same reviews under two ids
    tables = shop_tables(interactions, pd.DataFrame(columns=["item_id"]), pd.DataFrame(columns=LIST_COLUMNS),
                         products=products)  # fmt: skip
    assert tables.items.set_index("item_id")["product_id"].to_dict() == {"S1": "S1", "S2": "S1", "X": "X"}


def test_the_tail_badge_is_the_lists_tail_where_a_few_customers_reorder_often():
    # Items 0-2 are bought once by most of 40 customers; item R by two customers, 60 times each: more events than any
    # other item, but few buyers. The lists' "tail pick" reasons come from the served model's tail (buyers), and the
    # shop's tail badge must be the same set, however often the few reorder.
    rng = np.random.default_rng(0)
    rows = [(f"u{user}", f"I{item}") for user in range(40) for item in range(3) if rng.random() < 0.8]
    rows += [(f"u{user}", f"I{item}") for user in range(40) for item in range(3, 12) if rng.random() < 0.1]
    rows += [(f"u{user}", "R") for user in (0, 1) for _ in range(60)]
    interactions = pd.DataFrame(rows, columns=["user_id", "item_id"])
    interactions["ts"] = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(np.arange(len(interactions)), unit="h")
    lists = serve_recommendations(interactions, {}, list_length=12, exclude_seen=False).lists
    items = shop_tables(interactions, pd.DataFrame({"item_id": []}), lists).items.set_index("item_id")
    listed_tail = lists.drop_duplicates("item_id").set_index("item_id")["is_tail"].astype(bool)
    assert not items.loc[listed_tail.index, "is_tail"].ne(listed_tail).any()
    assert items.loc["R", "is_tail"] and listed_tail["R"]  # 120 orders, 2 buyers: tail
    assert not items.loc["I0", "is_tail"]
