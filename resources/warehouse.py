"""The DuckDB warehouse as a Dagster resource."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd

from longtail.data import warehouse

# Every op that opens the DuckDB file runs in this concurrency pool; the instance limits it to one slot
# (see resources/home.py), because DuckDB allows one writing process per file.
WAREHOUSE_POOL = "warehouse"


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB file that holds every table (``$LONGTAIL_HOME/warehouse.duckdb`` by default).

    Tests point ``path`` at a temporary file; there is no separate fake because DuckDB itself is cheap.
    ``lock_timeout_s`` is how long a step waits for another process's lock before failing.
    """

    path: str
    lock_timeout_s: float = 600.0

    @contextmanager
    def connect(
        self, read_only: bool = False, lock_timeout_s: float | None = None
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection; ``lock_timeout_s`` overrides the resource's wait for another process's lock."""
        timeout = self.lock_timeout_s if lock_timeout_s is None else lock_timeout_s
        with warehouse.connect(self.path, read_only=read_only, lock_timeout_s=timeout) as connection:
            yield connection

    def exists(self) -> bool:
        """Whether the DuckDB file has been created (a read-only connection needs it)."""
        return Path(self.path).exists()

    def read_table(self, table: str, where: str = "", params: list | None = None) -> pd.DataFrame:
        with self.connect() as connection:
            return warehouse.read_table(connection, table, where, params)
