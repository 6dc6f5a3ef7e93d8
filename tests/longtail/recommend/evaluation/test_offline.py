import dataclasses
import io

import numpy as np
import pandas as pd
import pytest

from longtail.recommend.evaluation.offline import SYSTEM, EvaluationSettings, evaluate_offline, split_events
from longtail.recommend.evaluation.validation import hybrid_grid
from tests.fixtures import shop_history

SMALL_GRID = EvaluationSettings(
    l2_grid=(10.0, 100.0),
    recent_weights=(0.0, 0.5),
    popularity_exponents=(0.0, 0.5),
    tail_weights=(0.0, 0.5),
    als_weights=(0.0, 0.5),
)
# The grid's points beyond those of recency, popularity and tail: the history's weighting and ALS's weight.
HISTORY_AND_ALS = len(SMALL_GRID.history_recencies) * len(SMALL_GRID.als_weights)


@pytest.fixture(scope="module")
def events():
    frame = pd.read_csv(io.StringIO(shop_history()[0]))
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    return frame


def test_report_has_every_model_on_one_split_and_tunes_on_earlier_data(events):
    vectors = (np.array([f"i{n}" for n in range(60)]), np.eye(8, dtype=np.float32)[np.arange(60) % 8] + 0.01)
    report = evaluate_offline(events, dataset="shop", item_vectors=vectors, settings=SMALL_GRID)
    assert report["system"] == SYSTEM
    assert set(report["models"]) == {"MostPopular", "ItemKNN", "EASE", "ALS", "RP3beta", "ContentKNN", SYSTEM}
    split = report["split"]
    assert pd.Timestamp(split["validation_cut"]) < pd.Timestamp(split["cut"])
    assert split["train_events"] + split["test_events"] == len(events)
    assert report["tuning"]["ease_l2"] in SMALL_GRID.l2_grid
    assert len(report["tuning"]["hybrid_validation"]) == 2 * 2 * 2 * 2 * HISTORY_AND_ALS
    # The choice's accuracy floor is the best baseline's validation NDCG@10, and the report says whose.
    floor = report["tuning"]["hybrid_floor"]
    baselines = report["tuning"]["baselines"]
    assert floor["ndcg@10"] >= max(
        [report["tuning"]["ease_validation"]["ndcg@10"]]
        + [tuned["validation"]["ndcg@10"] for name, tuned in baselines.items() if name != "EASE"]
    )
    validation = [point["ndcg@10"] for point in report["tuning"]["hybrid_validation"]]
    assert floor["reached"] == (max(validation) >= floor["ndcg@10"])
    assert report["tuning"]["hybrid"]["recent_weight"] in SMALL_GRID.recent_weights
    assert report["models"]["MostPopular"]["aplt@10"] == 0.0  # the most popular items are the head
    assert all(0 <= figures["coverage@10"] <= 1 for figures in report["models"].values())
    assert all(0 <= figures["appetite_gap@10"] <= 1 for figures in report["models"].values())
    # A 95% interval beside each headline metric, and the system's paired ratio to every baseline.
    for figures in report["models"].values():
        low, high = figures["ndcg@10_ci95"]
        assert low <= figures["ndcg@10"] <= high
    assert set(report["ratios"]) == set(report["models"]) - {SYSTEM}
    ease = report["ratios"]["EASE"]["ndcg@10"]
    assert ease["ratio"] == pytest.approx(
        report["models"][SYSTEM]["ndcg@10"] / report["models"]["EASE"]["ndcg@10"], rel=1e-3
    )
    assert {"popularity_exponent", "tail_weight", "ndcg@10", "aplt@10"} <= set(report["tradeoff"][0])
    # The run's seconds cover every baseline's fit and lists; the hybrid's count the EASE it shares with EASE's.
    baselines = [figures["seconds"] for name, figures in report["models"].items() if name != SYSTEM]
    assert report["seconds"] >= sum(baselines) - 0.1
    assert report["models"][SYSTEM]["seconds"] >= report["models"]["EASE"]["seconds"] - 0.1


def test_without_vectors_the_content_models_are_left_out(events):
    report = evaluate_offline(events, dataset="shop", settings=SMALL_GRID)
    assert "ContentKNN" not in report["models"]
    assert report["tuning"]["hybrid"]["content_weight"] == 0.0


def test_a_thin_test_window_is_widened_to_the_minimum_share(events):
    split = split_events(events, EvaluationSettings(test_days=1, min_test_share=0.2))
    assert len(split.test) >= 0.2 * len(events)
    assert split.train["ts"].max() < split.test["ts"].min()


def test_ordinal_time_splits_on_the_order_number():
    frame = pd.DataFrame(
        {"user_id": ["u1"] * 4 + ["u2"] * 4, "item_id": list("abcdabce"), "order_number": [1, 2, 3, 4] * 2}
    )
    split = split_events(frame, EvaluationSettings(test_days=1, time_column="order_number"))
    assert split.test["order_number"].tolist() == [4, 4]


