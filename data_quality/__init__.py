"""Data-quality gates: Great Expectations 1.x suites as code and the adapter that runs them as Dagster asset checks.

- ``suites``: the expectations per warehouse table, kept as plain data.
- ``gx_runner``: runs a suite on a pandas DataFrame with Great Expectations (no Dagster).
- ``checks``: turns a suite into blocking Dagster asset checks.

Nothing is imported here so that ``import data_quality.suites`` stays cheap (Great Expectations takes seconds to
import and is only loaded when a validation runs).
"""
