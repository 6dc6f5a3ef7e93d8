"""Offline evaluation of recommendation lists: the global temporal split (``split``) and top-k metrics
(``metrics``); ``offline`` runs every model on one split, ``datasets`` every dataset, ``targets`` compares the
system with the baselines."""

from longtail.recommend.evaluation.metrics import (
    aplt_at_k,
    by_popularity_bucket,
    coverage_at_k,
    evaluate,
    gini_at_k,
    hit_rate_at_k,
    ndcg_at_k,
    novelty_at_k,
    popularity_buckets,
    recall_at_k,
    tail_recall_at_k,
)
from longtail.recommend.evaluation.split import InteractionData, Split, recency_weights, temporal_split
from longtail.recommend.matrices import head_mask, item_popularity, tail_items

__all__ = [
    "InteractionData",
    "Split",
    "aplt_at_k",
    "by_popularity_bucket",
    "coverage_at_k",
    "evaluate",
    "gini_at_k",
    "head_mask",
    "hit_rate_at_k",
    "item_popularity",
    "ndcg_at_k",
    "novelty_at_k",
    "popularity_buckets",
    "recall_at_k",
    "recency_weights",
    "tail_items",
    "tail_recall_at_k",
    "temporal_split",
]
