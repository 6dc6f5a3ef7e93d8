import json

import dagster as dg

from orchestration.definitions import ASSETS, CHECKS
from orchestration.sensors import RANGE_END_TAG, RANGE_START_TAG
from resources import home as longtail_home
from tests.assets.conftest import metadata, run
from tests.fixtures import write_events


def markdown_cells(line: str) -> list[str]:
    """The cells of one row of a markdown table, stripped."""
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_weekly_history_and_classes_cover_every_sold_item(reviewed_shop):
    home, result, _ = reviewed_shop
    sold = home.count("select count(distinct item_id) from cleaned_events where event_type = 'purchase'")
    assert sold > 50
    assert home.count("select count(distinct item_id) from demand_history") == sold
    assert home.count("select count(*) from demand_classes") == sold == metadata(result, "demand_history")["items"]
    assert home.count("select count(*) from demand_history where units < 0") == 0


def test_demand_counts_the_guest_sales_that_cleaned_events_leave_out(home):
    # EVENTS_CSV: item i2 sold a unit to u1 on Friday 2024-03-01 and one to a guest on Sunday 03-03 (order o4).
    home.drop_shop_files()
    with dg.DagsterInstance.ephemeral() as instance:
        run(home, "key:raw_events or key:raw_items or key:raw_reviews", instance=instance)
        run(home, "key:cleaned_events", {RANGE_START_TAG: "2024-01-01", RANGE_END_TAG: "2024-01-01"}, instance)
        result = run(home, "key:guest_sales or key:demand_history", instance=instance)
    assert home.count("select count(*) from cleaned_events where item_id = 'i2'") == 1
    assert home.count("select sum(units) from demand_history where item_id = 'i2'") == 2
    assert home.count("select count(*) from guest_sales where item_id = 'i2' and user_id is null") == 1
    [_, _, row] = metadata(result, "guest_sales")["guest_share_by_dataset"].splitlines()
    assert markdown_cells(row) == ["shop", "4", "1", "1", "0.2", "0"]  # u2's repeated line is a duplicate


def test_guest_sales_hold_the_periods_whose_events_are_cleaned(home):
    home.drop_shop_files()
    may = "user_id,item_id,event_type,ts,quantity,price,order_id\n,i1,purchase,2024-05-20T08:00:00Z,3,3.5,o9\n"
    write_events(home.landing / "shop" / "may.csv", may)
    guest_units = "select coalesce(sum(quantity), 0) from guest_sales"
    with dg.DagsterInstance.ephemeral() as instance:
        run(home, "key:raw_events or key:raw_items or key:raw_reviews", instance=instance)
        run(home, "key:cleaned_events", {RANGE_START_TAG: "2024-01-01", RANGE_END_TAG: "2024-01-01"}, instance)
        run(home, "key:guest_sales", instance=instance)
        assert home.count(guest_units) == 1  # March's guest line; May's period is not cleaned yet
        run(home, "key:cleaned_events", {RANGE_START_TAG: "2024-05-01", RANGE_END_TAG: "2024-05-01"}, instance)
        run(home, "key:guest_sales", instance=instance)
        assert home.count(guest_units) == 1 + 3


def test_forecasts_have_intervals_and_signals_and_the_backtest_report_has_every_model(reviewed_shop):
    home, result, _ = reviewed_shop
    assert home.count("select count(*) from demand_forecasts") == home.count("select count(*) from demand_classes")
    assert home.count("select count(*) from demand_forecasts where total_lo_80 > total_hi_80 or total_lo_80 < 0") == 0
    assert home.count("select count(*) from demand_forecasts where p10 > p50 or p50 > p95") == 0
    with home.warehouse().connect() as connection:
        signals = {s for (s,) in connection.execute("select distinct signal from demand_forecasts").fetchall()}
    assert signals <= {"dormant", "rising", "falling", "steady"}
    report = json.loads((longtail_home.reports_dir() / "demand_forecasts.json").read_text())
    assert report["dataset"] == "shop" and report["system"] in report["models"]
    assert {"naive", "seasonal_naive", "moving_average", "tsb", "ets"} <= set(report["models"])
    assert set(report["models"][report["system"]]["rmsse"]) == {"all", "smooth", "erratic", "intermittent", "lumpy"}
    assert report["backtest"]["n_series"] > 0
    assert set(report["quantile_loss"]) == set(report["coverage80"]) >= {report["system"], "tsb_conformal", "empirical"}
    assert "shop: backtest RMSSE by class" in metadata(result, "demand_forecasts")
    assert "shop: scaled pinball loss by class" in metadata(result, "demand_forecasts")
    assert "shop: quantile loss against the best baseline, 95% intervals" in metadata(result, "demand_forecasts")


