"""What a shopper reads on an item's card, its title and price, and lists that show each card once.

Catalogues sell one thing under several ids: the Magazine shop sells "Glamour" under 19, Online Retail sells colour
variants under one description, and Amazon lists a product's sizes and colours under ids that carry the same reviews
(one pair of shoes is 8 ids of the 5-core shop, each with the same 373 reviews). A shopper reads two such items as the
same card, so a list shows one of them, and one the shopper already bought is no news.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from longtail.validation import require_columns


def card_keys(titles: Sequence[str], prices: np.ndarray, products: Sequence[str] | None = None) -> np.ndarray:
    """(n_items,) int: one key for the items whose cards a shopper reads as the same: the same price (rounded to the
    cent; NaN matches NaN) and the same title in lower case, its spacing aside, compared two ways, either of which
    joins two items: with accents folded ("Bon Appetit", "Bon Appétit"), and with every character outside ASCII
    dropped ("Bon Apptit", a copy whose é a bad encoding lost; "Phish Food® Ice Cream"), unless that leaves none.
    ``prices`` in the shop's currency, one per title. ``products``, optional, one per title: items with the same
    product (``review_products``) are one card too, whatever their titles and prices."""
    import unicodedata

    from scipy.sparse.csgraph import connected_components

    lower = pd.Series(titles, dtype=object).fillna("").astype(str).str.lower()
    plain = lower.map(str.isascii)  # most titles: both readings are the title itself
    folded, ascii_only = lower.copy(), lower.copy()
    folded[~plain] = [
        "".join(c for c in unicodedata.normalize("NFKD", title) if not unicodedata.combining(c))
        for title in lower[~plain]
    ]
    ascii_only[~plain] = lower[~plain].str.replace(r"[^\x00-\x7f]", "", regex=True)
    ascii_only = ascii_only.where(ascii_only.str.strip() != "", folded)
    price = "|" + pd.Series(np.round(np.asarray(prices, dtype=np.float64), 2)).astype(str)
    n_items = len(lower)
    rows = np.arange(n_items)
    edges = [pd.factorize(text.str.split().str.join(" ") + price)[0] for text in (folded, ascii_only)]
    if products is not None:
        edges.append(pd.factorize(pd.Series(products, dtype=object).astype(str))[0])
    # Each item joined to the first item of its group under each reading; the groups are the joined components.
    firsts = [pd.Series(rows).groupby(group).transform("min").to_numpy() for group in edges]
    graph = sp.coo_matrix(
        (np.ones(len(firsts) * n_items), (np.tile(rows, len(firsts)), np.concatenate(firsts))), shape=(n_items,) * 2
    )
    return connected_components(graph, directed=False)[1]


# Two items are one product where at least this many reviews are on both ...
MIN_SHARED_REVIEWS = 2
# ... and these are at least this share of the two items' reviews together (their Jaccard index). On the shared
# review files, the ids of one product page carry nearly the same reviews (5-core's shoes 0.96 to 1.0, Magazine's
# "EW", "Prevention", "Rachael Ray Every Day" 0.81 to 1.0) and different products at most 0.1 (a reviewer who wrote
# the same words on two magazines the same day). Between them lie pages that gather the reviews of several products,
# such as the 5-core page of a shampoo's 489 reviews and a body wash's 390 (0.56 and 0.44): each joins the product
# that makes most of its reviews. A small id whose few reviews all sit on such a page (0.01) stays its own.
MIN_REVIEW_JACCARD = 0.5


def review_products(reviews: pd.DataFrame) -> pd.Series:
    """The product of each reviewed item: the smallest item id among the items that carry the same reviews.

    Amazon shows a product's reviews on the page of each of its sizes and colours, and its review files repeat them
    under each id. Two items are joined where at least ``MIN_SHARED_REVIEWS`` of their reviews are the same, and
    these are at least ``MIN_REVIEW_JACCARD`` of the two items' reviews together; products are the joined groups.

    Args:
        reviews: ``item_id, review`` rows, one per review, ``review`` equal for the copies of one review
            (``longtail.data.interactions.REVIEW_COPIES_SQL``: its author, day and words).

    Returns:
        str, by item id (str), one entry per reviewed item; an item without such twins is its own product.
    """
    from scipy.sparse.csgraph import connected_components

    require_columns(reviews, ["item_id", "review"], "reviews")
    frame = reviews[["item_id", "review"]].astype(str).drop_duplicates()
    reviewed_ids = np.sort(frame["item_id"].unique())
    products = pd.Series(reviewed_ids, index=reviewed_ids.copy(), dtype=object)
    repeated = frame[frame["review"].duplicated(keep=False)]
    if repeated.empty:
        return products
    items, item_index = pd.factorize(repeated["item_id"])
    matrix = sp.csr_matrix((np.ones(len(items)), (items, pd.factorize(repeated["review"])[0])))
    shared = (matrix @ matrix.T).tocoo()
    reviewed = frame["item_id"].value_counts().reindex(item_index).to_numpy()
    pairs = shared.row < shared.col
    first, second, count = shared.row[pairs], shared.col[pairs], shared.data[pairs]
    together = reviewed[first] + reviewed[second] - count
    joined = (count >= MIN_SHARED_REVIEWS) & (count >= MIN_REVIEW_JACCARD * together)
    graph = sp.coo_matrix((count[joined], (first[joined], second[joined])), shape=(len(item_index),) * 2)
    groups = pd.Series(connected_components(graph, directed=False)[1], index=item_index)
    products.loc[groups.index] = groups.index.to_series().groupby(groups.to_numpy()).transform("min").to_numpy()
    return products


def item_prices(catalogue: pd.DataFrame, interactions: pd.DataFrame, ids: pd.Index) -> np.ndarray:
    """The catalogue price, else the median price the item sold at, else NaN; in the shop's currency."""
    listed = pd.to_numeric(catalogue["price"], errors="coerce").reindex(ids) if "price" in catalogue else None
    sold = (
        interactions.dropna(subset=["price"]).groupby("item_id")["price"].median().reindex(ids)
        if "price" in interactions
        else None
    )
    prices = pd.Series(np.nan, index=ids)
    for source in (listed, sold):
        if source is not None:
            prices = prices.fillna(source.where(source > 0))
    return prices.to_numpy(dtype=np.float64)


