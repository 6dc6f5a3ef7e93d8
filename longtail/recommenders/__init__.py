"""Recommenders: the baselines (MostPopular, ItemKNN, EASE, ALS, ContentKNN) and longtail's LongTailHybrid.

All models take implicit feedback as a ``scipy.sparse`` matrix of shape ``(n_users, n_items)`` and binarise it
(any stored value > 0 means "interacted"; counts are not used as weights). They share the ``Recommender`` API:
``fit(X) -> self``, ``score(users) -> (len(users), n_items) float32`` and
``recommend(users, k, exclude_seen=True) -> (len(users), k) int`` item indices, best first, padded with -1.
"""

from longtail.recommenders.als import ALS
from longtail.recommenders.base import Recommender, check_interactions
from longtail.recommenders.content import ContentKNN
from longtail.recommenders.ease import EASE, tune_l2
from longtail.recommenders.hybrid import LongTailHybrid
from longtail.recommenders.itemknn import ItemKNN
from longtail.recommenders.popularity import MostPopular

__all__ = [
    "ALS",
    "EASE",
    "ContentKNN",
    "ItemKNN",
    "LongTailHybrid",
    "MostPopular",
    "Recommender",
    "check_interactions",
    "tune_l2",
]
