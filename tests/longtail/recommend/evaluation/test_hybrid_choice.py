import pytest

from longtail.recommend.evaluation.hybrid_choice import accuracy_floor, choose


def test_the_floor_is_the_best_baseline_on_validation_ndcg():
    figures = {
        "MostPopular": {"ndcg@10": 0.05},
        "EASE": {"ndcg@10": 0.10},
        "ALS": {"ndcg@10": 0.12},
        "ContentKNN": {"ndcg@10": None},  # no figure: counts as 0
    }
    assert accuracy_floor(figures, ("MostPopular", "EASE", "ALS", "ContentKNN", "RP3beta")) == {
        "model": "ALS",
        "ndcg@10": 0.12,
    }
    assert accuracy_floor(figures, ("EASE",)) == {"model": "EASE", "ndcg@10": 0.10}
    with pytest.raises(ValueError, match="none of the floor models"):
        accuracy_floor(figures, ("RP3beta",))


def test_the_choice_is_the_most_accurate_point_above_the_floor_that_reaches_the_targets():
    ease = {"ndcg@10": 0.10, "tail_recall@20": 0.01, "coverage@10": 0.2}
    point = lambda ndcg, tail, coverage, weight: {  # noqa: E731
        "ndcg@10": ndcg,
        "tail_recall@20": tail,
        "coverage@10": coverage,
        "recent_weight": weight,
        "popularity_exponent": 0.0,
        "tail_weight": 0.0,
        "content_weight": 0.0,
        "sentiment_weight": 0.0,
        "history_recency": 1.0,
        "als_weight": 0.0,
    }
    points = [point(0.12, 0.01, 0.2, 0.1), point(0.11, 0.05, 0.35, 0.2), point(0.105, 0.09, 0.5, 0.3)]
    assert choose(points, 0.10, ease)["recent_weight"] == 0.2
    # A higher floor (another baseline more accurate than EASE) rules out the points below it.
    assert choose(points, 0.108, ease)["recent_weight"] == 0.2
    assert choose(points, 0.115, ease)["recent_weight"] == 0.1
    # No point reaches the floor: the most accurate one, whatever its tail.
    assert choose([point(0.09, 0.09, 0.5, 0.4), point(0.095, 0.0, 0.1, 0.5)], 0.10, ease)["recent_weight"] == 0.5
    # Too few validation users to measure a trade: the most accurate point, though another reaches the targets.
    assert choose(points, 0.10, ease, trade=False)["recent_weight"] == 0.1
