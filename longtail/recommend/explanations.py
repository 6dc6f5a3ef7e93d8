"""Human-readable reasons for recommended items: which of the user's own items led to each one."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from longtail.validation import check_positive_int

BOUGHT = "bought"
SIMILAR = "similar"
POPULAR = "popular"
# A reason that rests on other customers ("customers who bought X also bought this"; "bought by N customers") is
# given from this many of them on. One customer is not a crowd, and a reason drawn from one customer's basket tells
# the reader what that person bought.
MIN_CUSTOMERS_REASON = 3
# "Similar to X, which you bought" needs the two items' vectors to be more alike than this percentile of random
# pairs of the shop's items: the closest of a shopper's items is always some item, and on the demo the closest one
# was often alike in a word only ("PINK DIAMANTE PEN" for "CANDLEHOLDER PINK HANGING HEART"). A percentile of the
# shop's own pairs, not a fixed cosine, since how alike unrelated items look depends on the shop's texts.
SIMILAR_PAIR_PERCENTILE = 99.0
RANDOM_PAIRS = 20_000


def explain(
    history: sp.csr_matrix,
    recommended: np.ndarray,
    collaborative: Callable[[np.ndarray, np.ndarray], np.ndarray] | None,
    similarity: sp.csr_matrix | None,
    *,
    min_co_buyers: int = MIN_CUSTOMERS_REASON,
    batch_size: int = 1024,
) -> tuple[np.ndarray, np.ndarray]:
    """The anchor item and the kind of reason for every recommended item.

    Args:
        history: (n_users, n_items) csr, the users' own items (weights > 0, e.g. recency or counts): every user
            of the model, since the co-buyers of a pair are counted over them.
        recommended: (n_users, k) item indices, -1 for empty slots.
        collaborative: ``f(sources, targets) -> (n,)``, the item-to-item weight of each pair ``(sources[i],
            targets[i])`` (e.g. ``EASE.pair_weights``), or None.
        similarity: (n_items, n_items) sparse content or blended similarity, or None.
        min_co_buyers: a collaborative reason links a user's item to a listed one only where at least this many
            users of ``history`` have both (``co_buyers``): a model weight alone, which may link items that nobody
            bought together, is not "people who bought X bought this".
        batch_size: users explained at a time; memory grows with their history entries times ``k``.

    Returns:
        ``(anchors, kinds)``, both (n_users, k). ``anchors`` holds the index of the user's item that contributes
        most (its weight times the item-to-item weight; the first in the user's history on ties; -1 when none
        does); ``kinds`` is ``"bought"`` when that contribution is collaborative ("people who bought your item
        bought this") with enough co-buyers, ``"similar"`` when it is content similarity and no such collaborative
        weight is positive, ``"popular"`` otherwise (cold-start users, or no link to the user's items), "" for
        empty slots.
    """
    n_users, k = recommended.shape
    if n_users != history.shape[0]:
        raise ValueError(f"recommended must hold one list per user of history ({history.shape[0]}), got {n_users}")
    min_co_buyers = check_positive_int(min_co_buyers, "min_co_buyers")
    if collaborative is not None:
        collaborative = _supported(collaborative, co_buyers(history, recommended), min_co_buyers)
    anchors = np.full((n_users, k), -1, dtype=np.int64)
    kinds = np.full((n_users, k), POPULAR, dtype=object)
    kinds[recommended < 0] = ""
    for start in range(0, n_users, batch_size):
        stop = min(start + batch_size, n_users)
        pairs = _history_target_pairs(history[start:stop], recommended[start:stop])
        found = np.zeros((stop - start) * k, dtype=bool)
        for kind, weigh in ((BOUGHT, collaborative), (SIMILAR, _lookup(similarity))):
            if weigh is None:
                continue
            open_pairs = pairs.where(~found[pairs.slot])
            slots, items = _strongest(open_pairs, open_pairs.weight * weigh(open_pairs.item, open_pairs.target))
            found[slots] = True
            anchors[start:stop].flat[slots] = items
            kinds[start:stop].flat[slots] = kind
    return anchors, kinds


class _Pairs(NamedTuple):
    """One entry per (history entry, filled list slot) of the same user, all ``(n_pairs,)``: ``slot`` (flat index
    into the batch's ``(n_users, k)`` lists), ``entry`` (position in the batch's history), ``item``, ``weight``
    and ``target`` (the listed item)."""

    slot: np.ndarray
    entry: np.ndarray
    item: np.ndarray
    weight: np.ndarray
    target: np.ndarray

    def where(self, mask: np.ndarray) -> _Pairs:
        return _Pairs(*(column[mask] for column in self))


def _history_target_pairs(history: sp.csr_matrix, recommended: np.ndarray) -> _Pairs:
    k = recommended.shape[1]
    entry_user = np.repeat(np.arange(history.shape[0]), np.diff(history.indptr))
    entry = np.repeat(np.arange(len(entry_user)), k)
    slot = entry_user[entry] * k + np.tile(np.arange(k), len(entry_user))
    target = recommended.ravel()[slot]
    filled = target >= 0
    entry = entry[filled]
    return _Pairs(slot[filled], entry, history.indices[entry], history.data[entry], target[filled])


def _strongest(pairs: _Pairs, contribution: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per slot, the item of the largest positive contribution (the earliest history entry on ties):
    ``(slots, items)``."""
    order = np.lexsort((pairs.entry, -contribution, pairs.slot))
    first = order[np.r_[True, pairs.slot[order][1:] != pairs.slot[order][:-1]]] if len(order) else order
    first = first[contribution[first] > 0]
    return pairs.slot[first], pairs.item[first]


def co_buyers(history: sp.csr_matrix, recommended: np.ndarray) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """``f(sources, targets) -> (n,)`` int: how many users of ``history`` (n_users, n_items) have both
    ``sources[i]`` and ``targets[i]``, for targets among the items of ``recommended`` (any shape, -1 for none).

    The counts of every item against the listed items are one sparse product of the binary history, (n_items,
    n_listed): the listed items are a small part of a large catalogue, and the pairs asked for are many more.
    """
    bought = history.copy().tocsr()
    bought.data = np.ones_like(bought.data, dtype=np.float32)
    listed = np.unique(recommended[recommended >= 0])
    column = np.full(history.shape[1], -1, dtype=np.int64)
    column[listed] = np.arange(len(listed))
    counts = (bought.T.tocsr() @ bought[:, listed]).tocsr()
    lookup = _lookup(counts)

    def count(sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
        return np.rint(lookup(sources, column[targets])).astype(np.int64)

    return count


def _supported(
    collaborative: Callable[[np.ndarray, np.ndarray], np.ndarray],
    count: Callable[[np.ndarray, np.ndarray], np.ndarray],
    minimum: int,
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """``collaborative``'s weights where a pair has at least ``minimum`` co-buyers (``count``), 0 elsewhere."""

    def weights(sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
        return np.where(count(sources, targets) >= minimum, collaborative(sources, targets), 0.0)

    return weights


def _lookup(similarity: sp.csr_matrix | None) -> Callable[[np.ndarray, np.ndarray], np.ndarray] | None:
    if similarity is None:
        return None

    def weights(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        # scipy answers an empty pair list with an empty sparse matrix rather than an array.
        return np.asarray(similarity[rows, cols], dtype=np.float64).ravel() if len(rows) else np.zeros(0)

    return weights


def reason_text(kind: str, anchor_title: str | None, is_tail: bool) -> str:
    """E.g. "tail pick: customers who bought WHITE METAL LANTERN also bought this", "similar to X, which you
    bought", "popular now". The anchor is always one of the user's own items, and the reason says so: a bare "bought
    X" read to shoppers as a claim about the item. A tail item that nothing the user bought leads to is there
    because the tail calibration reserves room for less-known items, not because it is popular: it reads "tail
    pick: less known, for variety" rather than a contradiction."""
    if kind not in (BOUGHT, SIMILAR):
        return "tail pick: less known, for variety" if is_tail else "popular now"
    if kind == BOUGHT:
        text = f"customers who bought {anchor_title} also bought this"
    else:
        text = f"similar to {anchor_title}, which you bought"
    return f"tail pick: {text}" if is_tail else text


def similar_floor(vectors: np.ndarray, percentile: float = SIMILAR_PAIR_PERCENTILE, seed: int = 0) -> float:
    """The ``percentile`` of the dot products of ``RANDOM_PAIRS`` random pairs of distinct items among the rows of
    ``vectors`` (n_items, dim; unit rows, all-zero rows for items without text, which are left out): two items whose
    product reaches it are more alike than that share of the shop's pairs. ``inf`` (nothing is similar enough)
    with fewer than two items with a vector."""
    with_text = np.flatnonzero(np.any(vectors != 0, axis=1))
    if len(with_text) < 2:
        return np.inf
    rng = np.random.default_rng(seed)
    first = rng.choice(with_text, RANDOM_PAIRS)
    # A second index drawn from the other n - 1 items, so no pair is an item with itself.
    second = with_text[
        (np.searchsorted(with_text, first) + rng.integers(1, len(with_text), RANDOM_PAIRS)) % len(with_text)
    ]
    return float(np.percentile(np.einsum("ij,ij->i", vectors[first], vectors[second]), percentile))


def alike_enough(similarity: sp.csr_matrix | None, vectors: np.ndarray | None) -> sp.csr_matrix | None:
    """The entries of ``similarity`` ((n_items, n_items) sparse, e.g. a neighbour table's) whose two items'
    ``vectors`` ((n_items, dim), unit rows, zero rows for items without text) reach ``similar_floor``: what may be
    called "similar to X, which you bought". A neighbour table holds each item's top k whatever they are: on the
    116-item 5-core shop one item's 20 nearest are a sixth of the shop, and 99.5% of the list reasons they gave
    ("mouthwash, similar to cotton socks, which you bought") were below the floor. None without either."""
    if similarity is None or vectors is None:
        return None
    floor = similar_floor(vectors)
    pairs = similarity.tocoo()
    alike = np.einsum("ij,ij->i", vectors[pairs.row], vectors[pairs.col]) >= floor
    return sp.csr_matrix((pairs.data[alike], (pairs.row[alike], pairs.col[alike])), shape=similarity.shape)
