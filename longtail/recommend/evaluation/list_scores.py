"""The figures every model of the offline evaluation is scored by: its top-``LIST_LENGTH`` lists of the evaluated
users of an ``InteractionData``, through ``metrics.evaluate``, plus how far the lists are from each user's tail
appetite."""

from __future__ import annotations

import time

import numpy as np

from longtail.recommend.evaluation.metrics import evaluate, ndcg_at_k
from longtail.recommend.evaluation.split import InteractionData
from longtail.recommend.matrices import item_popularity, tail_items
from longtail.recommend.profiles import shrunk_tail_appetite

# Every list the evaluation scores is this long: the metrics are at 10 and 20.
LIST_LENGTH = 20
# The metrics the reports show, in order.
REPORTED = (
    "ndcg@10", "recall@20", "tail_recall@20", "aplt@10", "coverage@10", "gini@10", "novelty@10", "appetite_gap@10",
)  # fmt: skip


def ndcg10(model, data: InteractionData) -> float:
    return ndcg_at_k(model.recommend(data.eval_users, 10), data.test_targets, 10)


def model_metrics(model, data: InteractionData) -> dict:
    return list_metrics(model.recommend(data.eval_users, LIST_LENGTH), data)


def list_metrics(recommended: np.ndarray, data: InteractionData) -> dict:
    """``evaluate``'s metrics of the top-``LIST_LENGTH`` lists ``recommended`` (one row per evaluated user),
    plus ``appetite_gap@10``: the mean absolute difference between the share of tail items in a user's top 10 and
    that user's tail appetite (``shrunk_tail_appetite`` of the training side), i.e. how far lists are from what
    each user buys; 0 means every list is calibrated to its user."""
    tail = tail_items(data.train)
    figures = evaluate(recommended, data.test_targets, tail, item_popularity(data.train))
    top = recommended[:, :10]
    list_share = np.where(top >= 0, tail[np.maximum(top, 0)], False).sum(axis=1) / np.maximum((top >= 0).sum(axis=1), 1)
    appetite = shrunk_tail_appetite(data.train, tail)[data.eval_users]
    figures["appetite_gap@10"] = float(np.abs(list_share - appetite).mean())
    return {name: rounded(value) for name, value in figures.items()}


def timed_metrics(model, data: InteractionData, fit_seconds: float) -> tuple[dict, np.ndarray]:
    """``(metrics, lists)`` of the fitted ``model``: its top-``LIST_LENGTH`` lists of the evaluated users and their
    metrics, with ``seconds``: ``fit_seconds`` plus the time spent recommending."""
    started = time.perf_counter()
    lists = model.recommend(data.eval_users, LIST_LENGTH)
    figures = list_metrics(lists, data)
    figures["seconds"] = round(fit_seconds + time.perf_counter() - started, 2)
    return figures, lists


def rounded(value: float) -> float | None:
    return None if not np.isfinite(value) else round(float(value), 5)