def test_the_replenishment_plan_orders_whole_units_and_the_report_replays_every_policy(reviewed_shop):
    home, _, _ = reviewed_shop
    # The shop's 17 weeks hold a replay and the weeks to tune it before only with 2-week origins.
    config = {
        "horizon": 2,
        "backtest_origins": 2,
        "backtest_step": 2,
        "stock": {"lead_time_weeks": 1},
        "stock_by_category": {"Home > Garden": {"lead_time_weeks": 0, "fill_rate_target": 0.9}},
    }
    result = dg.materialize(
        [*ASSETS, *CHECKS],
        selection="key:demand_forecasts or key:replenishment_plan",
        resources=home.resources(),
        run_config={"ops": {"demand_plans": {"config": config}}},
    )
    assert result.success
    assert home.count("select count(*) from replenishment_plan") == home.count("select count(*) from demand_classes")
    bad = (
        "select count(*) from replenishment_plan where suggested_order < 0 or suggested_order <> round(suggested_order)"
    )
    assert home.count(bad) == 0
    assert home.count("select count(*) from replenishment_plan where obsolete and suggested_order > 0") == 0
    report = json.loads((longtail_home.reports_dir() / "demand_forecasts.json").read_text())
    simulation = report["inventory_simulation"]
    assert set(simulation) == {"longtail", "tsb_normal", "mean_std"}
    for by_class in simulation.values():
        assert {"fill_rate", "target", "avg_stock", "stockout_weeks"} <= set(by_class["all"])
        assert 0 <= by_class["all"]["fill_rate"] <= 1 and by_class["all"]["target"] == 0.95
    assert report["settings"] == {"lead_time_weeks": 1, "review_period_weeks": 1, "fill_rate_target": 0.95}
    shown = metadata(result, "replenishment_plan")
    assert shown["dagster/row_count"] == home.count("select count(*) from replenishment_plan")
    assert {"shop: replay by policy and stock group", "shop: fill rate against stock (plot)"} <= set(shown)
    assert "shop: items to look at first (plot)" in shown
    # The largest order first, named by its title.
    [header, _, first, *_] = shown["orders_preview"].splitlines()
    cells = dict(zip(markdown_cells(header), markdown_cells(first)))
    with home.warehouse().connect() as connection:
        [(title, order, largest)] = connection.execute(
            "select i.title, p.suggested_order, (select max(suggested_order) from replenishment_plan) "
            "from replenishment_plan p join cleaned_items i using (dataset, item_id) where p.item_id = ?",
            [cells["item_id"]],
        ).fetchall()
    assert cells["title"] == title and order == largest > 0
    # The garden items are planned with their category's settings, the others with the dataset's.
    settings = (
        "select c.category, p.lead_time_weeks, p.fill_rate_target, count(*) from replenishment_plan p "
        "join cleaned_items c using (dataset, item_id) group by all order by 1"
    )
    with home.warehouse().connect() as connection:
        rows = connection.execute(settings).fetchall()
    assert [row[:3] for row in rows] == [("Home > Garden", 0, 0.9), ("Home > Kitchen", 1, 0.95)]


def test_the_trade_off_plot_draws_a_class_without_demand_in_the_replayed_weeks(tmp_path):
    from assets.demand import REPORT_NAME, _tradeoff_plot

    figures = {"fill_rate": None, "avg_stock": 3.0, "knob": 0.9}
    report = {
        "dataset": "shop",
        "settings": {"fill_rate_target": 0.95},
        "tradeoff": {"longtail": {"smooth": [{"knob": 0.9, "fill_rate": None, "avg_stock": 3.0}]}},
        "inventory_simulation": {"longtail": {"smooth": figures}},
    }
    (tmp_path / REPORT_NAME).mkdir()
    markdown = _tradeoff_plot(report, tmp_path)
    assert markdown.startswith("![average stock against fill rate](data:image/png;base64,")
    assert (tmp_path / REPORT_NAME / "shop_stock_tradeoff.png").stat().st_size > 0


def test_a_shop_of_reviews_alone_has_no_demand_to_plan_and_fails_nothing(home, tmp_path):
    """The Amazon 5-core files hold reviews only: no events table is ever cleaned, so there are no customers' sales
    to set guests' beside, no demand history and nothing to stock; the demo's data-layer report counts what is
    there."""
    from orchestration.demo import write_data_layer_report
    from tests.fixtures import write_reviews

    write_reviews(home.landing / "shop" / "reviews.jsonl")
    with dg.DagsterInstance.ephemeral() as instance:
        run(home, "key:raw_events or key:raw_items or key:raw_reviews or key:cleaned_reviews", instance=instance)
        selection = "key:guest_sales or key:demand_history or key:demand_forecasts or key:replenishment_plan"
        result = run(home, selection, instance=instance)
    assert metadata(result, "guest_sales")["dagster/row_count"] == 0
    assert metadata(result, "replenishment_plan")["dagster/row_count"] == 0
    summary = write_data_layer_report(home.warehouse_path, tmp_path)
    assert set(summary["shop"]) == {"reviews"} and summary["shop"]["reviews"]["cleaned"] > 0
    assert json.loads((tmp_path / "data_layer.json").read_text()) == summary
