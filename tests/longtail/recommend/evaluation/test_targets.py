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


def test_a_target_is_met_only_where_the_paired_interval_supports_it():
    figures = report(
        {"ndcg@10": 0.12, "tail_recall@20": 0.05, "coverage@10": 0.4},
        EASE={"ndcg@10": 0.11, "tail_recall@20": 0.01, "coverage@10": 0.2},
    )
    figures["ratios"] = {
        "EASE": {
            "ndcg@10": {"ratio": 1.09, "ci95": [0.97, 1.2]},  # could lose 3%: not supported
            "tail_recall@20": {"ratio": 5.0, "ci95": [4.1, 6.0]},
            "coverage@10": {"ratio": 2.0, "ci95": [1.4, 2.6]},  # could be under 1.5x
        }
    }
    table = target_comparison(figures).set_index("metric")
    assert table["met"].to_dict() == {"ndcg@10": False, "tail_recall@20": True, "coverage@10": False}
    assert table.loc["ndcg@10", "ratio_ci95"] == [0.97, 1.2] and table.loc["ndcg@10", "floor"] == 0.98
    figures["ratios"]["EASE"]["ndcg@10"]["ci95"] = [0.985, 1.2]  # a loss of at most 1.5%: supported
    assert target_comparison(figures).set_index("metric").loc["ndcg@10", "met"]
