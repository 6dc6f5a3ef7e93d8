"""``LONGTAIL_HOME``: the one folder holding the landing folder, the warehouse, reports and the Dagster instance."""

from __future__ import annotations

import os
from pathlib import Path

from longtail.files import write_text_whole

DEFAULT_HOME = ".longtail"

# A dagster.yaml whose first line starts so is longtail's: ``dagster_home`` brings it up to date with the text
# below (earlier versions wrote less); without that line, the file is the user's and left alone.
MANAGED_PREFIX = "# Written by longtail"
DAGSTER_YAML = f"""\
{MANAGED_PREFIX}; delete this line to keep your own edits.
# DuckDB allows one writing process, so every op that opens the warehouse shares one pool slot; runs queue
# instead of failing on the file lock.
concurrency:
  runs:
    max_concurrent_runs: 4
  pools:
    default_limit: 1
# The local run launcher, plus a check of each started run's worker process, so that run monitoring fails a run
# whose worker was killed (see orchestration/recovery.py).
run_launcher:
  module: orchestration.recovery
  class: WorkerCheckingRunLauncher
# The daemon fails runs stuck starting or cancelling or whose worker died, and frees the pool slots of finished
# runs (a run killed mid-step would otherwise hold the warehouse slot for ever). The local run launcher cannot
# resume a run.
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  cancel_timeout_seconds: 60
  max_resume_run_attempts: 0
  poll_interval_seconds: 30
  free_slots_after_run_end_seconds: 30
# A run whose worker died is launched again (every asset rewrites its window whole, so a rerun is safe); a run
# that failed in a step is not: rerunning the same bad input fails the same way.
run_retries:
  enabled: true
  max_retries: 2
  retry_on_asset_or_op_failure: false
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


def serving_dir() -> Path:
    """Where ``serving_snapshot`` publishes and ``longtail serve`` reads (``longtail.serving.snapshot``)."""
    return home() / "serving"


def spark_exchange_dir() -> Path:
    """Where the Spark engine's jobs exchange Parquet with the warehouse (``longtail.spark.exchange``)."""
    return home() / "spark"


def id_key_path() -> Path:
    """The id key file (``longtail.privacy.pseudonyms``), used when ``LONGTAIL_ID_KEY`` is not set."""
    return home() / "secrets" / "id_key"


def api_keys_path() -> Path:
    """The serving API's keys, hashed (``longtail.serving.access.KeyStore``; ``longtail api-key``)."""
    return home() / "secrets" / "api_keys.json"


def dagster_home() -> Path:
    """``$LONGTAIL_HOME/dagster``, created with longtail's ``dagster.yaml`` (or brought up to date: see
    ``MANAGED_PREFIX``), and exported as ``DAGSTER_HOME``."""
    path = home() / "dagster"
    path.mkdir(parents=True, exist_ok=True)
    config = path / "dagster.yaml"
    current = config.read_text() if config.exists() else None
    if current is None or (current != DAGSTER_YAML and current.startswith(MANAGED_PREFIX)):
        write_text_whole(config, DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(path)
    return path
