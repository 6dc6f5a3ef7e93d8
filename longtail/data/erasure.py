"""Erasure of customers: tombstones that keep an erased customer's rows out of every later load.

A tombstone is (dataset, pseudonymous user id, when requested). Ingestion drops the rows of tombstoned customers
(``tombstoned_users``), so loading the same files again does not bring them back.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pandas as pd

from longtail.data.warehouse import table_exists

TOMBSTONES_DDL = (
    "create table if not exists erased_users (dataset varchar, user_id varchar, requested_at timestamptz, "
    "primary key (dataset, user_id))"
)


def record_tombstones(
    connection: duckdb.DuckDBPyConnection, dataset: str, user_ids: Iterable[str], requested_at: pd.Timestamp
) -> None:
    """Record the (pseudonymous) ``user_ids`` of ``dataset`` as erased; recording one again changes nothing."""
    connection.execute(TOMBSTONES_DDL)
    connection.executemany(
        "insert into erased_users values (?, ?, ?) on conflict do nothing",
        [[dataset, user_id, requested_at] for user_id in user_ids],
    )


def tombstoned_users(connection: duckdb.DuckDBPyConnection, dataset: str) -> set[str]:
    """The pseudonymous ids of ``dataset``'s erased customers. Works read-only."""
    if not table_exists(connection, "erased_users"):
        return set()
    rows = connection.execute("select user_id from erased_users where dataset = ?", [dataset]).fetchall()
    return {user_id for (user_id,) in rows}
