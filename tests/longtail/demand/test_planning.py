import json

import numpy as np
import pandas as pd
import pytest

from longtail.demand.backtest import backtest
from longtail.demand.planning import (
    MIN_TRAINING_WEEKS,
    backtest_origins,
    forecast_items,
    plan_demand,
    planner_table,
    weekly_history,
)
from longtail.demand.replenishment import StockSettings, plan_replenishment
from longtail.demand.series import Panel
from tests.longtail.demand.weekly_rows import poisson_weekly, weekly_frame


def test_borrowing_moves_a_one_sale_item_towards_its_category():
    slow = [1.0 if week % 5 == 0 else 0.0 for week in range(20)]
    weekly = weekly_frame({"slow1": slow, "slow2": slow[1:] + [0.0], "new": [0.0] * 19 + [6.0]})
    categories = pd.DataFrame({"item_id": ["slow1", "slow2", "new"], "category": "garden"})
    alone = forecast_items(weekly, 4).set_index("item_id")
    pooled = forecast_items(weekly, 4, categories=categories).set_index("item_id")
    category_rate = 6.0 * np.mean([(np.array(s) > 0).mean() for s in (slow, slow[1:] + [0.0])])
    assert abs(pooled.loc["new", "forecast_per_week"] - category_rate) < abs(
        alone.loc["new", "forecast_per_week"] - category_rate
    )
    assert pooled.loc["new", "forecast_per_week"] < alone.loc["new", "forecast_per_week"]


def test_planner_table_columns_intervals_and_signals():
    rng = np.random.default_rng(2)
    weekly = weekly_frame(
        {
            "busy": list(rng.poisson(8, 26).astype(float)),
            "rare": [3.0 if week % 6 == 0 else 0.0 for week in range(26)],
            "stopped": [5.0] * 6 + [0.0] * 20,
        }
    )
    table = planner_table(weekly, 4, level=90).set_index("item_id")
    expected = {
        "dataset",
        "demand_class",
        "adi",
        "cv2",
        "forecast_per_week",
        "forecast_total",
        "total_lo_90",
        "total_hi_90",
        "recent_per_week",
        "signal",
        "p10",
        "p50",
        "p95",
    }
    assert expected <= set(table.columns) | {"item_id"}
    assert ((0 <= table["total_lo_90"]) & (table["total_lo_90"] <= table["total_hi_90"])).all()
    quantiles = table[["p10", "p25", "p50", "p75", "p90", "p95"]].to_numpy()
    assert (quantiles >= 0).all() and (np.diff(quantiles, axis=1) >= 0).all()
    assert table["forecast_total"].to_numpy() == pytest.approx(4 * table["forecast_per_week"].to_numpy())
    assert table.loc["stopped", "signal"] == "dormant"
    assert table.loc["busy", "p50"] > table.loc["rare", "p50"]
    assert table.loc["busy", "total_hi_90"] > table.loc["rare", "total_hi_90"]


def test_forecast_items_validates_inputs():
    weekly = weekly_frame({"a": [1, 0, 2]})
    with pytest.raises(ValueError, match="horizon"):
        forecast_items(weekly, 0)
    with pytest.raises(ValueError, match="level"):
        forecast_items(weekly, 2, level=120)
    with pytest.raises(ValueError, match="units"):
        forecast_items(weekly.drop(columns="units"), 2)
    with pytest.raises(ValueError, match="similarity"):
        forecast_items(weekly, 2, neighbours=pd.DataFrame({"item_id": ["a"], "neighbour_id": ["a"]}))


def test_weekly_history_skips_datasets_without_calendar_and_tolerates_no_events():
    events = pd.DataFrame(
        {
            "dataset": ["shop", "shop", "grocery"],
            "item_id": ["a", "a", "x"],
            "event_type": "purchase",
            "ts": pd.to_datetime(["2024-01-01", "2024-01-14", "2024-01-02"], utc=True),
            "quantity": [2.0, 1.0, 1.0],
        }
    )
    weekly, classes = weekly_history(events, ["grocery"])
    assert set(weekly["dataset"]) == {"shop"} and weekly["units"].tolist() == [2.0, 1.0]
    assert classes[["dataset", "item_id"]].values.tolist() == [["shop", "a"]]
    weekly, classes = weekly_history(pd.DataFrame(), ["grocery"])
    assert weekly.empty and classes.empty and "demand_class" in classes.columns


def test_backtest_origins_keep_the_minimum_training_weeks_before_the_first():
    assert backtest_origins(60, 4, 4, 4) == 4
    # 8 training weeks + 4 forecast weeks leave room for one origin; each 4 more weeks for one more.
    assert backtest_origins(MIN_TRAINING_WEEKS + 4, 4, 4, 4) == 1
    assert backtest_origins(MIN_TRAINING_WEEKS + 4 + 7, 4, 4, 4) == 2
    assert backtest_origins(MIN_TRAINING_WEEKS + 3, 4, 4, 4) == 0


