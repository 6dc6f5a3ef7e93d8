import numpy as np
import pandas as pd
import pytest

from longtail.demand.forecasting import (
    CLASSES,
    SYSTEM,
    backtest,
    backtest_errors,
    category_demand,
    classify_demand,
    forecast_items,
    planner_table,
    weekly_demand,
)

MONDAY = pd.Timestamp("2024-01-01")


def weekly_frame(series: dict[str, list[float]], dataset: str = "shop") -> pd.DataFrame:
    """Weekly demand rows from ``item -> units per week``, every series starting on MONDAY."""
    rows = [
        (dataset, item, MONDAY + pd.Timedelta(weeks=week), float(units))
        for item, values in series.items()
        for week, units in enumerate(values)
    ]
    return pd.DataFrame(rows, columns=["dataset", "item_id", "week", "units"])


def purchase(item: str, ts: str, quantity: float | None, dataset: str = "shop", event_type: str = "purchase"):
    return {
        "dataset": dataset,
        "item_id": item,
        "event_type": event_type,
        "ts": pd.Timestamp(ts, tz="UTC"),
        "quantity": quantity,
    }


def test_weekly_demand_sums_quantities_zero_fills_from_first_sale_and_drops_the_incomplete_last_week():
    events = pd.DataFrame(
        [
            purchase("a", "2024-01-01 09:00", 2),
            purchase("a", "2024-01-07 23:00", 3),  # Sunday: still the first week
            purchase("b", "2024-01-16 10:00", 1),  # first sale in week 3
            purchase("a", "2024-01-22 10:00", 4),
            purchase("a", "2024-01-24 10:00", -2),  # a return: not demand
            purchase("b", "2024-01-30 10:00", 5),  # data ends on a Tuesday: that week is dropped
        ]
    )
    weekly = weekly_demand(events)
    weeks = pd.date_range("2024-01-01", periods=4, freq="7D")
    a = weekly[weekly["item_id"] == "a"]
    b = weekly[weekly["item_id"] == "b"]
    assert list(a["week"]) == list(weeks)
    assert list(a["units"]) == [5.0, 0.0, 0.0, 4.0]
    assert list(b["week"]) == list(weeks[2:])
    assert list(b["units"]) == [1.0, 0.0]
    assert list(weekly.columns) == ["dataset", "item_id", "week", "units"]


def test_weekly_demand_counts_events_without_purchases_and_keeps_a_week_ending_on_its_last_day():
    events = pd.DataFrame(
        [
            purchase("x", "2024-01-02", None, dataset="ratings", event_type="rating"),
            purchase("x", "2024-01-03", None, dataset="ratings", event_type="rating"),
            purchase("y", "2024-01-14 08:00", None, dataset="ratings", event_type="review"),  # Sunday
        ]
    )
    weekly = weekly_demand(events)
    assert weekly.set_index(["item_id", "week"])["units"].to_dict() == {
        ("x", MONDAY): 2.0,
        ("x", MONDAY + pd.Timedelta(weeks=1)): 0.0,
        ("y", MONDAY + pd.Timedelta(weeks=1)): 1.0,
    }


def test_weekly_demand_week_start_moves_the_boundary():
    events = pd.DataFrame([purchase("a", "2024-01-07 10:00", 1), purchase("a", "2024-01-13 10:00", 1)])
    sunday_weeks = weekly_demand(events, week_start="SUN")
    assert list(sunday_weeks["week"]) == [pd.Timestamp("2024-01-07")]
    assert list(sunday_weeks["units"]) == [2.0]
    with pytest.raises(ValueError, match="week_start"):
        weekly_demand(events, week_start="monday")


def test_classify_demand_matches_hand_computed_adi_and_cv2():
    weekly = weekly_frame(
        {
            "smooth": [10, 11, 9, 10, 10, 12],  # ADI 1, sizes nearly constant
            "erratic": [1, 20, 2, 30, 1, 25],  # ADI 1, sizes vary a lot
            "intermittent": [5, 0, 0, 5, 0, 6],  # ADI 2, similar sizes
            "lumpy": [1, 0, 0, 40, 0, 0],  # ADI 3, very different sizes
        }
    )
    classes = classify_demand(weekly).set_index("item_id")
    assert classes["demand_class"].to_dict() == {name: name for name in CLASSES}
    sizes = np.array([5.0, 5.0, 6.0])
    assert classes.loc["intermittent", "adi"] == pytest.approx(6 / 3)
    assert classes.loc["intermittent", "cv2"] == pytest.approx(sizes.var() / sizes.mean() ** 2)
    assert classes.loc["lumpy", "adi"] == pytest.approx(3.0)
    assert classes.loc["lumpy", "cv2"] == pytest.approx(np.var([1.0, 40.0]) / 20.5**2)
    assert classes.loc["smooth", "n_demand_weeks"] == 6


