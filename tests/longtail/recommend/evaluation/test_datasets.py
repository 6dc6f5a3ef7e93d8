import io
import json

import numpy as np
import pandas as pd
import pytest

from longtail.recommend.evaluation.datasets import DatasetInputs, evaluate_datasets
from longtail.recommend.evaluation.intervals import INTERVAL_METRICS
from longtail.recommend.evaluation.list_scores import REPORTED
from longtail.recommend.evaluation.offline import SYSTEM
from tests.fixtures import shop_history


def three_shops() -> dict[str, DatasetInputs]:
    """The same history as a timed shop with vectors and reviews, as an order-number shop, and cut too short."""
    events = pd.read_csv(io.StringIO(shop_history()[0]))
    events["ts"] = pd.to_datetime(events["ts"], utc=True)
    too_short = events.head(3).assign(ts=events["ts"].min())
    reviews = pd.DataFrame({"item_id": ["i1", "i2"], "score": [1.0, -1.0], "ts": events["ts"].min()})
    vectors = (np.array([f"i{n}" for n in range(60)]), np.eye(8, dtype=np.float32)[np.arange(60) % 8] + 0.01)
    return {
        "shop": DatasetInputs(events, vectors, reviews),
        "orders": DatasetInputs(events, review_scores=reviews),
        "tiny": DatasetInputs(too_short),
    }


@pytest.fixture(scope="module")
def evaluations():
    messages = []
    result = evaluate_datasets(
        three_shops(),
        test_days=2,  # days for "shop", orders for "orders"
        order_number_datasets=["orders"],
        min_evaluated_users=1,  # "shop" on its global cut, however few users it evaluates
        progress=messages.append,
    )
    return result, messages


def test_each_dataset_is_evaluated_on_its_own_time_and_a_failing_one_is_set_aside(evaluations):
    result, messages = evaluations
    assert set(result.reports) == {"shop", "orders"} and set(result.not_evaluated) == {"tiny"}
    assert "training side empty" in result.not_evaluated["tiny"]
    assert result.reports["shop"]["split"]["time_column"] == "ts"
    orders = result.reports["orders"]
    assert orders["split"]["time_column"] == "order_from_last" and orders["tuning"]["half_life"] == 5.0
    # Reviews carry no order number: an order-number dataset is evaluated without them.
    assert orders["sentiment_effect"] == [] and result.reports["shop"]["sentiment_effect"]
    assert any(m.startswith("orders: evaluating on") and "order_from_last as time" in m for m in messages)
    assert any(m.startswith("shop: fitting") for m in messages)


def test_an_order_dataset_holds_out_each_users_last_order(evaluations):
    result, _ = evaluations
    events = pd.read_csv(io.StringIO(shop_history()[0]))
    # Each user's last order (by time) is the test, wherever it falls in the shop's calendar.
    last_order = events.groupby("user_id")["ts"].transform("max")
    split = result.reports["orders"]["split"]
    assert split["test_events"] == int((events["ts"] == last_order).sum())
    assert (split["cut"], split["validation_cut"]) == ("0", "-1")
    # Every user with an earlier order and a new item in the last one counts: far more than a global cut keeps.
    assert split["evaluated_users"] > 2 * result.reports["shop"]["split"]["evaluated_users"]


def test_a_shop_whose_global_cut_evaluates_too_few_users_is_evaluated_on_each_users_last_visits(evaluations):
    one_cut, _ = evaluations
    few = one_cut.reports["shop"]["split"]["evaluated_users"]
    shops = {"shop": three_shops()["shop"]}
    kept = evaluate_datasets(shops, test_days=2, min_evaluated_users=few).reports["shop"]
    assert kept["split"]["time_column"] == "ts" and "global_cut_users" not in kept["split"]
    thin = evaluate_datasets(shops, test_days=2, min_evaluated_users=few + 1).reports["shop"]
    assert thin["split"]["time_column"] == "order_from_last" and thin["split"]["global_cut_users"] == few
    assert thin["split"]["evaluated_users"] > few and thin["sentiment_effect"] == []


