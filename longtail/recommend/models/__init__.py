"""Recommenders: the baselines (MostPopular, ItemKNN, EASE, ALS, ContentKNN, RP3Beta) and longtail's LongTailHybrid.

All models take implicit feedback as a ``scipy.sparse`` matrix of shape ``(n_users, n_items)`` and binarise it
(any stored value > 0 means "interacted"; counts are not used as weights). They share the ``Recommender`` API:
``fit(X) -> self``, ``score(users) -> (len(users), n_items) float32`` and
``recommend(users, k, exclude_seen=True) -> (len(users), k) int`` item indices, best first, padded with -1.
"""

from longtail.recommend.matrices import check_interactions
from longtail.recommend.models.als import ALS
from longtail.recommend.models.base import Recommender
from longtail.recommend.models.content import ContentKNN
from longtail.recommend.models.ease import EASE, tune_l2
from longtail.recommend.models.hybrid import LongTailHybrid
from longtail.recommend.models.itemknn import ItemKNN
from longtail.recommend.models.popularity import MostPopular
from longtail.recommend.models.rp3beta import RP3Beta

__all__ = [
    "ALS",
    "EASE",
    "ContentKNN",
    "ItemKNN",
    "LongTailHybrid",
    "MostPopular",
    "RP3Beta",
    "Recommender",
    "check_interactions",
    "tune_l2",
]
