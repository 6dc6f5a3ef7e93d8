"""DuckDB warehouse helpers: connections that wait for the single-writer lock, idempotent window rewrites."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from longtail.files import create_once

LOCK_MESSAGES = ("Could not set lock", "Conflicting lock")


@contextmanager
def connect(
    path: str | Path, *, read_only: bool = False, lock_timeout_s: float = 600.0
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the DuckDB file at ``path``, waiting up to ``lock_timeout_s`` seconds while another process holds it.

    DuckDB allows one writing process per file; concurrent Dagster steps and runs queue here instead of failing.
    """
    path = Path(path)
    if not read_only and not path.exists():
        create(path)
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


def create(path: Path) -> None:
    """Create an empty DuckDB file at ``path`` all at once, unless another process got there first.

    DuckDB writes a new file's header after creating it, so a process killed in between would leave a file that
    no later connection can open; ``create_once`` builds it under a name of its own and links it into place.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    create_once(path, lambda building: duckdb.connect(str(building)).close())


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
    connection: duckdb.DuckDBPyConnection,
    table: str,
    frame: pd.DataFrame,
    where: str = "",
    params: list | None = None,
    *,
    vector_column: str | None = None,
) -> None:
    """Delete the rows of ``table`` matching ``where`` (all rows when empty), then insert ``frame``, atomically.

    Creates ``table`` from ``frame``'s schema on first use. Rewriting the same window twice leaves no duplicates.
    ``vector_column`` is stored as a ``FLOAT[dim]`` array (see ``replace_dataset_rows``).
    """
    if vector_column is not None:
        frame = _with_vector_column(frame, vector_column, fixed_size=True)
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
                    _conform_columns(connection, window.table, name)
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


def _conform_columns(connection: duckdb.DuckDBPyConnection, table: str, incoming: str) -> None:
    """Make ``table`` take the rows of the relation ``incoming``: add the columns it lacks (null in its existing
    rows), so that a table written by an older version takes the rows of a newer one; and give a column typed
    ``NULL`` (the table was created from an empty frame, e.g. an empty partition cleaned first) the incoming type."""
    existing = {row[0]: row[1] for row in connection.execute(f'describe "{table}"').fetchall()}
    for column, column_type, *_ in connection.execute(f"describe {incoming}").fetchall():
        if column not in existing:
            connection.execute(f'alter table "{table}" add column "{column}" {column_type}')
        elif existing[column] == '"NULL"' and column_type != '"NULL"':
            connection.execute(f'alter table "{table}" alter column "{column}" type {column_type}')


def replace_dataset_rows(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    frame: pd.DataFrame,
    *,
    vector_column: str | None = None,
    fixed_size: bool = True,
) -> None:
    """Replace the rows of every dataset in ``frame`` (its ``dataset`` column) by ``frame``, atomically.

    ``vector_column`` names a column holding one 1-D float array per row, or None: it is passed through Arrow
    without a Python object per number and stored as a DuckDB ``FLOAT[dim]`` array (``fixed_size``: every vector
    of one length, the same in every dataset) or a ``FLOAT[]`` list (vectors may be missing in whole datasets).
    """
    datasets = sorted(frame["dataset"].unique().tolist())
    if vector_column is not None:
        frame = _with_vector_column(frame, vector_column, fixed_size)
    replace_windows(connection, [Window(table, frame, "list_contains(?, dataset)", [datasets])])


def _with_vector_column(frame: pd.DataFrame, column: str, fixed_size: bool):
    import pyarrow as pa

    cells = frame[column].to_numpy()
    missing = np.array([cell is None for cell in cells], dtype=bool)
    present = [np.asarray(cell, dtype=np.float32) for cell in cells[~missing]]
    table = pa.Table.from_pandas(frame.drop(columns=[column]), preserve_index=False)
    if fixed_size:
        dim = len(present[0]) if present else 1
        vectors = np.zeros((len(cells), dim), dtype=np.float32)
        if present:
            vectors[~missing] = np.stack(present)
        values = pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), dim, mask=pa.array(missing))
    else:
        lengths = np.zeros(len(cells), dtype=np.int32)
        lengths[~missing] = [len(vector) for vector in present]
        offsets = pa.array(np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32))
        flat = pa.array(np.concatenate(present) if present else np.zeros(0, dtype=np.float32))
        values = pa.ListArray.from_arrays(offsets, flat, mask=pa.array(missing))
    return table.append_column(column, values)


def read_vectors(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    dataset: str,
    *,
    id_column: str = "item_id",
    vector_column: str = "embedding",
) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, vectors)`` of one dataset from a table with a ``FLOAT[dim]`` column: ids (n,) sorted, vectors
    (n, dim) float32 in the same order; ``(0,)`` and ``(0, 0)`` when the dataset has no rows."""
    return read_vector_rows(
        connection, table, "dataset = ?", [dataset], id_column=id_column, vector_column=vector_column
    )


def read_vector_rows(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    where: str,
    params: list,
    *,
    id_column: str,
    vector_column: str = "embedding",
) -> tuple[np.ndarray, np.ndarray]:
    """``read_vectors`` for the rows matching a SQL ``where`` clause (with ``params``)."""
    if not table_exists(connection, table):
        return np.array([], dtype=object), np.zeros((0, 0), dtype=np.float32)
    result = connection.sql(
        f'select "{id_column}", "{vector_column}" from "{table}" where {where} order by 1', params=params
    ).to_arrow_table()
    ids = np.asarray(result.column(id_column).to_pylist(), dtype=object)
    if not len(ids):
        return ids, np.zeros((0, 0), dtype=np.float32)
    column = result.column(vector_column).combine_chunks()
    return ids, column.flatten().to_numpy().astype(np.float32).reshape(len(ids), -1)


def drop_other_datasets(connection: duckdb.DuckDBPyConnection, table: str, datasets: list[str]) -> None:
    """Delete the rows of ``table`` whose dataset is not in ``datasets`` (a dataset that no longer has input)."""
    if table_exists(connection, table):
        connection.execute(f'delete from "{table}" where not list_contains(?, dataset)', [list(datasets)])
