"""Baseline recommenders for the evaluation protocol: MostPopular, ItemKNN and EASE.

All models take implicit feedback as a ``scipy.sparse`` matrix of shape ``(n_users, n_items)`` and binarise it
(any stored value > 0 means "interacted"; counts are not used as weights). They share the ``Recommender`` API:
``fit(X) -> self``, ``score(users) -> (len(users), n_items) float32`` and
``recommend(users, k, exclude_seen=True) -> (len(users), k) int`` item indices, best first, padded with -1.
"""

from longtail.recommenders.base import Recommender, check_interactions
from longtail.recommenders.ease import EASE, tune_l2
from longtail.recommenders.itemknn import ItemKNN
from longtail.recommenders.popularity import MostPopular

__all__ = ["EASE", "ItemKNN", "MostPopular", "Recommender", "check_interactions", "tune_l2"]
