"""A user's list and an item's similar items, from a ``ShopIndex``, under hard filters.

The cached list (the hybrid's, as ``recommendation_lists`` built it) comes first, in its order, minus what the
filters rule out. When filters leave fewer than ``k`` of it, the rest is filled from the whole catalogue: by the
user's taste (the mean vector of what they bought), else by popularity. Scores are the hybrid's for cached items
and the cosine to the user's taste (or NaN, by popularity) for the fill, so a client can tell them apart by the
reasons; the order is what counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
    bought or reviewed by the user before."""
    allowed = index.mask(filters)
    known = index.knows_user(user_id)
    seen = index.history.get(user_id, {}).get("rows") if known else None
    if exclude_seen and seen is not None:
        allowed[seen] = False
    cached = index.cached_list(user_id) if known else index.cold_start_list()
    cards, taken = [], set()
    if cached is not None:
        for row, score, reason in zip(cached["rows"], cached["score"], cached["reason"]):
            if len(cards) == k:
                break
            if allowed[row]:
                cards.append(index.card(row, score, [reason, *index.fact_reasons(row)]))
                taken.add(int(row))
    if len(cards) < k:
        allowed[list(taken)] = False
        cards.extend(_fill(index, user_id if known else None, allowed, k - len(cards)))
    return ServedList(cards, cold_start=not known)


def _fill(index: ShopIndex, user_id: str | None, allowed: np.ndarray, k: int) -> list[dict]:
    """The ``k`` best allowed items by the user's taste, else by popularity."""
    taste = index.taste(user_id) if user_id is not None else None
    if taste is None:
        rows = index.popularity_order[allowed[index.popularity_order]][:k]
        return [index.card(row, None, index.fact_reasons(row) or ["popular in this shop"]) for row in rows]
    scores = np.where(allowed, index.vectors @ taste, -np.inf)
    rows = top_rows(scores, k)
    cards = []
    for row in rows:
        anchor = index.closest_bought(user_id, row)
        reason = [f"similar to {index.titles[anchor]}, which you bought"] if anchor is not None else []
        cards.append(index.card(row, scores[row], reason + index.fact_reasons(row)))
    return cards


def similar_items(index: ShopIndex, item_id: str, k: int) -> list[dict]:
    """Up to ``k`` items similar to ``item_id``: its stored neighbours (bought together, or close in text) first,
    then the nearest items by vector."""
    row = index.position[item_id]
    title = index.titles[row]
    neighbours = index.neighbours.get(item_id)
    cards, taken = [], {row}
    if neighbours is not None:
        for neighbour, score in zip(neighbours["rows"][:k], neighbours["score"][:k]):
            cards.append(index.card(neighbour, score, [f"similar to {title}", *index.fact_reasons(neighbour)]))
            taken.add(int(neighbour))
    if len(cards) < k and index.vectors is not None and np.any(index.vectors[row]):
        scores = index.vectors @ index.vectors[row]
        scores[list(taken)] = -np.inf
        for neighbour in top_rows(scores, k - len(cards)):
            cards.append(
                index.card(neighbour, scores[neighbour], [f"similar to {title}", *index.fact_reasons(neighbour)])
            )
    return cards


def top_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """Rows of the ``k`` highest finite ``scores``, best first (ties by row)."""
    finite = np.flatnonzero(np.isfinite(scores))
    if len(finite) > k:
        finite = finite[np.argpartition(-scores[finite], k - 1)[:k]]
    return finite[np.lexsort((finite, -scores[finite]))]
