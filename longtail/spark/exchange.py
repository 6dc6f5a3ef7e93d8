"""Data between DuckDB and Spark, as Parquet: DuckDB writes what a Spark job reads, Spark writes a folder of
partitioned Parquet that DuckDB reads back (``read_parquet(.../**/*.parquet)``), so the warehouse stays the one
store the checks, previews and reports read, whichever engine computed a table."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd


def export_query(connection: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None, path: Path) -> Path:
    """Write the rows of ``sql`` (with ``params``, positional or named) to the Parquet file ``path`` (replaced if
    present); return it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    connection.execute(f"copy ({sql}) to '{path}' (format parquet)", params or None)
    return path


def export_frame(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` (index dropped) to the Parquet file ``path`` (replaced if present); return it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)
    return path


def write_spark(frame, path: Path, partition_by: list[str] | None = None) -> Path:
    """Write the Spark DataFrame ``frame`` as a folder of Parquet files (by ``partition_by`` columns), replacing
    what ``path`` held; return ``path``."""
    path = Path(path)
    shutil.rmtree(path, ignore_errors=True)
    writer = frame.write.mode("overwrite")
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    writer.parquet(str(path))
    return path


def read_parquet(
    connection: duckdb.DuckDBPyConnection, path: Path, columns: list[str] | None = None, where: str = ""
) -> pd.DataFrame:
    """The rows of a Parquet file, or of a folder Spark wrote (its partition columns included), as pandas;
    ``columns`` (in that order, default all) and an optional ``where`` filter over them. An empty folder (a job
    that wrote no rows) gives an empty frame of ``columns``."""
    path = Path(path)
    if path.is_dir():
        if not any(path.rglob("*.parquet")):
            return pd.DataFrame(columns=columns or [])
        source = f"read_parquet('{path}/**/*.parquet', hive_partitioning = true, union_by_name = true)"
    else:
        source = f"read_parquet('{path}')"
    selected = ", ".join(f'"{column}"' for column in columns) if columns else "*"
    return connection.sql(f"select {selected} from {source}" + (f" where {where}" if where else "")).df()