def test_classify_demand_ignores_leading_zero_weeks():
    weekly = weekly_frame({"late": [0, 0, 0, 4, 4]})
    row = classify_demand(weekly).iloc[0]
    assert row["n_weeks"] == 2 and row["adi"] == 1.0 and row["demand_class"] == "smooth"


def test_category_demand_sums_items_of_a_category():
    weekly = weekly_frame({"a": [1, 2], "b": [3, 0], "c": [7, 7]})
    categories = pd.DataFrame({"item_id": ["a", "b", "c"], "category": ["toys", "toys", None]})
    totals = category_demand(weekly, categories)
    assert list(totals["category"]) == ["toys", "toys"]
    assert list(totals["units"]) == [4.0, 2.0]


def test_backtest_scores_match_hand_computed_rmsse_and_mase():
    values = [2, 0, 4, 0, 2, 6, 0, 3]
    errors = backtest_errors(weekly_frame({"a": values}), horizon=2, n_origins=1, step=1)
    naive = errors[errors["model"] == "naive"].iloc[0]
    train, test = np.array(values[:6], float), np.array(values[6:], float)
    forecast = train[-1]
    squared_scale = np.mean(np.diff(train) ** 2)
    absolute_scale = np.mean(np.abs(np.diff(train)))
    assert naive["rmsse"] == pytest.approx(np.sqrt(np.mean((test - forecast) ** 2) / squared_scale))
    assert naive["mase"] == pytest.approx(np.mean(np.abs(test - forecast)) / absolute_scale)
    moving_average = errors[errors["model"] == "moving_average"].iloc[0]
    assert moving_average["mase"] == pytest.approx(np.mean(np.abs(test - train[-4:].mean())) / absolute_scale)


def test_backtest_excludes_and_counts_zero_scale_series():
    weekly = weekly_frame({"flat": [3, 3, 3, 3, 3, 3], "moving": [1, 0, 2, 0, 1, 3]})
    errors = backtest_errors(weekly, horizon=2, n_origins=1, step=1)
    flat = errors[errors["item_id"] == "flat"]
    assert flat["excluded"].all() and flat["rmsse"].isna().all()
    report = backtest(weekly, horizon=2, n_origins=1, step=1)
    assert report["backtest"]["n_excluded"] == 1
    assert report["backtest"]["n_series"] == 1


def test_backtest_never_uses_weeks_after_the_origin():
    rng = np.random.default_rng(0)
    calm = weekly_frame({f"item{i}": list(rng.poisson(rng.uniform(0.3, 4), 30).astype(float)) for i in range(12)})
    first_origin = MONDAY + pd.Timedelta(weeks=22)
    exploded = calm.copy()
    after = exploded["week"] >= first_origin
    exploded.loc[after, "units"] = exploded.loc[after, "units"] * 100 + 1000
    neighbours = pd.DataFrame({"item_id": ["item0", "item1"], "neighbour_id": ["item1", "item0"], "similarity": 0.9})
    calm_run, exploded_run = (backtest_errors(frame, 4, 2, 4, neighbours=neighbours) for frame in (calm, exploded))
    assert calm_run["origin"].min() == first_origin
    at_origin = [run[run["origin"] == first_origin].reset_index(drop=True) for run in (calm_run, exploded_run)]
    columns = ["item_id", "model", "demand_class", "forecast_total", "excluded"]
    pd.testing.assert_frame_equal(at_origin[0][columns], at_origin[1][columns])
    assert (at_origin[1]["actual_total"] > at_origin[0]["actual_total"]).all()
    # The later origin sees the explosion in its training weeks, so its forecasts do change.
    later = [run[run["origin"] > first_origin] for run in (calm_run, exploded_run)]
    assert (later[1]["forecast_total"].to_numpy() > later[0]["forecast_total"].to_numpy()).all()


