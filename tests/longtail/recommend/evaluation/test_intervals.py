import numpy as np
import pytest
import scipy.sparse as sp

from longtail.recommend.evaluation.intervals import INTERVAL_METRICS, bootstrap_intervals, per_user_values
from longtail.recommend.evaluation.metrics import evaluate


def random_case(seed: int = 0, n_users: int = 300, n_items: int = 80):
    rng = np.random.default_rng(seed)
    targets = sp.csr_matrix((rng.random((n_users, n_items)) < 0.04).astype(np.float64))
    lists = np.array([rng.permutation(n_items)[:20] for _ in range(n_users)])
    lists[:5, 15:] = -1  # short lists are padded
    tail = rng.random(n_items) < 0.6
    return lists, targets, tail


def test_per_user_values_average_to_the_reported_metrics():
    lists, targets, tail = random_case()
    figures = evaluate(lists, targets, tail, np.arange(len(tail), dtype=float), ks=(10, 20))
    values = per_user_values(lists, targets, tail)
    for metric in ("ndcg@10", "recall@20", "tail_recall@20", "aplt@10"):
        assert np.nanmean(values[metric]) == pytest.approx(figures[metric], abs=1e-12)


def test_bootstrap_intervals_bracket_the_figures_and_pair_the_ratios():
    lists, targets, tail = random_case(1)
    better = lists.copy()
    # The "system" moves each user's first target to the front: better on every accuracy metric.
    for user in range(targets.shape[0]):
        wanted = targets[user].indices
        if len(wanted):
            row = [item for item in better[user] if item != wanted[0]]
            better[user] = [wanted[0], *row[:19]]
    intervals, ratios = bootstrap_intervals({"system": better, "base": lists}, targets, tail, "system", 300)
    assert set(intervals) == {"system", "base"} and set(intervals["base"]) == set(INTERVAL_METRICS)
    figures = evaluate(better, targets, tail, np.ones(len(tail)), ks=(10, 20))
    for metric in INTERVAL_METRICS:
        low, high = intervals["system"][metric]
        assert low <= figures[metric] <= high
    ndcg = ratios["base"]["ndcg@10"]
    assert ndcg["ratio"] > 1 and ndcg["ci95"][0] > 1  # paired: the gain holds on every resample
    same, _ = bootstrap_intervals({"system": lists, "base": lists}, targets, tail, "system", 50)
    _, identical = bootstrap_intervals({"system": lists, "base": lists}, targets, tail, "system", 50)
    assert identical["base"]["recall@20"] == {"ratio": 1.0, "ci95": [1.0, 1.0]}
    assert same["system"] == same["base"]


def test_the_coverage_interval_is_centred_on_the_figure_despite_the_resampling_bias():
    lists, targets, tail = random_case(2, n_users=200, n_items=2000)
    intervals, _ = bootstrap_intervals({"system": lists}, targets, tail, "system", 300)
    figure = evaluate(lists, targets, tail, np.ones(len(tail)), ks=(10, 20))["coverage@10"]
    low, high = intervals["system"]["coverage@10"]
    assert low <= figure <= high
