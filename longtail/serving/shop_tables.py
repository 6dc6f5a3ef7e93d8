"""``shop_tables``: one shop's serving tables (``longtail.serving.snapshot.ShopTables``) from what the pipeline built.

Every item the shop knows is served: the catalogue's items, and the items seen only in events, reviews, lists or
neighbours (a shop without a catalogue file, such as a review-only one, still gets ids and facts). Facts are
counted, never generated: buyers, reviews, the positive share and the aspects reviewers praise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from longtail.data.interactions import interaction_matrix
from longtail.language.aspects import beyond_name
from longtail.recommend.cards import item_prices
from longtail.recommend.item_vectors import align_vectors
from longtail.recommend.matrices import item_popularity, tail_items
from longtail.recommend.text import display_titles, titles_from_reviews
from longtail.serving.snapshot import HISTORY_COLUMNS, ITEM_CLUSTERS, ITEM_COLUMNS, NEIGHBOUR_COLUMNS, ShopTables
from longtail.serving.vocabulary import item_clusters

# Fewer items than this are not clustered into categories: a handful of items needs no browsing aid.
MIN_ITEMS_TO_CLUSTER = 20
# Neighbours kept per item: the similar-items endpoint serves at most this many from the table.
NEIGHBOURS_PER_ITEM = 20


def shop_tables(
    interactions: pd.DataFrame,
    items: pd.DataFrame,
    lists: pd.DataFrame,
    *,
    item_vectors: tuple[np.ndarray, np.ndarray] | None = None,
    neighbours: pd.DataFrame | None = None,
    item_sentiment: pd.DataFrame | None = None,
    descriptions: pd.DataFrame | None = None,
    review_mentions: pd.Series | None = None,
    products: pd.Series | None = None,
    settings: dict | None = None,
) -> ShopTables:
    """The serving tables of one shop.

    Args:
        interactions: ``user_id, item_id, ts`` and optionally ``price`` rows (events and reviews).
        items: the catalogue, ``item_id, title, category, price, currency, description`` (any may be missing or
            null).
        lists: the cached lists, ``longtail.recommend.serving.LIST_COLUMNS``.
        item_vectors: optional ``(item_ids, vectors)``: ``(n,)`` ids and an ``(n, dim)`` matrix.
        neighbours: optional ``item_id, neighbour_id, rank, score`` rows; the best ``NEIGHBOURS_PER_ITEM`` per
            item are kept.
        item_sentiment: optional ``item_id, n_reviews, positive_share, positive_aspects`` rows.
        descriptions: optional ``item_id, text`` of descriptions the guard accepted.
        review_mentions: optional phrases an item's reviews mention most, by item id
            (``longtail.language.review_facts.mentioned_phrases``): they name the items the catalogue names nothing
            for (``titles_from_reviews``), and the clusters of a shop without categories.
        products: optional product of each item, by item id (``longtail.recommend.cards.review_products``); an
            item without one is its own product (``product_id`` is its id).
        settings: what the shop serves with (recorded in the manifest); ``currency`` is added: the ISO 4217 code
            most of the catalogue's prices are in, None where it names none.
    """
    interactions = interactions[["user_id", "item_id"] + (["price"] if "price" in interactions else [])]
    if neighbours is None or not len(neighbours):  # none computed (too few items), or no table yet
        neighbours = pd.DataFrame({"item_id": [], "neighbour_id": [], "rank": [], "score": []})
    neighbours = neighbours[neighbours["rank"] <= NEIGHBOURS_PER_ITEM][NEIGHBOUR_COLUMNS]
    catalogue = items.drop_duplicates("item_id").set_index("item_id") if len(items) else pd.DataFrame()
    ids = pd.Index(
        pd.unique(
            pd.concat(
                [
                    pd.Series(catalogue.index, dtype="string"),
                    interactions["item_id"].astype("string"),
                    lists["item_id"].astype("string"),
                    neighbours["item_id"].astype("string"),
                    neighbours["neighbour_id"].astype("string"),
                ]
            )
        ),
        name="item_id",
    )
    matrix = interaction_matrix(interactions) if len(interactions) else None
    buyers = pd.Series(0, index=ids, dtype="int64")
    is_tail = pd.Series(True, index=ids)
    if matrix is not None:
        popularity = item_popularity(matrix.matrix)  # buyers, as the served model's tail counts them
        buyers.loc[matrix.item_ids] = popularity.astype(np.int64)
        is_tail.loc[matrix.item_ids] = tail_items(popularity)
    frame = pd.DataFrame(index=ids)
    for column in ("title", "category", "description"):
        frame[column] = catalogue[column].reindex(ids).astype("string") if column in catalogue else pd.NA
    brands = catalogue["brand"].reindex(ids).astype("string") if "brand" in catalogue else None
    # Before generated descriptions fill the gaps: a name is taken from the catalogue's own text only.
    frame["title"] = display_titles(frame["title"], frame["category"], brands, frame["description"])
    mentions = pd.Series(dtype="string") if review_mentions is None else review_mentions
    mentions = pd.Series(mentions.to_numpy(), index=mentions.index.astype(str), dtype="string").reindex(ids)
    # Clusters are named by the words of the items' names, the catalogue's else what reviews mention; never by ids.
    name_words = frame["title"].fillna(mentions).fillna("")
    frame["title"] = frame["title"].fillna(titles_from_reviews(mentions.dropna()).reindex(ids))
    frame["price"] = item_prices(catalogue, interactions, ids)
    frame["is_tail"] = is_tail.to_numpy()
    frame["buyers"] = buyers.to_numpy()
    own_ids = ids.to_series()
    frame["product_id"] = own_ids if products is None else products.reindex(ids).fillna(own_ids)
    if descriptions is not None and len(descriptions):
        generated = descriptions.drop_duplicates("item_id").set_index("item_id")["text"].astype("string")
        frame["description"] = frame["description"].fillna(generated.reindex(ids))
    sentiment = _sentiment(item_sentiment, ids, frame["title"].fillna(""))
    frame = frame.join(sentiment).reset_index()
    vectors = align_vectors(item_vectors, ids.to_numpy())
    vectors = np.zeros((len(ids), 0), np.float32) if vectors is None else np.nan_to_num(vectors).astype(np.float32)
    settings = {**(settings or {}), "currency": shop_currency(items)}
    if frame["category"].isna().all() and vectors.shape[1] and len(ids) >= MIN_ITEMS_TO_CLUSTER:
        # A shop without categories gets item clusters as its categories, so a shopper can still name one.
        labels, names = item_clusters(name_words.astype(str).tolist(), vectors, cluster_count(len(ids)))
        frame["category"] = np.asarray(names, dtype=object)[labels]
        settings["categories"] = ITEM_CLUSTERS
    history = (
        interactions.groupby(["user_id", "item_id"], observed=True).size().rename("times").reset_index()
        if len(interactions)
        else pd.DataFrame(columns=HISTORY_COLUMNS)
    )
    return ShopTables(
        items=frame[ITEM_COLUMNS],
        vectors=vectors,
        lists=lists.reset_index(drop=True),
        neighbours=neighbours.reset_index(drop=True),
        history=history[HISTORY_COLUMNS],
        settings=settings,
    )


def shop_currency(items: pd.DataFrame) -> str | None:
    """The ISO 4217 code most of ``items``' priced rows name in ``currency``; None where none names one. The served
    prices of a shop are one column, so they are shown in one currency."""
    if "currency" not in items or not items["currency"].notna().any():
        return None
    return str(items["currency"].dropna().astype(str).value_counts().index[0])


def cluster_count(n_items: int) -> int:
    """Clusters for a shop of ``n_items`` without categories: about sqrt(n / 2) (48 for Online Retail's 4,579
    items), between 2 and 100, so that a cluster holds a browsable few dozen items."""
    return int(np.clip(round(np.sqrt(n_items / 2)), 2, 100))


def _sentiment(item_sentiment: pd.DataFrame | None, ids: pd.Index, titles: pd.Series) -> pd.DataFrame:
    """``n_reviews, positive_share, praise`` per item; praise is the reviewers' top positive aspects joined by
    ", ", less those that only restate the item's title (``beyond_name``: "reviewers praise geographic, national"
    read on 34 of the 130 Magazine items with praise); empty when there are none."""
    frame = pd.DataFrame(index=ids)
    if item_sentiment is None or not len(item_sentiment):
        return frame.assign(n_reviews=0, positive_share=np.nan, praise="")
    rows = item_sentiment.drop_duplicates("item_id").set_index("item_id").reindex(ids)
    frame["n_reviews"] = rows["n_reviews"].fillna(0).astype("int64")
    frame["positive_share"] = rows["positive_share"].astype("float64")
    frame["praise"] = [
        ", ".join(beyond_name(list(aspects), title)) if isinstance(aspects, (list, np.ndarray)) else ""
        for aspects, title in zip(rows["positive_aspects"], titles)
    ]
    return frame
