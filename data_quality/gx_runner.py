"""Run a suite on a pandas DataFrame with Great Expectations 1.x and report one outcome per expectation.

Framework-free (no Dagster). Great Expectations is imported inside ``validate`` because importing it takes seconds;
modules that only need the suites or the outcome type stay cheap to import.

Each call builds one ephemeral (in-memory) GX context, registers the frame as a whole-dataframe batch and validates
the whole suite in a single pass, so GX computes shared metrics (row count, null masks) once for all expectations.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd

from data_quality.suites import Suite

MAX_FAILING_VALUES = 20


@dataclass(frozen=True)
class ExpectationOutcome:
    """The result of one expectation, with JSON-safe values a person can read.

    ``failing_values`` samples the offending values (rows as dicts for multi-column expectations) and
    ``failing_value_counts`` counts the most frequent of them; both hold at most ``MAX_FAILING_VALUES`` entries.
    ``observed_value`` is set by aggregate expectations (row count, column list); ``error`` by an expectation that
    could not be evaluated (e.g. a missing column), which counts as a failure.
    """

    name: str
    expectation_type: str
    kwargs: Mapping[str, Any]
    success: bool
    element_count: int | None = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    observed_value: Any = None
    failing_values: list[Any] = field(default_factory=list)
    failing_value_counts: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None


def validate(frame: pd.DataFrame, suite: Suite) -> list[ExpectationOutcome]:
    """Validate ``frame`` against ``suite``; outcomes come back in the suite's order."""
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    context = gx.get_context(
        mode="ephemeral",
        project_config=DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(),
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False),
        ),
    )
    batch_definition = (
        context.data_sources.add_pandas(name="frame")
        .add_dataframe_asset(name=suite.name)
        .add_batch_definition_whole_dataframe(name="whole")
    )
    gx_suite = gx.ExpectationSuite(name=suite.name)
    for expectation in suite.expectations:
        expectation_class = getattr(gxe, expectation.type)
        gx_suite.add_expectation(expectation_class(**expectation.kwargs, meta={"name": expectation.name}))
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(
        gx_suite, result_format={"result_format": "SUMMARY", "partial_unexpected_count": MAX_FAILING_VALUES}
    )
    # GX groups results by domain, not by suite order; the name in ``meta`` maps them back.
    by_name = {item.expectation_config.meta["name"]: item for item in result.results}
    return [
        _outcome(expectation.name, expectation.type, expectation.kwargs, by_name[expectation.name])
        for expectation in suite.expectations
    ]


def _outcome(name: str, expectation_type: str, kwargs: Mapping[str, Any], item: Any) -> ExpectationOutcome:
    """Flatten one GX ``ExpectationValidationResult`` into an ``ExpectationOutcome``."""
    details = item.result or {}
    return ExpectationOutcome(
        name=name,
        expectation_type=expectation_type,
        kwargs=_json_safe(dict(kwargs)),
        success=bool(item.success),
        element_count=details.get("element_count"),
        unexpected_count=details.get("unexpected_count"),
        unexpected_percent=_json_safe(details.get("unexpected_percent")),
        observed_value=_json_safe(details.get("observed_value")),
        failing_values=_json_safe(details.get("partial_unexpected_list", [])[:MAX_FAILING_VALUES]),
        failing_value_counts=_json_safe(details.get("partial_unexpected_counts", [])[:MAX_FAILING_VALUES]),
        error=_error_message(item.exception_info),
    )


def _error_message(exception_info: Mapping[str, Any] | None) -> str | None:
    """The exception message GX caught, if any.

    GX reports it either flat (``{"raised_exception": True, "exception_message": ...}``) or, when a metric failed,
    nested under the metric's id.
    """
    if not exception_info:
        return None
    infos = [exception_info] if "raised_exception" in exception_info else list(exception_info.values())
    messages = [info.get("exception_message") for info in infos if info.get("raised_exception")]
    return "; ".join(str(message) for message in messages) or None


def _json_safe(value: Any) -> Any:
    """``value`` with timestamps as ISO strings, NaN/NaT as None, numpy scalars as Python and tuples as lists."""
    if isinstance(value, Mapping):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, (datetime, date, pd.Timestamp)):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