def test_plan_demand_backtests_the_long_datasets_and_forecasts_every_item():
    rng = np.random.default_rng(7)
    long = poisson_weekly(rng, 30, 30, (0.3, 4))
    short = weekly_frame({"s1": [1, 0, 2, 1, 0], "s2": [0, 3, 0, 0, 1]}, dataset="young_shop")
    items = pd.DataFrame({"dataset": "shop", "item_id": ["item0", "item1"], "category": "toys", "title": ["a", "b"]})
    similarity = pd.DataFrame(
        {"dataset": "shop", "item_id": ["item2"], "neighbour_id": ["item3"], "score": [0.8], "source": "content"}
    )
    plan = plan_demand(pd.concat([long, short]), items=items, similarity=similarity, n_origins=3, step=4)
    assert plan.origins == {"shop": 3, "young_shop": 0}
    assert set(plan.reports) == {"shop"} and len(plan.reports["shop"]["backtest"]["origins"]) == 3
    assert plan.planner.groupby("dataset").size().to_dict() == {"shop": 30, "young_shop": 2}
    assert {"total_lo_80", "total_hi_80", "signal", "p90"} <= set(plan.planner.columns)
    assert plan.replenishment.groupby("dataset").size().to_dict() == {"shop": 30, "young_shop": 2}
    assert (plan.replenishment["suggested_order"] >= 0).all()
    assert set(plan.seconds) == {"shop", "young_shop"}
    expected = planner_table(
        long,
        4,
        categories=items[["dataset", "item_id", "category"]],
        neighbours=similarity.rename(columns={"score": "similarity"}),
    )
    pd.testing.assert_frame_equal(plan.planner[plan.planner["dataset"] == "shop"], expected)


def test_plan_demand_on_one_shared_panel_equals_its_parts_computed_apart():
    # plan_demand shares one panel (and its features memo) between the backtest, the forecasts and the replays.
    rng = np.random.default_rng(9)
    weekly = poisson_weekly(rng, 14, 40, (0.2, 4))
    items = pd.DataFrame({"dataset": "shop", "item_id": [f"item{i}" for i in range(14)], "category": "toys"})
    categories = items[["dataset", "item_id", "category"]]
    plan = plan_demand(weekly, items=items, n_origins=2, step=4)
    report = backtest(weekly, 4, 2, 4, categories=categories)
    stock_report, table, path = plan_replenishment(
        Panel.from_weekly(weekly), 4, 2, 4, StockSettings(), MIN_TRAINING_WEEKS
    )
    assert json.dumps(plan.reports["shop"]) == json.dumps(report | stock_report)
    pd.testing.assert_frame_equal(plan.planner, planner_table(weekly, 4, categories=categories), check_exact=True)
    pd.testing.assert_frame_equal(plan.replenishment, table.assign(dataset="shop"), check_exact=True)
    pd.testing.assert_frame_equal(plan.stock_paths["shop"], path, check_exact=True)


def test_plan_demand_of_no_weeks_is_empty():
    plan = plan_demand(weekly_frame({}), items=pd.DataFrame(), similarity=pd.DataFrame())
    assert plan.planner.empty and plan.reports == {} and plan.origins == {}


def test_plan_demand_plans_a_category_with_its_own_stock_settings():
    rng = np.random.default_rng(8)
    weekly = poisson_weekly(rng, 12, 40, (0.5, 4))
    items = pd.DataFrame(
        {"dataset": "shop", "item_id": [f"item{i}" for i in range(12)], "category": ["toys"] * 4 + ["tools"] * 8}
    )
    toys = StockSettings(lead_time_weeks=0, review_period_weeks=2, fill_rate_target=0.9)
    plan = plan_demand(weekly, items=items, n_origins=2, step=4, category_stock={"toys": toys, "absent": toys})
    table = plan.replenishment.set_index("item_id")
    assert (table.loc[[f"item{i}" for i in range(4)], "review_period_weeks"] == 2).all()
    assert (table.loc[[f"item{i}" for i in range(4, 12)], "review_period_weeks"] == 1).all()
    assert len(table) == 12 and table.index.is_unique
    assert plan.reports["shop"]["settings"]["review_period_weeks"] == 1


@pytest.mark.parametrize("large_shops", [("north", "south"), ("north",)])
def test_datasets_planned_in_worker_processes_give_the_plan_of_one_at_a_time(monkeypatch, large_shops):
    import longtail.demand.planning as planning

    rng = np.random.default_rng(11)
    weekly = pd.concat(
        [poisson_weekly(rng, 12, 30, (0.2, 3)).assign(dataset=name) for name in large_shops]
        + [weekly_frame({"s1": [1, 0, 2, 1, 0]}, dataset="young_shop")]
    )
    one_at_a_time = plan_demand(weekly, n_origins=2, step=4)
    # Every shop with 12 items counts as large: the stages of each go to the two processes, young_shop stays here.
    monkeypatch.setattr(planning, "PROCESS_MIN_ITEMS", 12)
    pools, worker_pool = [], planning.worker_pool
    monkeypatch.setattr(planning, "worker_pool", lambda workers: pools.append(workers) or worker_pool(workers))
    messages = []
    in_processes = plan_demand(weekly, n_origins=2, step=4, workers=2, progress=messages.append)
    assert pools == [2]  # even one large shop keeps two processes busy, one stage each
    assert sorted(message.split(":")[0] for message in messages) == [*large_shops, "young_shop"]
    for frame in ("planner", "replenishment"):
        pd.testing.assert_frame_equal(getattr(in_processes, frame), getattr(one_at_a_time, frame), check_exact=True)
    assert json.dumps(in_processes.reports) == json.dumps(one_at_a_time.reports)
    assert in_processes.origins == one_at_a_time.origins == {**dict.fromkeys(large_shops, 2), "young_shop": 0}
    for dataset, path in one_at_a_time.stock_paths.items():
        pd.testing.assert_frame_equal(in_processes.stock_paths[dataset], path, check_exact=True)


def test_plan_demand_refuses_workers_below_one():
    with pytest.raises(ValueError, match="workers"):
        plan_demand(weekly_frame({"a": [1, 2]}), workers=0)
