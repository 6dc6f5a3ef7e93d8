"""A user's list and an item's similar items, from a ``ShopIndex``, under hard filters.

The cached list (the hybrid's, as ``recommendation_lists`` built it) comes first, in its order, minus what the
filters rule out and minus items whose cards read the same as one already listed (``ShopIndex.card_keys``). When
filters leave fewer than ``k`` of it, the rest is filled from the whole catalogue: by the user's taste (the mean
vector of what they bought), else by popularity. Scores are the hybrid's for cached items and the cosine to the
user's taste (or NaN, by popularity) for the fill, so a client can tell them apart by the reasons; the order is what
counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from longtail.recommend.explanations import MIN_CUSTOMERS_REASON
from longtail.serving.catalogue import Filters, ShopIndex


@dataclass(frozen=True)
class ServedList:
    """``items`` in the API's item shape; ``cold_start`` when the user had no history in the snapshot."""

    items: list[dict]
    cold_start: bool


def user_list(
    index: ShopIndex, user_id: str, k: int, filters: Filters = Filters(), exclude_seen: bool = True
) -> ServedList:
    """Up to ``k`` items for ``user_id``: every one satisfies ``filters``; with ``exclude_seen`` none was
    bought or reviewed by the user before, nor reads the same as one that was (``ShopIndex.seen``)."""
    allowed = index.mask(filters)
    known = index.knows_user(user_id)
    if exclude_seen and known:
        allowed &= ~index.seen(user_id)
    cached = index.cached_list(user_id) if known else index.cold_start_list()
    cards, shown = [], set()
    if cached is not None:
        for row, score, reason in zip(cached["rows"], cached["score"], cached["reason"]):
            if len(cards) == k:
                break
            if allowed[row] and index.card_keys[row] not in shown:
                cards.append(index.card(row, score, [reason, *index.fact_reasons(row)]))
                shown.add(index.card_keys[row])
    if len(cards) < k:
        allowed &= ~np.isin(index.card_keys, list(shown))
        cards.extend(_fill(index, user_id if known else None, allowed, k - len(cards)))
    return ServedList(cards, cold_start=not known)


def _fill(index: ShopIndex, user_id: str | None, allowed: np.ndarray, k: int) -> list[dict]:
    """The ``k`` best allowed items by the user's taste, else by popularity."""
    taste = index.taste(user_id) if user_id is not None else None
    if taste is None:
        rows = top_rows(np.where(allowed, index.popularity_rank, -np.inf), k, index.card_keys)
        return [index.card(row, None, index.fact_reasons(row) or ["popular in this shop"]) for row in rows]
    scores = np.where(allowed, index.vectors @ taste, -np.inf)
    rows = top_rows(scores, k, index.card_keys)
    cards = []
    for row in rows:
        anchor = index.closest_bought(user_id, row)
        reason = [f"similar to {index.titles[anchor]}, which you bought"] if anchor is not None else []
        cards.append(index.card(row, scores[row], reason + index.fact_reasons(row)))
    return cards


def similar_items(index: ShopIndex, item_id: str, k: int) -> list[dict]:
    """Up to ``k`` items similar to ``item_id``: its stored neighbours (bought together, or close in text) first,
    then the nearest items by vector. Each card says what links it to the item (``link_reasons``)."""
    row = index.position[item_id]
    neighbours = index.neighbours.get(item_id)
    rows, scores, shown = [], [], {index.card_keys[row]}
    if neighbours is not None:
        for neighbour, score in zip(neighbours["rows"], neighbours["score"]):
            if len(rows) == k:
                break
            if index.card_keys[neighbour] not in shown:
                rows.append(neighbour)
                scores.append(score)
                shown.add(index.card_keys[neighbour])
    if len(rows) < k and index.vectors is not None and np.any(index.vectors[row]):
        alike = np.where(np.isin(index.card_keys, list(shown)), -np.inf, index.vectors @ index.vectors[row])
        nearest = top_rows(alike, k - len(rows), index.card_keys)
        rows.extend(nearest)
        scores.extend(alike[nearest])
    links = link_reasons(index, row, np.asarray(rows, dtype=np.int64))
    return [
        index.card(neighbour, score, [*link, *index.fact_reasons(neighbour)])
        for neighbour, score, link in zip(rows, scores, links)
    ]


def link_reasons(index: ShopIndex, row: int, others: np.ndarray) -> list[list[str]]:
    """Per item of ``others``, what links it to item ``row``, as far as the data shows it: "N customers who bought X
    also bought this" from ``MIN_CUSTOMERS_REASON`` co-buyers on, and "similar to X" where the two vectors reach the
    shop's ``similar_floor``. A neighbour table holds every item's nearest whatever they are (on the 116-item 5-core
    shop an item's ten nearest are a twelfth of the shop), so a card of the panel may have neither, and then it
    claims neither."""
    title = index.titles[row]
    together = index.co_buyers(row, others)
    alike = (
        index.vectors[others] @ index.vectors[row] >= index.similar_floor
        if index.vectors is not None
        else np.zeros(len(others), dtype=bool)
    )
    links = []
    for count, similar in zip(together, alike):
        link = [f"{count:,} customers who bought {title} also bought this"] if count >= MIN_CUSTOMERS_REASON else []
        links.append(link + ([f"similar to {title}"] if similar else []))
    return links


def top_rows(scores: np.ndarray, k: int, keys: np.ndarray | None = None) -> np.ndarray:
    """Rows of the ``k`` highest finite ``scores``, best first (ties by row); with ``keys`` (n,), only the best row
    of each key (``ShopIndex.card_keys``: no two cards that read the same)."""
    finite = np.flatnonzero(np.isfinite(scores))
    depth = k if keys is None else 4 * k
    while True:
        best = finite if len(finite) <= depth else finite[np.argpartition(-scores[finite], depth - 1)[:depth]]
        best = best[np.lexsort((best, -scores[best]))]
        if keys is not None:
            _, first = np.unique(keys[best], return_index=True)
            best = best[np.sort(first)]
        if len(best) >= k or depth >= len(finite):
            return best[:k]
        depth *= 4
