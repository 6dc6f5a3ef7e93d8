"""95% intervals of the headline metrics, by a bootstrap over evaluated users, and paired intervals of the system's
ratio to each baseline.

Every model is scored on the same resamples of users, so a ratio's interval reflects how the two models differ on
the same people, not how two independent samples could. A metric that averages over users (NDCG@10, recall@20,
tail recall@20, APLT@10) is the mean of the per-user values of the resampled users who count for it (those with a
target, with a tail target, with a list); coverage@10 is the share of the catalogue in the resampled users' top
10s, shifted by its bootstrap bias (a resample holds fewer distinct users, so it reaches fewer items).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp

from longtail.recommend.evaluation.metrics import target_hits

INTERVAL_METRICS = ("ndcg@10", "recall@20", "tail_recall@20", "aplt@10", "coverage@10")
N_RESAMPLES = 500


def per_user_values(recommended: np.ndarray, targets: sp.csr_matrix, tail: np.ndarray) -> dict[str, np.ndarray]:
    """Per evaluated user ``(n_users,)`` float arrays of NDCG@10, recall@20, tail recall@20 and APLT@10, NaN
    where the user does not count (no target, no tail target, an empty list). ``recommended`` are item indices
    ``(n_users, >= 20)`` (-1 pads), ``targets`` users x items in the same row order, ``tail`` ``(n_items,)`` bool.
    Their means over the users who count are ``longtail.recommend.evaluation.metrics.evaluate``'s figures."""
    targets = sp.csr_matrix(targets)
    hits = target_hits(recommended, targets)
    n_targets = np.diff(targets.indptr)
    discounts = 1.0 / np.log2(np.arange(2, 12))
    ideal = np.cumsum(discounts)[np.clip(np.minimum(n_targets, 10) - 1, 0, None)]
    rows = np.repeat(np.arange(targets.shape[0]), n_targets)
    n_tail = np.bincount(rows, weights=tail[targets.indices], minlength=targets.shape[0])
    top20 = recommended[:, :20]
    tail_hits = (hits[:, :20] & np.where(top20 >= 0, tail[np.maximum(top20, 0)], False)).sum(axis=1)
    top10 = recommended[:, :10]
    filled = (top10 >= 0).sum(axis=1)
    in_tail = np.where(top10 >= 0, tail[np.maximum(top10, 0)], False).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "ndcg@10": np.where(n_targets > 0, (hits[:, :10] @ discounts) / ideal, np.nan),
            "recall@20": np.where(n_targets > 0, hits[:, :20].sum(axis=1) / n_targets, np.nan),
            "tail_recall@20": np.where(n_tail > 0, tail_hits / n_tail, np.nan),
            "aplt@10": np.where(filled > 0, in_tail / filled, np.nan),
        }


def bootstrap_intervals(
    lists: Mapping[str, np.ndarray],
    targets: sp.csr_matrix,
    tail: np.ndarray,
    system: str,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
) -> tuple[dict[str, dict[str, list[float]]], dict[str, dict[str, dict]]]:
    """``(intervals, ratios)`` for the models' ``lists`` (name -> ``(n_users, >= 20)`` item indices, the same users
    in the same order as ``targets``).

    ``intervals[model][metric]`` is the 95% percentile interval ``[low, high]`` of each of ``INTERVAL_METRICS``;
    ``ratios[baseline][metric]`` is ``{"ratio", "ci95"}``: ``system``'s figure over the baseline's, and its paired
    interval (resamples where the baseline's figure is 0 are left out; None when all are).
    """
    n_users = targets.shape[0]
    rng = np.random.default_rng(seed)
    resamples = rng.integers(0, n_users, size=(n_resamples, n_users))
    full = np.arange(n_users)[None, :]
    statistics, points = {}, {}
    for name, recommended in lists.items():
        values = per_user_values(recommended, targets, tail)
        statistics[name] = _resampled(values, recommended, len(tail), resamples)
        points[name] = _resampled(values, recommended, len(tail), full)
    for name, by_metric in statistics.items():
        # A resample repeats some users and misses others (about 37%), so it reaches fewer items: coverage is
        # biased low on every resample. Shifting the resamples by that bias centres them on the figure.
        coverage = by_metric["coverage@10"]
        by_metric["coverage@10"] = coverage + (points[name]["coverage@10"][0] - np.nanmean(coverage))
    intervals = {
        name: {metric: _percentiles(values) for metric, values in by_metric.items()}
        for name, by_metric in statistics.items()
    }
    ratios = {}
    for name in lists:
        if name == system:
            continue
        ratios[name] = {}
        for metric in INTERVAL_METRICS:
            ours, theirs = statistics[system][metric], statistics[name][metric]
            valid = np.isfinite(ours) & np.isfinite(theirs) & (theirs > 0)
            point_theirs = points[name][metric][0]
            ratios[name][metric] = {
                "ratio": _round(points[system][metric][0] / point_theirs) if point_theirs > 0 else None,
                "ci95": _percentiles(ours[valid] / theirs[valid]) if valid.any() else None,
            }
    return intervals, ratios


def _resampled(
    values: dict[str, np.ndarray], recommended, n_items: int, resamples: np.ndarray
) -> dict[str, np.ndarray]:
    """Each metric of ``INTERVAL_METRICS`` on each row of user indices ``resamples``: ``(n_resamples,)`` arrays, from
    the ``per_user_values`` and the lists ``recommended`` of a catalogue of ``n_items``."""
    out = {}
    for metric, per_user in values.items():
        picked = per_user[resamples]
        counted = np.isfinite(picked)
        sums = np.where(counted, picked, 0.0).sum(axis=1)
        out[metric] = np.where(counted.any(axis=1), sums / np.maximum(counted.sum(axis=1), 1), np.nan)
    top10 = recommended[:, :10]
    out["coverage@10"] = np.array(
        [len(np.unique(top10[rows][top10[rows] >= 0])) / n_items if n_items else np.nan for rows in resamples]
    )
    return out


def _percentiles(values: np.ndarray) -> list[float] | None:
    values = values[np.isfinite(values)]
    if not len(values):
        return None
    low, high = np.percentile(values, [2.5, 97.5])
    return [_round(low), _round(high)]


def _round(value: float) -> float:
    return round(float(value), 5)
