import json

from resources import home as longtail_home
from tests.assets.conftest import metadata


def test_weekly_history_and_classes_cover_every_sold_item(reviewed_shop):
    home, result, _ = reviewed_shop
    sold = home.count("select count(distinct item_id) from cleaned_events where event_type = 'purchase'")
    assert sold > 50
    assert home.count("select count(distinct item_id) from demand_history") == sold
    assert home.count("select count(*) from demand_classes") == sold == metadata(result, "demand_history")["items"]
    assert home.count("select count(*) from demand_history where units < 0") == 0


def test_forecasts_have_intervals_and_signals_and_the_backtest_report_has_every_model(reviewed_shop):
    home, result, _ = reviewed_shop
    assert home.count("select count(*) from demand_forecasts") == home.count("select count(*) from demand_classes")
    assert home.count("select count(*) from demand_forecasts where total_lo_80 > forecast_total") == 0
    assert home.count("select count(*) from demand_forecasts where forecast_total > total_hi_80") == 0
    with home.warehouse().connect() as connection:
        signals = {s for (s,) in connection.execute("select distinct signal from demand_forecasts").fetchall()}
    assert signals <= {"dormant", "rising", "falling", "steady"}
    report = json.loads((longtail_home.reports_dir() / "demand_forecasts.json").read_text())
    assert report["dataset"] == "shop" and report["system"] in report["models"]
    assert {"naive", "seasonal_naive", "moving_average", "tsb", "ets"} <= set(report["models"])
    assert set(report["models"][report["system"]]["rmsse"]) == {"all", "smooth", "erratic", "intermittent", "lumpy"}
    assert report["backtest"]["n_series"] > 0
    assert "shop: backtest RMSSE by class" in metadata(result, "demand_forecasts")
