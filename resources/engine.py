"""Which engine computes the heavy assets: ``local`` (pandas, numpy and DuckDB in the run's process, the default)
or ``spark`` (the jobs of ``longtail.spark`` on a Spark cluster). The asset graph, its checks, metadata and
reports are the same on either; only where the work runs changes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr

from longtail.spark.session import require_pyspark, spark_session

ENGINES = ("local", "spark")
ENGINE_ENV = "LONGTAIL_ENGINE"
MASTER_ENV = "LONGTAIL_SPARK_MASTER"
EXECUTOR_MEMORY_ENV = "LONGTAIL_SPARK_EXECUTOR_MEMORY"
EXECUTOR_CORES_ENV = "LONGTAIL_SPARK_EXECUTOR_CORES"


class EngineResource(dg.ConfigurableResource):
    """``engine``: "local" or "spark". With "spark": ``spark_master`` (a standalone master "spark://host:7077",
    or "local[n]" for one process), ``executor_memory`` ("2g") and ``executor_cores`` (0: Spark's default), and
    ``exchange_dir``, the folder (shared by the driver and the executors) where Parquet passes between the
    warehouse and the jobs. The session starts on first use and stops when the run ends."""

    engine: str = "local"
    spark_master: str = ""
    executor_memory: str = ""
    executor_cores: int = 0
    exchange_dir: str = ""
    _session = PrivateAttr(default=None)
    _started_session = PrivateAttr(default=False)
    _run_id = PrivateAttr(default="no-run")

    def checked(self) -> EngineResource:
        """This resource, once its settings are valid; else ``ValueError`` naming the wrong one (``RuntimeError``
        when the spark engine is chosen without pyspark installed)."""
        if self.engine not in ENGINES:
            raise ValueError(f"{ENGINE_ENV}: engine must be one of {', '.join(ENGINES)}, got {self.engine!r}")
        if self.engine == "spark" and not self.spark_master:
            raise ValueError(f"the spark engine needs a master URL: set {MASTER_ENV} (e.g. spark://host:7077)")
        if self.engine == "spark":
            require_pyspark()
        return self

    @property
    def is_spark(self) -> bool:
        return self.checked().engine == "spark"

    def spark(self):
        """The run's SparkSession (started on first call, or the process's active one on the same master)."""
        from pyspark.sql import SparkSession

        if self._session is None:
            active = SparkSession.getActiveSession()
            self._started_session = active is None or active.sparkContext.master != self.spark_master
            config = {}
            if self.executor_memory:
                config["spark.executor.memory"] = self.executor_memory
            if self.executor_cores:
                config["spark.executor.cores"] = str(self.executor_cores)
            self._session = spark_session(self.spark_master, app_name="longtail", config=config)
        return self._session

    def exchange(self, name: str) -> Path:
        """A folder for one job's Parquet: ``<exchange_dir>/<run id>/<name>`` (created), so concurrent runs never
        share one."""
        path = Path(self.exchange_dir) / self._run_id / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._run_id = context.run_id or "no-run"

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        """Stop the session this resource started, so the cluster's cores go to the next application, and remove
        the run's exchange folder: its Parquet is in the warehouse now."""
        if self._session is not None and self._started_session:
            self._session.stop()
        self._session = None
        shutil.rmtree(Path(self.exchange_dir) / self._run_id, ignore_errors=True)


def engine_from_env(exchange_dir: Path, environ: dict[str, str] | os._Environ = os.environ) -> EngineResource:
    """The engine of ``LONGTAIL_ENGINE`` (default "local"), with ``LONGTAIL_SPARK_MASTER``,
    ``LONGTAIL_SPARK_EXECUTOR_MEMORY`` and ``LONGTAIL_SPARK_EXECUTOR_CORES``; a wrong setting raises naming it."""
    cores = environ.get(EXECUTOR_CORES_ENV, "0")
    if not cores.isdigit():
        raise ValueError(f"{EXECUTOR_CORES_ENV}: {cores!r} is not a whole number of cores")
    return EngineResource(
        engine=environ.get(ENGINE_ENV, "local"),
        spark_master=environ.get(MASTER_ENV, ""),
        executor_memory=environ.get(EXECUTOR_MEMORY_ENV, ""),
        executor_cores=int(cores),
        exchange_dir=str(exchange_dir),
    ).checked()