def test_backtest_report_schema():
    rng = np.random.default_rng(1)
    weekly = weekly_frame({f"i{i}": list(rng.poisson(1.5, 20).astype(float)) for i in range(8)})
    report = backtest(weekly, horizon=3, n_origins=2, step=3)
    assert set(report) == {"dataset", "backtest", "system", "models"}
    assert report["dataset"] == "shop" and report["system"] == SYSTEM
    assert {"origins", "horizon", "n_series", "n_excluded"} <= set(report["backtest"])
    assert len(report["backtest"]["origins"]) == 2
    assert set(report["models"]) == {"naive", "seasonal_naive", "moving_average", "tsb", "ets", SYSTEM}
    for scores in report["models"].values():
        for metric in ("rmsse", "mase"):
            assert set(scores[metric]) == {"all", *CLASSES}
            present = [value for value in scores[metric].values() if value is not None]
            assert present and all(np.isfinite(present))
    assert 0.0 <= report["backtest"]["interval"]["coverage"] <= 1.0


def test_backtest_rejects_too_many_origins():
    with pytest.raises(ValueError, match="origins"):
        backtest(weekly_frame({"a": [1, 0, 2, 1, 0, 1]}), horizon=2, n_origins=3, step=2)


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
        "plan_units",
    }
    assert expected <= set(table.columns) | {"item_id"}
    assert (table["total_lo_90"] <= table["forecast_total"]).all()
    assert (table["forecast_total"] <= table["total_hi_90"]).all()
    assert table["forecast_total"].to_numpy() == pytest.approx(4 * table["forecast_per_week"].to_numpy())
    assert table.loc["stopped", "signal"] == "dormant"
    assert (table["plan_units"] >= table["total_hi_90"]).all()
    assert table.loc["busy", "plan_units"] > table.loc["rare", "plan_units"]


def test_forecast_items_validates_inputs():
    weekly = weekly_frame({"a": [1, 0, 2]})
    with pytest.raises(ValueError, match="horizon"):
        forecast_items(weekly, 0)
    with pytest.raises(ValueError, match="level"):
        forecast_items(weekly, 2, level=(120,))
    with pytest.raises(ValueError, match="units"):
        forecast_items(weekly.drop(columns="units"), 2)
    with pytest.raises(ValueError, match="similarity"):
        forecast_items(weekly, 2, neighbours=pd.DataFrame({"item_id": ["a"], "neighbour_id": ["a"]}))


def test_system_forecast_at_an_origin_ignores_every_later_week():
    rng = np.random.default_rng(3)
    weekly = weekly_frame({f"item{i}": list(rng.poisson(rng.uniform(0.2, 5), 30).astype(float)) for i in range(40)})
    origin = MONDAY + pd.Timedelta(weeks=26)
    shuffled = weekly.copy()
    later = shuffled["week"] >= origin
    shuffled.loc[later, "units"] = rng.permutation(shuffled.loc[later, "units"].to_numpy()) * 7
    at_origin = [
        backtest_errors(frame, 4, 1, 4).query("model == @SYSTEM").set_index("item_id")["forecast_total"]
        for frame in (weekly, shuffled)
    ]
    pd.testing.assert_series_equal(at_origin[0], at_origin[1])
    before = forecast_items(weekly[~later], 4).set_index("item_id")["forecast_total"]
    np.testing.assert_allclose(at_origin[0].sort_index().to_numpy(), before.sort_index().to_numpy())


def test_system_learns_that_launch_sales_decay():
    # Three items launch every week; each sells 40 units in its launch week, halving every week after.
    n_weeks = 40
    series = {
        f"launch{launch}_{copy}": [0.0] * launch + [np.round(40 * 0.5**age) for age in range(n_weeks - launch)]
        for launch in range(n_weeks - 1)
        for copy in range(3)
    }
    table = forecast_items(weekly_frame(series), 4).set_index("item_id")
    for launch in (n_weeks - 4, n_weeks - 3):
        item = f"launch{launch}_0"
        sold = np.array(series[item][launch:])
        future_mean = np.mean([np.round(40 * 0.5**age) for age in range(len(sold), len(sold) + 4)])
        forecast = table.loc[item, "forecast_per_week"]
        assert forecast < 0.5 * sold.mean()
        assert abs(forecast - future_mean) < abs(sold[-4:].mean() - future_mean)
