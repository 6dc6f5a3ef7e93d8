"""Great Expectations suites as blocking Dagster asset checks.

One ``@multi_asset_check`` op per asset validates the table once and reports one check per expectation, so every
expectation is its own row in the Dagster UI while the data is read and scanned a single time.

Every check is ``blocking=True`` and fails with severity ERROR. Dagster (1.13) then fails the check step
(``DagsterAssetCheckFailedError``) after all results are recorded, and the step of every downstream asset in the
same run is skipped. Outside a run, ``AutomationCondition.all_deps_blocking_checks_passed()`` gives the same gate to
declarative automation.

No ``from __future__ import annotations`` here: Dagster reads the op's parameter annotations at definition time
(context type, resource type), and string annotations fail its checks.
"""

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import dagster as dg
import pandas as pd

from data_quality import suites
from data_quality.gx_runner import ExpectationOutcome, validate
from data_quality.suites import Suite
from resources.warehouse import WAREHOUSE_POOL, WarehouseResource

Loader = Callable[[dg.AssetCheckExecutionContext, WarehouseResource], pd.DataFrame]


def gx_asset_checks(suite: Suite, *, asset: str, load: Loader | None = None) -> dg.AssetChecksDefinition:
    """Blocking asset checks on ``asset``, one per expectation in ``suite``, run by a single op.

    ``load`` returns the frame to validate; by default the whole warehouse table named like the asset (an absent
    table reads as an empty frame, so its checks fail). Pass a loader to validate e.g. only the current partition.
    The op runs in the ``warehouse`` pool because it opens the DuckDB file, which allows one writer at a time.
    """

    def read_whole_table(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> pd.DataFrame:
        return warehouse.read_table(asset)

    load = load or read_whole_table

    @dg.multi_asset_check(
        name=f"{asset}_gx_checks",
        specs=[
            dg.AssetCheckSpec(
                name=expectation.name,
                asset=asset,
                blocking=True,
                description=f"{expectation.type}({_describe_kwargs(expectation.kwargs)})",
            )
            for expectation in suite.expectations
        ],
        description=f"Great Expectations suite {suite.name!r} on {asset}",
        pool=WAREHOUSE_POOL,
    )
    def _checks(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> Iterator[dg.AssetCheckResult]:
        frame = load(context, warehouse)
        for outcome in validate(frame, suite):
            yield dg.AssetCheckResult(
                asset_key=asset,
                check_name=outcome.name,
                passed=outcome.success,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata=check_metadata(outcome),
            )

    return _checks


def check_metadata(outcome: ExpectationOutcome) -> dict[str, dg.MetadataValue]:
    """The metadata shown with a check result: what was expected, how much failed, and which values failed."""
    metadata: dict[str, dg.MetadataValue] = {
        "expectation_type": dg.MetadataValue.text(outcome.expectation_type),
        "kwargs": dg.MetadataValue.json(dict(outcome.kwargs)),
    }
    if outcome.element_count is not None:
        metadata["element_count"] = dg.MetadataValue.int(outcome.element_count)
    if outcome.unexpected_count is not None:
        metadata["unexpected_count"] = dg.MetadataValue.int(outcome.unexpected_count)
    if outcome.unexpected_percent is not None:
        metadata["unexpected_percent"] = dg.MetadataValue.float(float(outcome.unexpected_percent))
    if isinstance(outcome.observed_value, int):
        metadata["observed_value"] = dg.MetadataValue.int(outcome.observed_value)
    elif isinstance(outcome.observed_value, (list, dict)):
        metadata["observed_value"] = dg.MetadataValue.json(outcome.observed_value)
    elif outcome.observed_value is not None:
        metadata["observed_value"] = dg.MetadataValue.text(str(outcome.observed_value))
    if outcome.failing_values:
        metadata["failing_values"] = dg.MetadataValue.json(outcome.failing_values)
        metadata["failing_value_counts"] = dg.MetadataValue.json(outcome.failing_value_counts)
    if outcome.error:
        metadata["error"] = dg.MetadataValue.text(outcome.error)
    return metadata


def _describe_kwargs(kwargs: Mapping[str, Any]) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in kwargs.items())


GX_CHECKS: list[dg.AssetChecksDefinition] = [
    gx_asset_checks(suite, asset=table) for table, suite in suites.SUITES.items()
]
