"""A SparkSession for longtail's jobs, and the settings its executors need."""

from __future__ import annotations

import importlib.util
import os
import sys

# The session defaults: Arrow moves pandas frames in and out of the JVM (mapInPandas, createDataFrame); few shuffle
# partitions suit the few cores a worker has (a large cluster raises it through ``config``); Python workers are
# reused, so a model loaded once by a worker serves all its tasks.
DEFAULT_CONFIG = {
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.shuffle.partitions": "8",
    "spark.python.worker.reuse": "true",
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.showConsoleProgress": "false",
}


def require_pyspark() -> None:
    """Raise ``RuntimeError`` saying how to install pyspark when it is not installed (an optional dependency)."""
    if importlib.util.find_spec("pyspark") is None:
        raise RuntimeError("the spark engine needs pyspark: pip install -e '.[spark]' (see docs/scaling.md)")


def spark_session(master: str, *, app_name: str = "longtail", config: dict[str, str] | None = None):
    """The session on ``master`` ("spark://host:port" for a standalone cluster, "local[n]" for a single
    process), with ``DEFAULT_CONFIG`` under ``config``. The executors run this interpreter (``sys.executable``),
    so they import the same longtail and libraries as the driver. An active session with another master is
    stopped first: one driver holds one SparkContext."""
    require_pyspark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None and active.sparkContext.master != master:
        active.stop()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in {**DEFAULT_CONFIG, **(config or {})}.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def tasks_by_executor(spark) -> dict[str, int]:
    """Completed tasks per executor id of ``spark``'s application so far (the driver left out), from the
    driver's monitoring REST API: proof of where the work ran."""
    import json
    from urllib.request import urlopen

    context = spark.sparkContext
    url = f"{context.uiWebUrl}/api/v1/applications/{context.applicationId}/allexecutors"
    # A driver busy with a job answers late: a minute, not the usual seconds.
    with urlopen(url, timeout=60) as response:
        executors = json.load(response)
    return {e["id"]: int(e["completedTasks"]) for e in executors if e["id"] != "driver"}
