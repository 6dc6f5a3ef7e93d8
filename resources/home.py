"""``LONGTAIL_HOME``: the one folder holding the landing folder, the warehouse, reports and the Dagster instance."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_HOME = ".longtail"

DAGSTER_YAML = """\
# Written by longtail. DuckDB allows one writing process, so every op that opens the warehouse
# shares one pool slot; runs queue instead of failing on the file lock.
concurrency:
  runs:
    max_concurrent_runs: 4
  pools:
    default_limit: 1
telemetry:
  enabled: false
"""


def home() -> Path:
    return Path(os.environ.get("LONGTAIL_HOME", DEFAULT_HOME)).resolve()


def landing_dir() -> Path:
    return home() / "landing"


def warehouse_path() -> Path:
    return home() / "warehouse.duckdb"


def reports_dir() -> Path:
    return home() / "reports"


def dagster_home() -> Path:
    """``$LONGTAIL_HOME/dagster``, created with its ``dagster.yaml``, and exported as ``DAGSTER_HOME``."""
    path = home() / "dagster"
    path.mkdir(parents=True, exist_ok=True)
    config = path / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(path)
    return path
