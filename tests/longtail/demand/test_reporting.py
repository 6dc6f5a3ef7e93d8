import pandas as pd

from longtail.demand.reporting import (
    class_table,
    interval_table,
    invalid_forecasts,
    invalid_orders,
    signal_counts,
    simulation_table,
)


def test_signal_counts_and_invalid_forecasts():
    planner = pd.DataFrame(
        {
            "dataset": ["shop", "shop", "shop", "other"],
            "signal": ["dormant", "rising", "rising", "steady"],
            "forecast_total": [0.0, 5.0, 4.0, -1.0],
            "total_lo_80": [0.0, 9.5, 1.0, 0.0],
            "total_hi_80": [0.0, 9.0, 3.0, 2.0],
            "p10": [0.0, 1.0, 2.0, 0.0],
            "p25": [0.0, 2.0, 1.0, 0.0],
        }
    ).assign(p50=3.0, p75=3.0, p90=4.0, p95=5.0)
    counts = signal_counts(planner).set_index(["dataset", "signal"])["items"].to_dict()
    assert counts == {("other", "steady"): 1, ("shop", "dormant"): 1, ("shop", "rising"): 2}
    # Valid; an inverted interval; decreasing quantiles; a negative forecast.
    assert invalid_forecasts(planner).tolist() == [False, True, True, True]


def test_invalid_orders_flags_fractions_negatives_and_orders_of_obsolete_items():
    plan = pd.DataFrame(
        {
            "order_up_to": [5.0, 5.5, 3.0, 0.0],
            "reorder_point": [4.0, 4.5, 2.0, 0.0],
            "suggested_order": [2.0, 1.0, -1.0, 3.0],
            "obsolete": [False, False, False, True],
        }
    )
    assert invalid_orders(plan).tolist() == [False, True, True, True]


def test_class_table_marks_the_system_and_rounds():
    table = class_table({"global_gbm": {"smooth": 0.123456, "lumpy": None}, "tsb": {"smooth": 0.2, "lumpy": 0.5}})
    assert table["model"].tolist() == ["global_gbm (longtail)", "tsb"]
    assert table.loc[0, "smooth"] == 0.1235 and pd.isna(table.loc[0, "lumpy"])


def test_simulation_table_has_one_row_per_policy_and_class_with_intervals_as_text():
    figures = {"fill_rate": 0.91234, "avg_stock": 1234.56, "knob": 1.2}
    report = {
        "inventory_simulation": {
            "longtail": {
                "smooth": figures | {"fill_rate_ci95": [0.9, 0.92], "avg_stock_ci95": [1000.4, 1500.6]},
                "lumpy": figures | {"fill_rate_ci95": None, "avg_stock_ci95": [1.0, 2.0]},
            }
        }
    }
    table = simulation_table(report)
    assert table[["policy", "stock_group"]].values.tolist() == [["longtail", "smooth"], ["longtail", "lumpy"]]
    assert table["fill_rate"].tolist() == [0.9123, 0.9123] and table["avg_stock"].tolist() == [1235.0, 1235.0]
    assert table["fill_rate_ci95"].tolist() == ["0.900-0.920", None]
    assert table["avg_stock_ci95"].tolist() == ["1000-1501", "1-2"]


def test_interval_table_skips_classes_without_figures():
    report = {
        "quantile_intervals": {
            "lumpy": {
                "baseline": "tsb_conformal",
                "ratio": 0.99234,
                "ratio_ci95": [0.97, 1.01],
                "coverage": 0.7951,
                "coverage_ci95": [0.78, 0.81],
            },
            "smooth": None,
        }
    }
    row = interval_table(report).to_dict("records")
    assert row == [
        {
            "demand_class": "lumpy",
            "baseline": "tsb_conformal",
            "loss_ratio": 0.992,
            "ratio_ci95": "0.970-1.010",
            "coverage": 0.795,
            "coverage_ci95": "0.780-0.810",
        }
    ]
