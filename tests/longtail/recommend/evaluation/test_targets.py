import math

import pytest

from longtail.recommend.evaluation.targets import COMPARISON_COLUMNS, TARGETS, target_comparison


def report(system: dict, **baselines: dict) -> dict:
    return {"system": "longtail_hybrid", "models": {**baselines, "longtail_hybrid": system}}


def test_each_target_is_a_multiple_of_the_best_baseline_on_that_metric():
    table = target_comparison(
        report(
            {"ndcg@10": 0.12, "tail_recall@20": 0.05, "coverage@10": 0.3},
            EASE={"ndcg@10": 0.11, "tail_recall@20": 0.006, "coverage@10": 0.21},
            ContentKNN={"ndcg@10": 0.02, "tail_recall@20": 0.02, "coverage@10": 0.35},
        )
    ).set_index("metric")
    assert list(table.reset_index().columns) == COMPARISON_COLUMNS and list(table.index) == list(TARGETS)
    assert table.loc["ndcg@10", "best_baseline"] == "EASE" and table.loc["ndcg@10", "met"]
    assert table.loc["ndcg@10", "ratio"] == pytest.approx(0.12 / 0.11)
    tail = table.loc["tail_recall@20"]
    assert tail["best_baseline"] == "ContentKNN" and tail["target"] == 0.08 and not tail["met"]
    coverage = table.loc["coverage@10"]
    assert coverage["baseline"] == 0.35 and coverage["target"] == 0.525 and not coverage["met"]


def test_missing_figures_count_as_zero_and_a_zero_baseline_has_no_ratio():
    table = target_comparison(
        report({"ndcg@10": 0.1, "tail_recall@20": None}, MostPopular={"ndcg@10": 0.1, "tail_recall@20": 0.0}),
        targets={"ndcg@10": 1.0, "tail_recall@20": 4.0},
    ).set_index("metric")
    assert table.loc["ndcg@10", "met"] and table.loc["ndcg@10", "ratio"] == 1.0
    assert table.loc["tail_recall@20", "longtail"] == 0.0 and table.loc["tail_recall@20", "met"]
    assert math.isnan(table.loc["tail_recall@20", "ratio"])
