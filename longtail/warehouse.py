"""DuckDB warehouse helpers: connections that wait for the single-writer lock, idempotent window rewrites."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

LOCK_MESSAGES = ("Could not set lock", "Conflicting lock")


@contextmanager
def connect(
    path: str | Path, *, read_only: bool = False, lock_timeout_s: float = 600.0
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the DuckDB file at ``path``, waiting up to ``lock_timeout_s`` seconds while another process holds it.

    DuckDB allows one writing process per file; concurrent Dagster steps and runs queue here instead of failing.
    """
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + lock_timeout_s
    delay = 0.05
    while True:
        try:
            connection = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as error:
            if not any(m in str(error) for m in LOCK_MESSAGES) or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
    try:
        connection.execute("set TimeZone = 'UTC'")
        yield connection
    finally:
        connection.close()


def fetch_one(connection: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple:
    """The first row of a query that returns one. Fetches the whole result: DuckDB refuses further work on a
    connection (``register``, for one) while a result is only partly fetched."""
    return connection.execute(sql, params or []).fetchall()[0]


def table_exists(connection: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(
        fetch_one(connection, "select count(*) from information_schema.tables where table_name = ?", [table])[0]
    )


def read_table(
    connection: duckdb.DuckDBPyConnection, table: str, where: str = "", params: list | None = None
) -> pd.DataFrame:
    """All rows of ``table`` (optionally filtered by a SQL ``where`` clause) as a DataFrame; empty if absent."""
    if not table_exists(connection, table):
        return pd.DataFrame()
    sql = f'select * from "{table}"' + (f" where {where}" if where else "")
    return connection.execute(sql, params or []).df()


def replace_rows(
    connection: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, where: str = "", params: list | None = None
) -> None:
    """Delete the rows of ``table`` matching ``where`` (all rows when empty), then insert ``frame``, atomically.

    Creates ``table`` from ``frame``'s schema on first use. Rewriting the same window twice leaves no duplicates.
    """
    replace_windows(connection, [Window(table, frame, where, params or [])])


@dataclass(frozen=True)
class Window:
    """Rows of ``table`` matching the SQL ``where`` (with ``params``; empty: all rows), to be replaced by ``frame``."""

    table: str
    frame: pd.DataFrame
    where: str = ""
    params: list = field(default_factory=list)


def replace_windows(connection: duckdb.DuckDBPyConnection, windows: list[Window]) -> None:
    """Rewrite every window in one transaction: all of them change, or none does."""
    connection.execute("begin transaction")
    try:
        for number, window in enumerate(windows):
            name = f"_incoming_{number}"
            connection.register(name, window.frame)
            try:
                if table_exists(connection, window.table):
                    condition = f" where {window.where}" if window.where else ""
                    connection.execute(f'delete from "{window.table}"{condition}', window.params)
                    connection.execute(f'insert into "{window.table}" by name select * from {name}')
                else:
                    connection.execute(f'create table "{window.table}" as select * from {name}')
            finally:
                connection.unregister(name)
        connection.execute("commit")
    except BaseException:
        connection.execute("rollback")
        raise
