import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from longtail.demand.classes import classify
from longtail.demand.inventory import normal_order_up_to
from longtail.demand.models import TSB_ALPHA, statsforecast_rate
from longtail.demand.quantiles import LEVELS
from longtail.demand.replenishment import (
    DORMANT_WEEKS,
    KNOBS,
    OBSOLETE_WEEKS,
    POLICIES,
    RECENT_WEEKS,
    Replay,
    StockSettings,
    inventory_simulation,
    order_up_to_levels,
    plan_replenishment,
    replay_origins,
    stock_quantiles,
    system_order_up_to,
    tradeoff,
)
from longtail.demand.series import Panel
from longtail.demand.stock_groups import NEW, NEW_ITEM_WEEKS, stock_groups
from tests.longtail.demand.weekly_rows import weekly_frame

N_WEEKS, HORIZON, N_ORIGINS, STEP, MIN_TRAINING = 60, 4, 2, 4, 8
# plan_replenishment's origins for the panels below: the reported ones end at the panel's end, the tuning ones
# N_ORIGINS * STEP weeks earlier.
ORIGINS = [N_WEEKS - HORIZON - STEP, N_WEEKS - HORIZON]
TUNING_ORIGINS = [origin - N_ORIGINS * STEP for origin in ORIGINS]
FIGURES = {
    "fill_rate",
    "target",
    "avg_stock",
    "stockout_weeks",
    "orders",
    "items",
    "knob",
    "fill_rate_ci95",
    "avg_stock_ci95",
}


def _series(seed: int, n_items: int = 16, n_weeks: int = N_WEEKS) -> dict[str, list[float]]:
    """Items ``item00, ...`` selling Poisson units from week 0 at rates spread from rare to busy."""
    rng = np.random.default_rng(seed)
    rates = np.geomspace(0.15, 5, n_items)
    return {f"item{i:02d}": list(rng.poisson(rate, n_weeks).astype(float)) for i, rate in enumerate(rates)}


def _panel(series: dict[str, list[float]]) -> Panel:
    return Panel.from_weekly(weekly_frame(series))


def _classes_at(panel: Panel, origin: int) -> np.ndarray:
    history = panel.history(origin)
    classes = np.full(len(panel.item_ids), "", dtype=object)
    classes[history.rows] = classify(history)["demand_class"].to_numpy()
    return classes


def _stale_items() -> dict[str, list[float]]:
    # Obsolete: last sale in week 19, 40 weeks before the end. Dormant: last sale in week 44, 15 weeks before.
    rng = np.random.default_rng(7)
    obsolete = list(rng.poisson(2.0, 20).astype(float) + 1) + [0.0] * (N_WEEKS - 20)
    dormant = list(rng.poisson(1.5, 45).astype(float)) + [0.0] * (N_WEEKS - 45)
    dormant[44] = 2.0
    return {"zz_dormant": dormant, "zz_obsolete": obsolete}


@pytest.fixture(scope="module")
def panel() -> Panel:
    return _panel(_series(0) | _stale_items())


@pytest.fixture(scope="module")
def plan(panel):
    return plan_replenishment(panel, HORIZON, N_ORIGINS, STEP, StockSettings(), MIN_TRAINING)


@pytest.fixture(scope="module")
def simulated(panel):
    """``inventory_simulation``'s result on the plan's origins, and the tuning replay."""
    classes = _classes_at(panel, ORIGINS[0])
    settings = StockSettings()
    groups = stock_groups(panel, TUNING_ORIGINS[0], classes)
    tuning = Replay.build(panel, TUNING_ORIGINS, STEP, groups, settings, end=ORIGINS[0])
    return inventory_simulation(panel, TUNING_ORIGINS, ORIGINS, STEP, classes, settings), tuning


