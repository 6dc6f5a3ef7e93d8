"""GX suites as blocking Dagster asset checks: a failing expectation on an upstream table stops its downstream
asset in the same run, a passing suite lets it run, and each result carries the failing values."""

import dagster as dg
import pandas as pd
import pytest

from data_quality.checks import GX_CHECKS, gx_asset_checks
from data_quality.suites import SUITES, Expectation, Suite, not_null
from longtail.data import warehouse as wh
from resources.warehouse import WarehouseResource

ORDERS_SUITE = Suite(
    "orders",
    (
        not_null("order_id"),
        Expectation(
            "quantity_positive",
            "ExpectColumnValuesToBeBetween",
            {"column": "quantity", "min_value": 0, "strict_min": True},
        ),
    ),
)

GOOD_ORDERS = pd.DataFrame({"order_id": ["o1", "o2", "o3"], "quantity": [1.0, 2.0, 5.0]})
BAD_ORDERS = pd.DataFrame({"order_id": ["o1", "o2", "o3"], "quantity": [1.0, -2.0, 0.0]})


def pipeline(orders: pd.DataFrame) -> list:
    """An ``orders`` asset that writes ``orders`` to the warehouse, a downstream ``order_totals``, and the checks."""

    @dg.asset(name="orders")
    def orders_asset(warehouse: WarehouseResource) -> None:
        with warehouse.connect() as connection:
            wh.replace_rows(connection, "orders", orders)

    @dg.asset(deps=[orders_asset])
    def order_totals(warehouse: WarehouseResource) -> None:
        with warehouse.connect() as connection:
            totals = wh.read_table(connection, "orders").groupby("order_id", as_index=False)["quantity"].sum()
            wh.replace_rows(connection, "order_totals", totals)

    return [orders_asset, order_totals, gx_asset_checks(ORDERS_SUITE, asset="orders")]


@pytest.fixture
def warehouse(tmp_path) -> WarehouseResource:
    return WarehouseResource(path=str(tmp_path / "warehouse.duckdb"), lock_timeout_s=5)


def run(orders: pd.DataFrame, warehouse: WarehouseResource) -> dg.ExecuteInProcessResult:
    return dg.materialize(pipeline(orders), resources={"warehouse": warehouse}, raise_on_error=False)


def evaluations(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {evaluation.check_name: evaluation for evaluation in result.get_asset_check_evaluations()}


def started_steps(result: dg.ExecuteInProcessResult) -> set[str]:
    return {event.step_key for event in result.all_events if event.event_type == dg.DagsterEventType.STEP_START}


def materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {event.asset_key.to_user_string() for event in result.get_asset_materialization_events()}


def test_failing_blocking_expectation_stops_downstream_in_same_run(warehouse):
    result = run(BAD_ORDERS, warehouse)

    assert not result.success
    assert materialized(result) == {"orders"}
    assert {name: e.passed for name, e in evaluations(result).items()} == {
        "order_id_not_null": True,
        "quantity_positive": False,
    }
    assert "order_totals" not in started_steps(result)
    assert warehouse.read_table("order_totals").empty


def test_passing_suite_lets_downstream_run(warehouse):
    result = run(GOOD_ORDERS, warehouse)

    assert result.success
    assert materialized(result) == {"orders", "order_totals"}
    assert all(e.passed for e in evaluations(result).values())
    assert len(warehouse.read_table("order_totals")) == 3


def test_check_results_carry_failing_values(warehouse):
    evaluation = evaluations(run(BAD_ORDERS, warehouse))["quantity_positive"]

    metadata = {key: value.value for key, value in evaluation.metadata.items()}
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert metadata["expectation_type"] == "ExpectColumnValuesToBeBetween"
    assert metadata["kwargs"] == {"column": "quantity", "min_value": 0, "strict_min": True}
    assert metadata["element_count"] == 3
    assert metadata["unexpected_count"] == 2
    assert metadata["unexpected_percent"] == pytest.approx(200 / 3)
    assert metadata["failing_values"] == [-2.0, 0.0]
    assert sorted(c["value"] for c in metadata["failing_value_counts"]) == [-2.0, 0.0]


def test_custom_loader_decides_what_is_validated(warehouse):
    def only_valid_rows(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> pd.DataFrame:
        return warehouse.read_table("orders", where="quantity > 0")

    orders_asset, order_totals, _ = pipeline(BAD_ORDERS)
    checks = gx_asset_checks(ORDERS_SUITE, asset="orders", load=only_valid_rows)

    result = dg.materialize(
        [orders_asset, order_totals, checks], resources={"warehouse": warehouse}, raise_on_error=False
    )

    assert result.success
    assert evaluations(result)["quantity_positive"].metadata["element_count"].value == 1


def test_gx_checks_cover_every_table_with_one_blocking_check_per_expectation():
    specs_by_table = {checks.node_def.name.removesuffix("_gx_checks"): list(checks.check_specs) for checks in GX_CHECKS}

    assert specs_by_table.keys() == SUITES.keys()
    for table, specs in specs_by_table.items():
        assert [spec.name for spec in specs] == [e.name for e in SUITES[table].expectations]
        assert {spec.asset_key for spec in specs} == {dg.AssetKey(table)}
        assert all(spec.blocking for spec in specs)
    assert {checks.node_def.pool for checks in GX_CHECKS} == {"warehouse"}


def test_gx_checks_load_into_definitions(warehouse):
    definitions = dg.Definitions(
        assets=[dg.AssetSpec(table) for table in SUITES],
        asset_checks=GX_CHECKS,
        resources={"warehouse": warehouse},
    )

    check_keys = definitions.resolve_asset_graph().asset_check_keys

    assert len(check_keys) == sum(len(suite.expectations) for suite in SUITES.values())
