"""Human-readable reasons for recommended items: which of the user's own items led to each one."""

from __future__ import annotations

from collections.abc import Callable

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
) -> tuple[np.ndarray, np.ndarray]:
    """The anchor item and the kind of reason for every recommended item.

    Args:
        history: (n_users, n_items) csr, the users' own items (weights > 0, e.g. recency or counts).
        recommended: (n_users, k) item indices, -1 for empty slots.
        collaborative: ``f(sources, targets) -> (len(sources), len(targets))`` item-to-item weights (e.g.
            ``EASE.weights_between``), or None.
        similarity: (n_items, n_items) sparse content or blended similarity, or None.

    Returns:
        ``(anchors, kinds)``, both (n_users, k). ``anchors`` holds the index of the user's item that contributes
        most (-1 when none does); ``kinds`` is ``"bought"`` when that contribution is collaborative ("people who
        bought your item bought this"), ``"similar"`` when it is content similarity and no collaborative weight
        is positive, ``"popular"`` otherwise (cold-start users, or no link to the user's items), "" for empty
        slots.
    """
    n_users, k = recommended.shape
    anchors = np.full((n_users, k), -1, dtype=np.int64)
    kinds = np.full((n_users, k), POPULAR, dtype=object)
    kinds[recommended < 0] = ""
    for user in range(n_users):
        items = history.indices[history.indptr[user] : history.indptr[user + 1]]
        weights = history.data[history.indptr[user] : history.indptr[user + 1]]
        slots = np.flatnonzero(recommended[user] >= 0)
        if not len(items) or not len(slots):
            continue
        targets = recommended[user, slots]
        found = np.zeros(len(slots), dtype=bool)
        if collaborative is not None:
            contribution = weights[:, None] * collaborative(items, targets)
            best = contribution.argmax(axis=0)
            found = contribution[best, np.arange(len(slots))] > 0
            anchors[user, slots[found]] = items[best[found]]
            kinds[user, slots[found]] = BOUGHT
        if similarity is not None and not found.all():
            rest = ~found
            similar = similarity[items][:, targets[rest]].toarray() * weights[:, None]
            best = similar.argmax(axis=0)
            linked = similar[best, np.arange(int(rest.sum()))] > 0
            chosen = slots[rest][linked]
            anchors[user, chosen] = items[best[linked]]
            kinds[user, chosen] = SIMILAR
    return anchors, kinds


def reason_text(kind: str, anchor_title: str | None, is_tail: bool) -> str:
    """E.g. "tail pick: bought WHITE METAL LANTERN", "similar to ...", "popular now"."""
    text = {BOUGHT: f"bought {anchor_title}", SIMILAR: f"similar to {anchor_title}"}.get(kind, "popular now")
    return f"tail pick: {text}" if is_tail else text