def item_cards(
    item_ids: np.ndarray,
    titles: pd.Series,
    items: pd.DataFrame | None,
    interactions: pd.DataFrame,
    products: pd.Series | None = None,
) -> np.ndarray:
    """(n_items,) ``card_keys`` of ``item_ids``: each item's title (``titles``, by item id, as
    ``longtail.recommend.serving.item_titles`` gives them; the id where it has none, so that two unnamed items stay
    apart), price (``item_prices`` of the catalogue ``items`` and the ``interactions``' prices) and product
    (``products``, by item id, as ``review_products`` gives them; the item itself where it has none)."""
    ids = pd.Series(item_ids, index=item_ids)
    known = titles.reindex(ids.index)
    named = known.fillna(ids).tolist()
    catalogue = items.set_index("item_id") if items is not None else pd.DataFrame()
    product = ids if products is None else products.reindex(ids.index).fillna(ids)
    return card_keys(named, item_prices(catalogue, interactions, known.index), product.tolist())


def one_per_card(
    recommended: np.ndarray, scores: np.ndarray, cards: np.ndarray, k: int, seen: sp.csr_matrix | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each user's list with every item whose card (``cards``) reads as one listed above it, or as one the user
    has (``seen``), left out, the rest moved up.

    Args:
        recommended: (n_users, m) item indices, best first, -1 for empty slots; ``m`` at least ``k``, more than
            ``k`` so that the items left out can be replaced.
        scores: (n_users, m) the items' scores (NaN in empty slots).
        cards: (n_items,) int, a key per item (``card_keys``): items with equal keys read as the same card.
        k: the list length to return.
        seen: optional (n_users, n_items) sparse, non-zero where the user has the item (the training history),
            whose cards the user's list then leaves out as well.

    Returns:
        ``(items, scores, dropped)``: the first ``k`` items kept per user and their scores, -1 and NaN padded where
        fewer are left; ``dropped`` (n_users,) int, how many items of the first ``k`` were left out.
    """
    n_users, m = recommended.shape
    filled = recommended >= 0
    row_cards = np.where(filled, cards[np.maximum(recommended, 0)], -1)
    keep = filled.copy()
    for position in range(1, m):
        # An earlier slot with the same card either is listed, or was left out for a card that is.
        keep[:, position] &= ~(row_cards[:, :position] == row_cards[:, position, None]).any(axis=1)
    if seen is not None and seen.nnz:
        n_cards = int(cards.max()) + 1
        card_of_item = sp.csr_matrix((np.ones(len(cards)), (np.arange(len(cards)), cards)), shape=(len(cards), n_cards))
        seen_cards = (sp.csr_matrix(seen, copy=True).sign() @ card_of_item).tocsr()
        users = np.repeat(np.arange(n_users), m)
        had = np.asarray(seen_cards[users, np.maximum(row_cards, 0).ravel()]).reshape(n_users, m) > 0
        keep &= ~had
    # Stable: the kept items keep their order, ahead of every item left out.
    order = np.argsort(~keep, axis=1, kind="stable")[:, :k]
    kept = np.take_along_axis(keep, order, axis=1)
    items = np.where(kept, np.take_along_axis(recommended, order, axis=1), -1)
    kept_scores = np.where(kept, np.take_along_axis(scores, order, axis=1), np.nan).astype(scores.dtype)
    dropped = (filled[:, :k] & ~keep[:, :k]).sum(axis=1)
    return items, kept_scores, dropped
