"""``ShopIndex``: one shop of a serving snapshot held in memory, laid out for answering requests in milliseconds.

Items are addressed by their row (position) in the snapshot's items table. Lists, histories and neighbours are
grouped once, at load, into per-user and per-item arrays. Hard constraints (price, category, excluded words) are
boolean masks over the items, so a filter never lets a violating item through.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from longtail.recommend.cards import card_keys
from longtail.recommend.explanations import MIN_CUSTOMERS_REASON, similar_floor
from longtail.recommend.serving import COLD_START_USER
from longtail.serving.diets import breaks_diet
from longtail.serving.measures import TitleMeasures
from longtail.serving.snapshot import ITEM_CLUSTERS, ShopTables, read_manifest, read_shop
from longtail.serving.vocabulary import SEPARATOR, category_nodes

# "Reviewers praise ..." needs this many reviews and this positive share, so one happy reviewer is not a consensus.
MIN_REVIEWS_REASON = 3
MIN_POSITIVE_SHARE_REASON = 0.6


def _exclusion_pattern(word: str) -> str:
    """The regex a ruled-out ``word`` is read by: the word, singular or plural, lower case."""
    return rf"\b{re.escape(word.lower())}(?:s|es)?\b"


@dataclass(frozen=True)
class Filters:
    """Hard constraints: prices inclusive, in the shop's currency; ``category`` a node of the category tree (the
    item's category equals it or lies under it); ``exclude`` words that may not appear in the item's title or
    category (as a word, singular or plural); ``diet`` diets of ``longtail.serving.diets.DIETS`` whose breaking
    titles are ruled out."""

    category: str | None = None
    min_price: float | None = None
    max_price: float | None = None
    exclude: tuple[str, ...] = ()
    diet: tuple[str, ...] = ()

    def describe(self) -> list[str]:
        parts = []
        if self.category:
            parts.append(f"category {self.category!r}")
        if self.min_price is not None:
            parts.append(f"price >= {self.min_price:g}")
        if self.max_price is not None:
            parts.append(f"price <= {self.max_price:g}")
        parts.extend(f"no {word!r}" for word in self.exclude)
        parts.extend(f"{diet} only" for diet in self.diet)
        return parts


class ShopIndex:
    """One shop (``dataset``) of a snapshot: items with facts, vectors, cached lists, histories, neighbours."""

    def __init__(self, dataset: str, shop: ShopTables):
        self.dataset = dataset
        self.settings = shop.settings
        self.categories_are_clusters = shop.settings.get("categories") == ITEM_CLUSTERS
        items = shop.items
        self.item_ids = items["item_id"].astype(str).to_numpy()
        self.position = {item_id: row for row, item_id in enumerate(self.item_ids)}
        self._item_index = pd.Index(self.item_ids)
        self.titles = items["title"].fillna(items["item_id"]).astype(str).to_numpy()
        self.categories = items["category"].fillna("").astype(str).to_numpy()
        self.prices = items["price"].to_numpy(dtype=np.float64)
        self.is_tail = items["is_tail"].to_numpy(dtype=bool)
        self.buyers = items["buyers"].to_numpy(dtype=np.int64)
        self.n_reviews = items["n_reviews"].to_numpy(dtype=np.int64)
        self.positive_share = items["positive_share"].to_numpy(dtype=np.float64)
        self.praise = items["praise"].fillna("").astype(str).to_numpy()
        self.descriptions = items["description"].fillna("").astype(str).to_numpy()
        self.vectors = shop.vectors if shop.vectors.shape[1] else None
        self.similar_floor = similar_floor(self.vectors) if self.vectors is not None else np.inf
        # What a shopper sees of an item: its title and price. Items whose cards read the same (Online Retail's
        # colour variants under one description, Instacart's same-named products), or that are one product (ids
        # with the same reviews), share a key, and a list shows one. Snapshots published before products were
        # recorded make each item its own.
        products = items["product_id"] if "product_id" in items else items["item_id"]
        self.card_keys = card_keys(self.titles, self.prices, products.astype(str).tolist())
        # What a ruled-out word is read in: the title and the item's own category node, not the shelves above it
        # ("nothing about wine" ruled out every magazine under "Cooking, Food & Wine", and no answer was left).
        own_node = pd.Series(self.categories).str.split(SEPARATOR).str[-1]
        self._lower_titles = pd.Series(self.titles).str.lower()
        self._excludable = self._lower_titles + " " + own_node.str.lower()
        self.lists = _grouped(shop.lists, "user_id", self._rows(shop.lists["item_id"]), ("score", "reason"))
        bought = self._rows(shop.history["item_id"])
        self.history = _grouped(shop.history, "user_id", bought, ())
        self._buyers_of = _item_buyers(shop.history, bought, len(self.item_ids))
        self.neighbours = _grouped(shop.neighbours, "item_id", self._rows(shop.neighbours["neighbour_id"]), ("score",))
        # Higher for more buyers (ties: the earlier row): the popularity fill's score.
        n_items = len(self.item_ids)
        self.popularity_rank = np.empty(n_items, dtype=np.float64)
        self.popularity_rank[np.lexsort((np.arange(n_items), -self.buyers))] = -np.arange(n_items, dtype=np.float64)
        self.category_nodes = category_nodes(self.categories.tolist())
        self.price_quantiles = (
            {q: float(np.nanpercentile(self.prices, q)) for q in (25, 50, 75)} if np.isfinite(self.prices).any() else {}
        )
        self._exclusion = lru_cache(maxsize=256)(self._exclusion_mask)
        shelves = None if self.categories_are_clusters else own_node.str.lower()
        self._breaks_diet = lru_cache(maxsize=None)(partial(breaks_diet, self._lower_titles, lower_shelves=shelves))
        self._title_measures: TitleMeasures | None = None

    def __len__(self) -> int:
        return len(self.item_ids)

    def _rows(self, item_ids: pd.Series) -> np.ndarray:
        # One vectorised lookup: a dict lookup per row held the GIL for most of a second on the Magazine shop's
        # 1.4 million list rows, while the server answered requests beside the loading thread.
        rows = self._item_index.get_indexer(item_ids.astype(str))
        if (rows < 0).any():
            raise KeyError(f"item {item_ids.astype(str).to_numpy()[rows < 0][0]!r} is not in the shop's items")
        return rows.astype(np.int64)

    def search_texts(self) -> list[str]:
        """Each item's ``search_text``."""
        return [self.search_text(row) for row in range(len(self))]

    def search_text(self, row: int) -> str:
        """Item ``row``'s title, category and description: what a shopper's words are matched against."""
        return " ".join((self.titles[row], self.categories[row], self.descriptions[row]))

    def measure_agreement(self, measures: Sequence[str]) -> np.ndarray:
        """(n_items,) floats: 1 where an item's title states one of ``measures`` (canonical texts of
        ``longtail.serving.measures``, such as "size 4"), -1 where it states another of their kind, else 0
        (``TitleMeasures.agreement``); the titles are read for measures on the first call."""
        if self._title_measures is None:
            self._title_measures = TitleMeasures(self.titles)
        return self._title_measures.agreement(measures)

    def knows_user(self, user_id: str) -> bool:
        return user_id in self.history or user_id in self.lists

    def mask(self, filters: Filters) -> np.ndarray:
        """(n_items,) bool: the items that satisfy every hard constraint of ``filters``. An item without a price
        fails any price bound; an item without a category fails any category."""
        allowed = np.ones(len(self), dtype=bool)
        if filters.min_price is not None:
            allowed &= self.prices >= filters.min_price  # NaN compares False
        if filters.max_price is not None:
            allowed &= self.prices <= filters.max_price
        if filters.category:
            node = filters.category
            allowed &= (self.categories == node) | np.char.startswith(self.categories.astype(str), node + SEPARATOR)
        # A ruled-out word that names the asked-for shelf itself is read in titles only: "halloween sweets, not
        # chocolate ones" in "candy chocolate", or "dairy-free milk, not soy" in "soy lactosefree", ruled out the shelf.
        shelf = filters.category.split(SEPARATOR)[-1].lower() if filters.category else ""
        for word in filters.exclude:
            allowed &= ~self._exclusion(word, bool(re.search(_exclusion_pattern(word), shelf)))
        for diet in filters.diet:
            allowed &= ~self._breaks_diet(diet)
        return allowed

    def _exclusion_mask(self, word: str, titles_only: bool) -> np.ndarray:
        texts = self._lower_titles if titles_only else self._excludable
        return texts.str.contains(_exclusion_pattern(word), regex=True).to_numpy(dtype=bool)

    def seen(self, user_id: str) -> np.ndarray:
        """(n_items,) bool: the items ``user_id`` bought or reviewed, and the items whose cards read the same as one
        of them (``card_keys``): the Magazine shop sells one title under several ids, and a shopper who bought "Food
        Network Magazine" would read another "Food Network Magazine" as the same thing again."""
        rows = self.history.get(user_id)
        if rows is None or not len(rows["rows"]):
            return np.zeros(len(self), dtype=bool)
        return np.isin(self.card_keys, self.card_keys[rows["rows"]])

    def taste(self, user_id: str) -> np.ndarray | None:
        """The mean vector of the items ``user_id`` bought or reviewed, unit length; None without history or
        vectors."""
        rows = self.history.get(user_id)
        if self.vectors is None or rows is None or not len(rows["rows"]):
            return None
        mean = self.vectors[rows["rows"]].mean(axis=0)
        norm = float(np.linalg.norm(mean))
        return mean / norm if norm > 0 else None

    def closest_bought(self, user_id: str, row: int) -> int | None:
        """Of the items ``user_id`` bought, the one most similar to item ``row`` (by vectors), if it is similar
        enough to say so (``similar_floor``); None otherwise."""
        rows = self.history.get(user_id)
        if self.vectors is None or rows is None or not len(rows["rows"]):
            return None
        bought = rows["rows"][rows["rows"] != row]
        if not len(bought):
            return None
        alike = self.vectors[bought] @ self.vectors[row]
        best = int(np.argmax(alike))
        return int(bought[best]) if alike[best] >= self.similar_floor else None

    def co_buyers(self, row: int, others: np.ndarray) -> np.ndarray:
        """(len(others),) int: how many customers bought both item ``row`` and each of the items ``others``."""
        if not len(others):
            return np.zeros(0, dtype=np.int64)
        both = self._buyers_of[others] @ self._buyers_of[row].T
        return np.asarray(both.todense(), dtype=np.int64).ravel()

    def fact_reasons(self, row: int) -> list[str]:
        """Reasons counted from the data, never generated: reviewers' praise, and how many customers bought it."""
        reasons = []
        if (
            self.praise[row]
            and self.n_reviews[row] >= MIN_REVIEWS_REASON
            and self.positive_share[row] >= MIN_POSITIVE_SHARE_REASON
        ):
            reasons.append(f"reviewers praise {self.praise[row]} ({self.n_reviews[row]} reviews)")
        if self.buyers[row] >= MIN_CUSTOMERS_REASON:
            reasons.append(f"bought by {self.buyers[row]:,} customers")
        return reasons

    def card(self, row: int, score: float | None, reasons: list[str]) -> dict:
        """The API's item shape."""
        price = self.prices[row]
        return {
            "item_id": self.item_ids[row],
            "title": self.titles[row],
            "price": None if np.isnan(price) else round(float(price), 2),
            "score": None if score is None or not np.isfinite(score) else round(float(score), 4),
            "is_tail": bool(self.is_tail[row]),
            "reasons": reasons,
        }

    def cached_list(self, user_id: str) -> dict | None:
        """``{"rows", "score", "reason"}`` arrays of the user's cached list, best first; the new-user list for
        ``COLD_START_USER``; None for a user without one."""
        return self.lists.get(user_id)

    def cold_start_list(self) -> dict:
        return self.lists.get(COLD_START_USER) or {
            "rows": np.zeros(0, np.int64),
            "score": np.zeros(0),
            "reason": np.zeros(0, object),
        }