def test_tsb_normal_levels_are_statsforecasts_tsb_plus_its_error_std_to_the_last_bit():
    from statsforecast.models import TSB

    young = {f"young{length}": [0.0] * (30 - length) + [2.0, 0.0, 5.0, 1.0][:length] for length in (1, 2, 3, 4)}
    history = _panel(_series(3, n_items=30, n_weeks=30) | young).history(30)
    settings = StockSettings()
    # The per-series computation the vectorised one replaced.
    rate, sigma = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for units, alive in zip(history.units, history.alive):
            series = units[alive]
            forecast = TSB(alpha_d=TSB_ALPHA, alpha_p=TSB_ALPHA).forecast(y=series, h=1, fitted=True)
            errors = series[1:] - forecast["fitted"][1:]
            rate.append(forecast["mean"][0])
            sigma.append(np.nanstd(errors) if len(errors) > 1 else series.std())
    rate, sigma = np.array(rate), np.nan_to_num(np.array(sigma))
    levels = order_up_to_levels(history, settings)["tsb_normal"]
    for z in (0.0, 1.3, 4.0):
        np.testing.assert_array_equal(levels(z), normal_order_up_to(rate, sigma, settings.protection_weeks, z))


def test_stock_settings_validation_and_protection_weeks():
    assert StockSettings().protection_weeks == 3
    assert StockSettings(lead_time_weeks=0, review_period_weeks=2).protection_weeks == 2
    for kwargs, name in [
        ({"lead_time_weeks": -1}, "lead_time_weeks"),
        ({"lead_time_weeks": 1.5}, "lead_time_weeks"),
        ({"review_period_weeks": 0}, "review_period_weeks"),
        ({"fill_rate_target": 1.0}, "fill_rate_target"),
        ({"fill_rate_target": 0.0}, "fill_rate_target"),
    ]:
        with pytest.raises(ValueError, match=name):
            StockSettings(**kwargs)


