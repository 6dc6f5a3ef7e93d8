"""Human-readable reasons for recommended items: which of the user's own items led to each one."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

BOUGHT = "bought"
SIMILAR = "similar"
POPULAR = "popular"


def explain(
    history: sp.csr_matrix,
    recommended: np.ndarray,
    collaborative: Callable[[np.ndarray, np.ndarray], np.ndarray] | None,
    similarity: sp.csr_matrix | None,
    *,
    batch_size: int = 1024,
) -> tuple[np.ndarray, np.ndarray]:
    """The anchor item and the kind of reason for every recommended item.

    Args:
        history: (n_users, n_items) csr, the users' own items (weights > 0, e.g. recency or counts).
        recommended: (n_users, k) item indices, -1 for empty slots.
        collaborative: ``f(sources, targets) -> (n,)``, the item-to-item weight of each pair ``(sources[i],
            targets[i])`` (e.g. ``EASE.pair_weights``), or None.
        similarity: (n_items, n_items) sparse content or blended similarity, or None.
        batch_size: users explained at a time; memory grows with their history entries times ``k``.

    Returns:
        ``(anchors, kinds)``, both (n_users, k). ``anchors`` holds the index of the user's item that contributes
        most (its weight times the item-to-item weight; the first in the user's history on ties; -1 when none
        does); ``kinds`` is ``"bought"`` when that contribution is collaborative ("people who bought your item
        bought this"), ``"similar"`` when it is content similarity and no collaborative weight is positive,
        ``"popular"`` otherwise (cold-start users, or no link to the user's items), "" for empty slots.
    """
    n_users, k = recommended.shape
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


def _lookup(similarity: sp.csr_matrix | None) -> Callable[[np.ndarray, np.ndarray], np.ndarray] | None:
    if similarity is None:
        return None

    def weights(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        # scipy answers an empty pair list with an empty sparse matrix rather than an array.
        return np.asarray(similarity[rows, cols], dtype=np.float64).ravel() if len(rows) else np.zeros(0)

    return weights


def reason_text(kind: str, anchor_title: str | None, is_tail: bool) -> str:
    """E.g. "tail pick: bought WHITE METAL LANTERN", "similar to ...", "popular now". A tail item that nothing the
    user bought leads to is there because the tail calibration reserves room for less-known items, not because it is
    popular: it reads "tail pick: less known, for variety" rather than a contradiction."""
    if kind not in (BOUGHT, SIMILAR):
        return "tail pick: less known, for variety" if is_tail else "popular now"
    text = f"bought {anchor_title}" if kind == BOUGHT else f"similar to {anchor_title}"
    return f"tail pick: {text}" if is_tail else text