def _item_buyers(history: pd.DataFrame, rows: np.ndarray, n_items: int) -> sp.csr_matrix:
    """(n_items, n_users) binary csr: which customers of ``history`` (``user_id``, with the items' ``rows``) bought
    each item."""
    users = pd.factorize(history["user_id"].astype(str).to_numpy())[0]
    ones = np.ones(len(rows), dtype=np.int32)
    matrix = sp.csr_matrix((ones, (rows, users)), shape=(n_items, users.max() + 1 if len(users) else 0))
    matrix.data[:] = 1  # one customer bought an item once, however many times they did
    return matrix


def _grouped(frame: pd.DataFrame, key: str, rows: np.ndarray, columns: tuple[str, ...]) -> dict:
    """``{key value: {"rows": item rows, column: values, ...}}``, ordered by ``rank`` within each key where the
    frame has one (lists, neighbours), else in the frame's order."""
    if not len(frame):
        return {}
    # Integer codes rather than the strings themselves are sorted: sorting 1.4 million ids as Python strings held
    # the GIL while the server answered requests beside the loading thread.
    codes, names = pd.factorize(frame[key].astype(str).to_numpy())
    within = frame["rank"].to_numpy() if "rank" in frame else np.arange(len(frame))
    order = np.lexsort((within, codes))
    codes = codes[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    ends = np.r_[starts[1:], len(codes)]
    values = {column: frame[column].to_numpy()[order] for column in columns}
    out = {}
    for start, end in zip(starts, ends):
        group = {"rows": rows[order[start:end]]}
        group.update({column: array[start:end] for column, array in values.items()})
        out[names[codes[start]]] = group
    return out


@dataclass(frozen=True)
class LoadedSnapshot:
    version: str
    shops: dict[str, ShopIndex]


def load_snapshot(root: Path, version: str) -> LoadedSnapshot:
    """Every shop of ``root/version`` as a ``ShopIndex``."""
    folder = root / version
    manifest = read_manifest(folder)
    shops = {}
    for dataset, entry in manifest["datasets"].items():
        tables = replace(read_shop(folder / dataset), settings=entry.get("settings", {}))
        shops[dataset] = ShopIndex(dataset, tables)
    return LoadedSnapshot(version, shops)