def test_the_tables_hold_every_models_figures_and_the_settings_to_serve(evaluations):
    result, _ = evaluations
    figures = result.model_figures()
    intervals = [f"{metric}_ci95" for metric in INTERVAL_METRICS]
    assert list(figures.columns) == ["dataset", "model", *REPORTED, *intervals, "seconds"]
    assert len(figures) == sum(len(report["models"]) for report in result.reports.values())
    shop = figures[(figures["dataset"] == "shop") & (figures["model"] == SYSTEM)].iloc[0]
    assert shop["ndcg@10"] == result.reports["shop"]["models"][SYSTEM]["ndcg@10"]
    settings = result.settings().set_index("dataset")["settings"].map(json.loads)
    assert set(settings.index) == {"shop", "orders"}
    tuning = result.reports["shop"]["tuning"]
    assert settings["shop"] == {
        "l2": tuning["ease_l2"], "als_settings": tuning["baselines"]["ALS"]["chosen"], **tuning["hybrid"],
        "half_life": tuning["half_life"], "time_column": "ts",
    }  # fmt: skip
    assert settings["orders"]["time_column"] == "order_from_last"  # the half-life is served in orders


def without_run_to_run(value):
    """``value`` without what differs from run to run: timings, and the privacy curve's unseeded OpenDP noise."""
    if isinstance(value, dict):
        return {key: without_run_to_run(item) for key, item in value.items() if key not in ("seconds", "privacy_curve")}
    if isinstance(value, list):
        return [without_run_to_run(item) for item in value]
    return value


def test_datasets_evaluated_side_by_side_give_the_reports_of_one_at_a_time(evaluations):
    one_at_a_time, _ = evaluations
    side_by_side = evaluate_datasets(
        three_shops(), test_days=2, order_number_datasets=["orders"], min_evaluated_users=1, workers=2
    )
    # The reports keep the inputs' order whichever dataset finishes first.
    assert list(side_by_side.reports) == list(one_at_a_time.reports) == ["shop", "orders"]
    assert side_by_side.not_evaluated == one_at_a_time.not_evaluated
    assert without_run_to_run(side_by_side.reports) == without_run_to_run(one_at_a_time.reports)


@pytest.mark.parametrize("workers", [0, -1, 1.5, True])
def test_workers_must_be_a_positive_integer(workers):
    with pytest.raises(ValueError, match="workers"):
        evaluate_datasets({}, workers=workers)


def test_every_dataset_tunes_its_baselines_over_the_grids_given():
    grids = {
        "ItemKNN": [{"k_neighbors": 5, "shrink": 0.0}, {"k_neighbors": 10, "shrink": 5.0}],
        "ALS": [{"factors": 8, "regularization": 1.0, "alpha": 1.0}],
        "RP3beta": [{"alpha": 0.5, "beta": 0.2, "k_neighbors": 10}, {"alpha": 1.0, "beta": 0.0, "k_neighbors": 20}],
        "ContentKNN": [{"k_neighbors": 3}],
    }
    shops = {name: data for name, data in three_shops().items() if name != "tiny"}
    overrides = {"l2_grid": (50.0, 70.0), "baseline_grids": grids}
    result = evaluate_datasets(shops, test_days=2, order_number_datasets=["orders"], overrides=overrides)
    for dataset, report in result.reports.items():
        tuning = report["tuning"]
        assert set(tuning["ease_l2_validation_ndcg@10"]) == {"50.0", "70.0"}, dataset
        assert tuning["ease_l2"] in (50.0, 70.0)
        tuned = set(tuning["baselines"]) - {"EASE"}
        assert tuned == (
            {"ItemKNN", "ALS", "RP3beta", "ContentKNN"} if dataset == "shop" else {"ItemKNN", "ALS", "RP3beta"}
        )
        for model in tuned:
            assert tuning["budgets"][model] == len(grids[model])
            assert tuning["baselines"][model]["chosen"] in grids[model]
            assert [
                {k: v for k, v in point.items() if k != "ndcg@10"}
                for point in tuning["baselines"][model]["validation_ndcg@10"]
            ] == grids[model]
        assert tuning["budgets"]["EASE"] == 2
        assert report["settings"]["baseline_grids"] == grids
