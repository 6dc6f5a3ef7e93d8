"""Which safety factor an item's stock level gets: its stock group, the demand class (``longtail.demand.classes``)
or ``NEW`` for the items first sold a short while before a plan (``longtail.demand.replenishment`` tunes one factor
per group)."""

from __future__ import annotations

import numpy as np

from longtail.demand.models import features_of
from longtail.demand.series import Panel

# Items first sold at most this many weeks before a plan (two months; not tuned) form their own stock group, NEW,
# with its own safety factor. Their demand class is read from a few weeks (an item sold in both of its first two
# weeks reads as smooth) and their quantile spread is wide, so the factor tuned on the older items of their class
# (up to 6) put their S at up to 10 times their units so far.
NEW_ITEM_WEEKS = 8
NEW = "new"


def stock_groups(panel: Panel, origin: int, classes: np.ndarray | None = None) -> np.ndarray:
    """(n_items,) every panel item's stock group at ``origin``: ``NEW`` for the items first sold at most
    ``NEW_ITEM_WEEKS`` weeks before it, else its class in ``classes`` (n_items,), by default its demand class at
    ``origin`` (``classes_at``; "" for items not sold by then)."""
    groups = (classes_at(panel, origin) if classes is None else classes).copy()
    history = panel.history(origin)
    groups[history.rows[history.age() <= NEW_ITEM_WEEKS]] = NEW
    return groups


def classes_at(panel: Panel, origin: int) -> np.ndarray:
    """(n_items,) the demand class of every panel item at ``origin`` ("" for items that had not sold by then)."""
    history = panel.history(origin)
    classes = np.full(len(panel.item_ids), "", dtype=object)
    classes[history.rows] = features_of(history)[0]["demand_class"].to_numpy()
    return classes
