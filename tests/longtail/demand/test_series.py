import numpy as np
import pandas as pd
import pytest

from longtail.demand.series import Panel, category_demand, weekly_demand
from tests.longtail.demand.weekly_rows import MONDAY, weekly_frame


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


def test_weekly_demand_of_no_events_is_an_empty_typed_table():
    events = pd.DataFrame([purchase("a", "2024-01-07 10:00", 1)]).iloc[:0]
    weekly = weekly_demand(events)
    assert weekly.empty and list(weekly.columns) == ["dataset", "item_id", "week", "units"]
    assert weekly["week"].dtype == "datetime64[ns]" and weekly["units"].dtype == float


def test_category_demand_sums_items_of_a_category():
    weekly = weekly_frame({"a": [1, 2], "b": [3, 0], "c": [7, 7]})
    categories = pd.DataFrame({"item_id": ["a", "b", "c"], "category": ["toys", "toys", None]})
    totals = category_demand(weekly, categories)
    assert list(totals["category"]) == ["toys", "toys"]
    assert list(totals["units"]) == [4.0, 2.0]


def test_panel_starts_each_series_at_its_first_sale_and_leaves_out_items_that_never_sold():
    panel = Panel.from_weekly(
        weekly_frame({"late": [0, 0, 3, 0, 1], "never": [0, 0, 0, 0, 0], "early": [2, 0, 0, 0, 0]})
    )
    assert list(panel.item_ids) == ["early", "late"]
    assert list(panel.start) == [0, 2]
    history = panel.history(3)
    assert list(history.rows) == [0, 1]
    assert history.alive.tolist() == [[True, True, True], [False, False, True]]
    assert list(history.age()) == [3, 1]
    np.testing.assert_allclose(history.mean(), [2 / 3, 3.0])
    assert list(panel.history(2).rows) == [0]


def test_panel_rejects_weeks_off_a_seven_day_grid():
    weekly = weekly_frame({"a": [1, 2]})
    weekly.loc[1, "week"] += pd.Timedelta(days=1)
    with pytest.raises(ValueError, match="7-day"):
        Panel.from_weekly(weekly)


def test_history_before_a_cut_equals_the_panel_history_at_that_cut():
    rng = np.random.default_rng(4)
    series = {f"i{i}": [0.0] * int(rng.integers(0, 12)) + list(rng.poisson(1.0, 14).astype(float)) for i in range(20)}
    weekly = weekly_frame({item: values[:14] for item, values in series.items() if any(values[:14])})
    panel = Panel.from_weekly(weekly)
    history = panel.history(panel.n_weeks)
    for cut in range(1, panel.n_weeks + 1):
        before, expected = history.before(cut), panel.history(cut)
        np.testing.assert_array_equal(before.rows, expected.rows)
        np.testing.assert_array_equal(before.units, expected.units)
        np.testing.assert_array_equal(before.alive, expected.alive)


def test_naive_scales_use_only_weeks_after_the_first_sale():
    history = Panel.from_weekly(weekly_frame({"a": [0, 0, 2, 0, 4], "b": [5, 5, 5, 5, 5]})).history(5)
    squared, absolute = history.naive_scales()
    # a: changes -2, +4 from its first sale on; b: constant.
    np.testing.assert_allclose(squared, [(4 + 16) / 2, 0.0])
    np.testing.assert_allclose(absolute, [3.0, 0.0])


def test_median_size_is_the_median_of_the_weeks_with_demand():
    panel = Panel.from_weekly(weekly_frame({"odd": [0, 3, 0, 1, 7], "even": [2, 0, 8, 4, 6], "one": [0, 0, 0, 0, 5]}))
    history = panel.history(5)
    sizes = np.where(history.units > 0, history.units, np.nan)
    np.testing.assert_array_equal(history.median_size(), np.nanmedian(sizes, axis=1))
    assert dict(zip(["even", "odd", "one"], history.median_size())) == {"even": 5.0, "odd": 3.0, "one": 5.0}


def test_private_weekly_demand_changes_the_units_only_when_on():
    from longtail.privacy.dp import PrivacySettings

    rows = [purchase(item, f"2024-01-{day:02d} 10:00", 2) for day in range(1, 29) for item in ("a", "b")]
    events = pd.DataFrame(rows).assign(user_id=[f"u{n % 7}" for n in range(len(rows))], order_id=None)
    exact = weekly_demand(events)
    assert exact.equals(weekly_demand(events.drop(columns=["user_id", "order_id"])))
    private = weekly_demand(events, privacy=PrivacySettings(0.05, 0.0, 3), max_units=2)
    assert list(private.columns) == list(exact.columns) and (private["units"] >= 0).all()
    # Seven customers keep at most 3 item-weeks of 2 units each, plus noise of scale 120: never the exact figures.
    merged = exact.merge(private, on=["dataset", "item_id", "week"], how="outer")
    assert not merged["units_x"].equals(merged["units_y"])
    with pytest.raises(ValueError, match="user_id"):
        weekly_demand(events.drop(columns="user_id"), privacy=PrivacySettings(1.0))