def test_calibration_brings_lists_closer_to_each_users_appetite(events):
    settings = EvaluationSettings(
        l2_grid=(10.0,), recent_weights=(0.0,), popularity_exponents=(0.0,), tail_weights=(0.0,), content_weights=(0.0,)
    )
    report = evaluate_offline(events, dataset="shop", settings=settings)
    gaps = {
        point["tail_weight"]: point["appetite_gap@10"]
        for point in report["tradeoff"]
        if point["popularity_exponent"] == 0
    }
    assert gaps[0.8] < gaps[0.0]


def test_at_an_als_weight_of_1_the_grid_leaves_out_the_ease_terms_recency_settings():
    settings = EvaluationSettings(
        recent_weights=(0.0, 0.3, 0.6), history_recencies=(0.0, 1.0), als_weights=(0.0, 0.25, 1.0)
    )
    grid = hybrid_grid(settings, content=True, sentiment=False)
    others = len(settings.popularity_exponents) * len(settings.tail_weights) * len(settings.content_weights)
    assert len(grid) == others * (3 * 2 * 2 + 1)
    only_als = [point for point in grid if point["als_weight"] == 1.0]
    assert {(p["recent_weight"], p["history_recency"]) for p in only_als} == {(0.0, 0.0)}
    assert len({tuple(point.items()) for point in grid}) == len(grid)


def test_item_sentiment_is_weighed_only_from_reviews_before_each_cut(events):
    split = split_events(events, SMALL_GRID)
    after_cut = pd.DataFrame({"item_id": ["i1", "i2"], "score": [1.0, -1.0], "ts": [split.cut] * 2})
    report = evaluate_offline(events, dataset="shop", review_scores=after_cut, settings=SMALL_GRID)
    assert report["sentiment_effect"] == [] and report["split"]["reviewed_items"] == 0
    assert len(report["tuning"]["hybrid_validation"]) == 2 * 2 * 2 * HISTORY_AND_ALS

    early = events["ts"].min()
    before_cut = pd.DataFrame({"item_id": ["i1", "i2", "i3"], "score": [1.0, -1.0, 0.5], "ts": [early] * 3})
    report = evaluate_offline(events, dataset="shop", review_scores=before_cut, settings=SMALL_GRID)
    assert [point["sentiment_weight"] for point in report["sentiment_effect"]] == list(SMALL_GRID.sentiment_weights)
    grid = 2 * 2 * 2 * len(SMALL_GRID.sentiment_weights) * HISTORY_AND_ALS
    assert len(report["tuning"]["hybrid_validation"]) == grid
    assert report["tuning"]["hybrid"]["sentiment_weight"] in SMALL_GRID.sentiment_weights
    assert report["split"]["reviewed_items"] == 3


def test_changing_only_the_test_window_leaves_every_tuning_choice_identical(events):
    split = split_events(events, SMALL_GRID)
    early = events["ts"].min()
    reviews = pd.DataFrame(
        {"item_id": ["i1", "i2", "i3", "i4"], "score": [1.0, -1.0, 0.5, -0.5], "ts": [early] * 2 + [split.cut] * 2}
    )
    report = evaluate_offline(events, dataset="shop", review_scores=reviews, settings=SMALL_GRID)
    # Other purchases in the test window (every test event moved to another item), and other test-window reviews.
    in_test = events["ts"] >= split.cut
    changed_events = events.copy()
    changed_events.loc[in_test, "item_id"] = changed_events.loc[in_test, "item_id"].map(
        lambda item: f"i{(int(item[1:]) + 7) % 60}"
    )
    changed_reviews = reviews.assign(score=np.where(reviews["ts"] >= split.cut, -reviews["score"], reviews["score"]))
    changed = evaluate_offline(changed_events, dataset="shop", review_scores=changed_reviews, settings=SMALL_GRID)
    assert changed["tuning"] == report["tuning"]
    assert changed["split"]["cut"] == report["split"]["cut"]
    assert changed["models"][SYSTEM]["ndcg@10"] != report["models"][SYSTEM]["ndcg@10"]


def test_a_validation_split_too_thin_to_measure_a_trade_chooses_the_most_accurate_point(events):
    from longtail.recommend.evaluation.hybrid_choice import HYBRID_SETTINGS, choose

    def settings_of(point: dict) -> dict:
        return {name: point[name] for name in HYBRID_SETTINGS}

    for min_trade_users in (1, 10_000):
        settings = dataclasses.replace(SMALL_GRID, min_trade_users=min_trade_users)
        tuning = evaluate_offline(events, dataset="shop", settings=settings)["tuning"]
        points, floor = tuning["hybrid_validation"], tuning["hybrid_floor"]
        assert floor["tail_trade"] == (min_trade_users == 1)
        most_accurate = max(points, key=lambda point: point["ndcg@10"])
        traded = choose(points, floor["ndcg@10"], tuning["ease_validation"])
        assert tuning["hybrid"] == (traded if floor["tail_trade"] else settings_of(most_accurate))