def test_order_up_to_levels_of_each_policy():
    series = _series(1, n_items=10, n_weeks=30)
    history = _panel(series).history(30)
    settings = StockSettings(lead_time_weeks=1, review_period_weeks=1)
    levels = order_up_to_levels(history, settings)
    assert set(levels) == set(POLICIES)
    weeks = settings.protection_weeks
    # Knob 0: no safety stock, the period's mean (the last RECENT_WEEKS weeks) or TSB forecast.
    recent = np.where(history.alive, history.units, np.nan)[:, -RECENT_WEEKS:]
    mean, std = np.nanmean(recent, 1), np.nanstd(recent, 1)
    np.testing.assert_allclose(levels["mean_std"](0.0), weeks * mean)
    np.testing.assert_allclose(levels["mean_std"](2.0), weeks * mean + 2 * std * np.sqrt(weeks))
    from statsforecast.models import TSB

    rate = statsforecast_rate(history, TSB(alpha_d=TSB_ALPHA, alpha_p=TSB_ALPHA))
    np.testing.assert_allclose(levels["tsb_normal"](0.0), np.maximum(weeks * rate, 0.0))
    # The system's level at z = 0 is the median of the protection period's demand, and at Phi^-1(0.9) its P90.
    quantiles = stock_quantiles(history, weeks)
    np.testing.assert_allclose(levels["longtail"](0.0), quantiles[:, LEVELS.index(0.5)])
    np.testing.assert_allclose(levels["longtail"](stats.norm.ppf(0.9)), quantiles[:, LEVELS.index(0.9)])
    for policy in POLICIES:
        knobs = KNOBS[policy]
        values = np.array([levels[policy](knob) for knob in knobs[:: max(len(knobs) // 6, 1)]])
        assert values.shape[1] == len(history.rows)
        assert (values >= 0).all() and (np.diff(values, axis=0) >= -1e-9).all(), policy


def test_plan_report_schema_and_figures(panel, plan):
    report, table, stock_path = plan
    assert set(report) == {"inventory_simulation", "settings", "tuning_origins", "origins", "tradeoff"}
    assert report["settings"] == {"lead_time_weeks": 2, "review_period_weeks": 1, "fill_rate_target": 0.95}
    figures = report["inventory_simulation"]
    assert set(figures) == {"longtail", "tsb_normal", "mean_std"}
    classes = set(_classes_at(panel, ORIGINS[0])) - {""}
    for policy, per_class in figures.items():
        assert set(per_class) == classes | {"all"}, policy
        for name, row in per_class.items():
            assert set(row) == FIGURES
            assert row["fill_rate"] is None or 0.0 <= row["fill_rate"] <= 1.0
            assert row["target"] == 0.95
            assert row["avg_stock"] >= 0
            assert row["stockout_weeks"] >= 0 and row["orders"] >= 0
            low, high = row["avg_stock_ci95"]
            assert low <= row["avg_stock"] <= high
            if row["fill_rate_ci95"] is not None:
                assert row["fill_rate_ci95"][0] <= row["fill_rate"] <= row["fill_rate_ci95"][1]
            if name == "all":
                assert row["knob"] is None and row["items"] == len(panel.item_ids)
                assert 0.0 < row["fill_rate"] <= 1.0
            else:
                assert row["knob"] in KNOBS[policy]
        assert sum(row["items"] for name, row in per_class.items() if name != "all") == per_class["all"]["items"]


def test_plan_origins_and_tuning_origins(panel, plan):
    report, _, _ = plan
    assert report["origins"] == [panel.weeks[origin].date().isoformat() for origin in ORIGINS]
    assert report["origins"][-1] == (panel.weeks[-1] - pd.Timedelta(weeks=HORIZON - 1)).date().isoformat()
    for tuning, reported in zip(report["tuning_origins"], report["origins"]):
        assert pd.Timestamp(reported) - pd.Timestamp(tuning) == pd.Timedelta(weeks=N_ORIGINS * STEP)


def test_plan_table_orders_up_to_the_level(panel, plan):
    report, table, _ = plan
    # Each item's safety factor is its stock group's tuned knob (the largest for a group tuning never saw).
    knobs = {name: row["knob"] for name, row in report["inventory_simulation"]["longtail"].items() if name != "all"}
    np.testing.assert_array_equal(table["safety_factor"], table["stock_group"].map(knobs).fillna(max(knobs.values())))
    assert len(table) == len(panel.item_ids) and set(table["item_id"]) == set(panel.item_ids)
    assert [f"p{round(level * 100)}" for level in LEVELS] == ["p10", "p25", "p50", "p75", "p90", "p95"]
    quantiles = table[["p10", "p25", "p50", "p75", "p90", "p95"]].to_numpy()
    assert (quantiles >= 0).all() and (np.diff(quantiles, axis=1) >= 0).all()
    assert (table["order_up_to"] >= 0).all() and (table["order_up_to"] == np.ceil(table["order_up_to"])).all()
    assert (table["stock_position"] >= 0).all()
    assert (table["suggested_order"] >= 0).all()
    np.testing.assert_array_equal(
        table["suggested_order"], np.maximum(table["order_up_to"] - table["stock_position"], 0)
    )
    np.testing.assert_array_equal(table["reorder_point"], np.maximum(table["order_up_to"] - 1, 0))
    assert (table[["lead_time_weeks", "review_period_weeks", "fill_rate_target"]] == [2, 1, 0.95]).all().all()
    # The replay left stock behind for the busy items, so the position is not all 0.
    assert (table["stock_position"] > 0).sum() >= len(table) // 2


def test_plan_table_flags_obsolete_and_dormant_items(plan):
    _, table, _ = plan
    rows = table.set_index("item_id")
    obsolete, dormant = rows.loc["zz_obsolete"], rows.loc["zz_dormant"]
    assert obsolete["weeks_since_sale"] == N_WEEKS - 20 >= OBSOLETE_WEEKS
    assert obsolete["obsolete"] and not obsolete["dormant"]
    assert obsolete["order_up_to"] == 0 and obsolete["suggested_order"] == 0
    assert dormant["weeks_since_sale"] == N_WEEKS - 45 and DORMANT_WEEKS <= dormant["weeks_since_sale"]
    assert dormant["dormant"] and not dormant["obsolete"]
    busy = rows.drop(["zz_obsolete", "zz_dormant"])
    assert not busy["dormant"].any() and not busy["obsolete"].any()
    assert (busy["weeks_since_sale"] < DORMANT_WEEKS).all()
    # The busiest item gets a positive level above its median demand over the protection period.
    assert busy.loc["item15", "order_up_to"] >= busy.loc["item15", "p50"] > 0


def test_plan_stock_path_is_the_system_replay(panel, plan):
    _, table, stock_path = plan
    weeks = N_ORIGINS * STEP
    assert list(stock_path.columns) == ["item_id", "week", "demand", "closing_stock", "order_up_to"]
    assert len(stock_path) == len(panel.item_ids) * weeks
    first = stock_path[stock_path["item_id"] == "item15"]
    assert list(first["week"]) == list(panel.weeks[ORIGINS[0] :])
    row = list(panel.item_ids).index("item15")
    np.testing.assert_array_equal(first["demand"], panel.units[row, ORIGINS[0] :])
    assert (stock_path["closing_stock"] >= 0).all() and (stock_path["order_up_to"] >= 0).all()
    # The plan of each origin holds for its STEP weeks.
    for start in range(0, weeks, STEP):
        assert first["order_up_to"].iloc[start : start + STEP].nunique() == 1
    # The table's position is the last closing stock plus what is still on order.
    last = stock_path.groupby("item_id")["closing_stock"].last()
    position = table.set_index("item_id")["stock_position"]
    assert (position >= last.reindex(position.index)).all()


def test_stock_position_with_lead_time_0_is_the_last_closing_stock():
    panel = _panel(_series(3, n_items=10))
    settings = StockSettings(lead_time_weeks=0, review_period_weeks=1, fill_rate_target=0.9)
    report, table, stock_path = plan_replenishment(panel, HORIZON, N_ORIGINS, STEP, settings, MIN_TRAINING)
    assert report["settings"]["lead_time_weeks"] == 0
    last = stock_path.groupby("item_id")["closing_stock"].last()
    position = table.set_index("item_id")["stock_position"]
    np.testing.assert_array_equal(position.sort_index(), last.reindex(position.index).sort_index())


def test_tuned_knob_is_the_smallest_meeting_the_target_on_the_tuning_weeks(simulated):
    (report, simulations, replay, _), tuning = simulated
    target = StockSettings().fill_rate_target
    assert set(simulations) == set(POLICIES)
    # The tuning replay ends where the reported one starts.
    assert tuning.demand.shape[1] == replay.demand.shape[1] == N_ORIGINS * STEP
    for policy in POLICIES:
        for name, row in report[policy].items():
            if name == "all":
                continue
            members = tuning.classes == name
            if not members.any():
                continue

            def fill_rate(knob, members=members, name=name, policy=policy):
                served = tuning.simulate(policy, {name: knob}, members)
                return served.served.sum() / max(served.demand.sum(), 1e-12)

            knobs = sorted(KNOBS[policy])
            index = knobs.index(row["knob"])
            assert fill_rate(row["knob"]) >= target or index == len(knobs) - 1, (policy, name)
            assert index == 0 or fill_rate(knobs[index - 1]) < target, (policy, name)


def test_reported_figures_are_the_reported_replay(simulated):
    (report, simulations, replay, _), _ = simulated
    for policy in POLICIES:
        knobs = {name: row["knob"] for name, row in report[policy].items() if name != "all"}
        again = replay.simulate(policy, knobs)
        np.testing.assert_array_equal(again.served, simulations[policy].served)
        served, demand = simulations[policy].served.sum(), simulations[policy].demand.sum()
        assert report[policy]["all"]["fill_rate"] == pytest.approx(served / demand)


def test_raising_the_knob_never_lowers_a_class_fill_rate(simulated):
    (_, _, replay, _), _ = simulated
    for policy in ("longtail", "mean_std"):
        knobs = (0.0, 1.0, 2.0, 4.0, 6.0)
        for name in np.unique(replay.classes):
            members = replay.classes == name
            if replay.demand[members].sum() == 0:
                continue
            rates = [replay.simulate(policy, {name: knob}, members).summary()["all"]["fill_rate"] for knob in knobs]
            assert all(later >= earlier for earlier, later in zip(rates, rates[1:])), (policy, name, rates)


def test_replay_order_up_to_holds_each_origins_plan_and_gives_unknown_classes_the_largest_knob(simulated):
    (_, _, replay, _), _ = simulated
    name = replay.classes[0]
    levels = replay.order_up_to("longtail", {name: 0.9})
    assert levels.shape == replay.demand.shape
    for index, planned in enumerate(replay.levels):
        block = levels[:, index * STEP : (index + 1) * STEP]
        # Classes without a knob of their own get the largest given: every item here is planned at 0.9.
        np.testing.assert_allclose(block, np.repeat(planned["longtail"](0.9)[:, None], STEP, 1))
    only = replay.order_up_to("longtail", {name: 0.9}, replay.classes == name)
    np.testing.assert_allclose(only, levels[replay.classes == name])


def test_replay_plans_each_origin_from_the_weeks_before_it():
    series = _series(4, n_items=10, n_weeks=40)
    calm = _panel(series)
    boosted = _panel(
        {item: values[:28] + [value * 20 + 50 for value in values[28:]] for item, values in series.items()}
    )
    settings = StockSettings(lead_time_weeks=1)
    classes = _classes_at(calm, 28)
    replays = [Replay.build(panel, [28, 32], 4, classes, settings, end=36) for panel in (calm, boosted)]
    np.testing.assert_array_equal(replays[0].rows, replays[1].rows)
    for policy, knob in [("longtail", 0.9), ("tsb_normal", 1.0), ("mean_std", 1.0)]:
        np.testing.assert_array_equal(replays[0].levels[0][policy](knob), replays[1].levels[0][policy](knob))
        # The second origin sees four boosted weeks and plans for them.
        assert (replays[1].levels[1][policy](knob) > replays[0].levels[1][policy](knob)).all(), policy
    assert (replays[1].demand > replays[0].demand).all()


def test_tradeoff_has_one_point_per_knob_per_policy_and_class(plan, simulated):
    report, _, _ = plan
    (_, _, replay, _), _ = simulated
    curves = tradeoff(replay)
    assert curves == report["tradeoff"]
    assert set(curves) == set(POLICIES)
    for policy, per_class in curves.items():
        assert set(per_class) == {str(name) for name in np.unique(replay.classes)}
        for points in per_class.values():
            assert [point["knob"] for point in points] == [float(knob) for knob in KNOBS[policy]]
            for point in points:
                assert set(point) == {"knob", "fill_rate", "avg_stock"}
                assert point["avg_stock"] >= 0
                assert point["fill_rate"] is None or 0.0 <= point["fill_rate"] <= 1.0
    # The tuned point lies on its curve.
    for policy in POLICIES:
        for name, row in report["inventory_simulation"][policy].items():
            if name != "all":
                assert row["knob"] in [point["knob"] for point in curves[policy][name]]


def test_system_level_reads_the_spread_to_p95_where_p90_is_the_median():
    # Rows: P10 .. P95 at LEVELS (0.1, 0.25, 0.5, 0.75, 0.9, 0.95).
    quantiles = np.array([[0.0, 1.0, 2.0, 3.0, 4.0, 9.0], [0.0, 0.0, 0.0, 0.0, 0.0, 3.0], [0.0] * 6])
    z = 2.0
    expected = [
        2.0 + z * (4.0 - 2.0) / stats.norm.ppf(0.9),
        0.0 + z * 3.0 / stats.norm.ppf(0.95),
        0.0,
    ]
    np.testing.assert_allclose(system_order_up_to(quantiles, z), expected)
    np.testing.assert_allclose(system_order_up_to(quantiles, 0.0), [2.0, 0.0, 0.0])


def test_replay_origins_end_the_horizon_before_the_panel_and_tune_on_the_weeks_before():
    assert replay_origins(N_WEEKS, HORIZON, N_ORIGINS, STEP) == (TUNING_ORIGINS, ORIGINS) == ([44, 48], [52, 56])
    assert replay_origins(N_WEEKS, HORIZON, 0, STEP) == ([], [])


def test_plan_on_a_short_panel_has_no_report_and_empty_stock():
    series = _series(5, n_items=8, n_weeks=20)
    panel = _panel(series)
    settings = StockSettings(lead_time_weeks=1, review_period_weeks=2, fill_rate_target=0.9)
    # 20 weeks: the first tuning origin would be 20 - 4 - 4 - 8 = 4 < 8 weeks of training.
    report, table, stock_path = plan_replenishment(panel, HORIZON, N_ORIGINS, STEP, settings, MIN_TRAINING)
    assert report is None
    assert stock_path.empty and list(stock_path.columns) == [
        "item_id",
        "week",
        "demand",
        "closing_stock",
        "order_up_to",
    ]
    assert len(table) == len(panel.item_ids)
    assert (table["stock_position"] == 0).all()
    # Every class orders up to the system's level at the normal quantile of the fill-rate target.
    assert (table["safety_factor"] == stats.norm.ppf(0.9)).all()
    quantiles = stock_quantiles(panel.history(panel.n_weeks), settings.protection_weeks)
    expected = np.ceil(system_order_up_to(quantiles, stats.norm.ppf(0.9)) - 1e-9)
    np.testing.assert_array_equal(table["order_up_to"], expected)
    np.testing.assert_array_equal(table["suggested_order"], expected)
    assert plan_replenishment(panel, HORIZON, 0, STEP, settings, MIN_TRAINING)[0] is None


def test_a_class_tuning_never_saw_still_gets_a_plan():
    series = _series(6, n_items=10)
    # Every old item sells often (smooth or erratic); a lumpy item first sells in week 40, 4 weeks before the first
    # tuning origin: new there, lumpy at the first reported origin, so the tuning replay has no lumpy item.
    series = {item: [value + 1 for value in values] for item, values in series.items()}
    series["late"] = [0.0] * 40 + [1, 0, 0, 9, 0, 0, 0, 2, 0, 0, 12, 0, 0, 1, 0, 0, 7, 0, 0, 3]
    panel = _panel(series)
    late = list(panel.item_ids).index("late")
    classes = _classes_at(panel, ORIGINS[0])
    assert classes[late] == "lumpy" and stock_groups(panel, ORIGINS[0])[late] == "lumpy"
    assert stock_groups(panel, TUNING_ORIGINS[0], classes)[late] == NEW
    assert "lumpy" not in set(stock_groups(panel, TUNING_ORIGINS[0], classes))
    report, table, _ = plan_replenishment(panel, HORIZON, N_ORIGINS, STEP, StockSettings(), MIN_TRAINING)
    tuned = [row["knob"] for name, row in report["inventory_simulation"]["longtail"].items() if name != "all"]
    assert report["inventory_simulation"]["longtail"]["lumpy"]["knob"] == max(tuned)
    assert table.set_index("item_id").loc["late", "order_up_to"] > 0


def test_new_items_are_their_own_stock_group_tuned_on_the_items_new_when_the_tuning_replay_began():
    series = {item: [value + 1 for value in values] for item, values in _series(9, n_items=10).items()}
    rng = np.random.default_rng(9)
    # Launched 3 to 7 weeks before the first tuning origin (44), and after the last reported one (56).
    for number, first in enumerate((37, 39, 41)):
        series[f"launch{number}"] = [0.0] * first + list(rng.poisson(4, N_WEEKS - first).astype(float) + 1)
    for number, first in enumerate((57, 58, 59)):
        series[f"fresh{number}"] = [0.0] * first + [5.0] * (N_WEEKS - first)
    panel = _panel(series)
    ids = list(panel.item_ids)
    history = panel.history(TUNING_ORIGINS[0])
    groups = stock_groups(panel, TUNING_ORIGINS[0])
    np.testing.assert_array_equal(groups[history.rows] == NEW, history.age() <= NEW_ITEM_WEEKS)
    assert {groups[ids.index(f"launch{number}")] for number in range(3)} == {NEW}
    classes = _classes_at(panel, ORIGINS[0])
    # The tuning replay had new items; the reported one has none (the fresh items first sold after its start).
    _, _, replay, knobs = inventory_simulation(panel, TUNING_ORIGINS, ORIGINS, STEP, classes, StockSettings())
    assert NEW not in set(replay.classes) and NEW in knobs["longtail"]
    tuning = Replay.build(
        panel, TUNING_ORIGINS, STEP, stock_groups(panel, TUNING_ORIGINS[0], classes), StockSettings(), end=ORIGINS[0]
    )
    assert knobs["longtail"] == tuning.tune("longtail")
    # The plan's new items order up to the system's level at the knob tuned on the items new in the tuning replay.
    _, table, _ = plan_replenishment(panel, HORIZON, N_ORIGINS, STEP, StockSettings(), MIN_TRAINING)
    knob = knobs["longtail"][NEW]
    rows = table.set_index("item_id")
    assert set(rows.loc[[f"fresh{number}" for number in range(3)], "stock_group"]) == {NEW}
    old = rows.loc[[f"item{number:02d}" for number in range(10)]]
    assert (old["stock_group"] == old["demand_class"]).all()
    quantiles = stock_quantiles(panel.history(panel.n_weeks), StockSettings().protection_weeks)
    expected = np.ceil(system_order_up_to(quantiles, knob) - 1e-9)
    fresh = table["stock_group"].to_numpy() == NEW
    assert (table.loc[fresh, "safety_factor"] == knob).all()
    np.testing.assert_array_equal(table.loc[fresh, "order_up_to"], expected[fresh])


def test_an_item_first_sold_after_the_last_plan_gets_an_order():
    series = {item: [value + 1 for value in values] for item, values in _series(8, n_items=10).items()}
    series["new"] = [0.0] * 57 + [3.0, 0, 0]
    panel = _panel(series)
    _, table, _ = plan_replenishment(panel, HORIZON, N_ORIGINS, STEP, StockSettings(), MIN_TRAINING)
    new = table.set_index("item_id").loc["new"]
    assert new["p50"] > 0 and not new["dormant"] and not new["obsolete"] and new["stock_position"] == 0
    assert new["order_up_to"] > 0 and new["suggested_order"] == new["order_up_to"]


def test_an_item_first_sold_during_the_replay_enters_at_the_next_plan_as_new():
    series = {item: [value + 1 for value in values] for item, values in _series(8, n_items=10).items()}
    # First sold in week 53, after the first reported origin (52), so the second plan (56) is its first; "mid" in
    # week 45, after the first tuning origin (44): classed by the reported origin, new in the tuning replay.
    series["late"] = [0.0] * 53 + [4.0, 0, 2, 3, 0, 5, 1]
    series["mid"] = [0.0] * 45 + [2.0, 1, 0, 3] * 3 + [1.0, 2, 0]
    panel = _panel(series)
    classes = _classes_at(panel, ORIGINS[0])
    tuning_groups = stock_groups(panel, TUNING_ORIGINS[0], classes)
    tuning = Replay.build(panel, TUNING_ORIGINS, STEP, tuning_groups, StockSettings(), end=ORIGINS[0])
    mid = list(panel.item_ids[tuning.rows]).index("mid")
    assert classes[list(panel.item_ids).index("mid")] != "" and "late" not in panel.item_ids[tuning.rows]
    assert tuning.classes[mid] == NEW and tuning.start[mid] == STEP
    _, simulations, replay, knobs = inventory_simulation(panel, TUNING_ORIGINS, ORIGINS, STEP, classes, StockSettings())
    row = list(panel.item_ids[replay.rows]).index("late")
    assert replay.classes[row] == NEW and replay.start[row] == STEP
    # Its demand before it entered is left out; from then on it is the panel's.
    np.testing.assert_array_equal(replay.demand[row], [0, 0, 0, 0, 3, 0, 5, 1])
    levels = replay.order_up_to("longtail", knobs["longtail"])[row]
    assert (levels[:STEP] == 0).all() and (levels[STEP:] > 0).all()
    simulation = simulations["longtail"]
    # It enters with its level on hand and orders nothing before.
    assert (simulation.closing_stock[row, :STEP] == 0).all() and (simulation.orders[row, :STEP] == 0).all()
    assert simulation.served[row, STEP] == 3 and simulation.closing_stock[row, STEP] == np.ceil(levels[STEP]) - 3
