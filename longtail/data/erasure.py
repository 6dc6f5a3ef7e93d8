"""Erasure of customers: deleting a customer's rows from every warehouse table, and tombstones that keep them out of
every later load.

A tombstone is (dataset, pseudonymous user id, when requested). Ingestion drops the rows of tombstoned customers
(``tombstoned_users``), so loading the same files again does not bring them back.

``erase_users`` finds what to delete by the tables' columns (``information_schema``), not by a list of table names,
so a table added later is covered when it keeps the usual columns:

- every table with ``user_id``: the customer's rows (of the dataset, where the table has ``dataset``);
- every table with ``review_id``: the rows of the customer's reviews (their ids are collected first);
- ``quarantine``: rows whose raw record (JSON) names the customer or one of their reviews;
- what was built from the text of their reviews: the per-item rows of ``REVIEW_BUILT_ITEM_TABLES`` for the items
  they reviewed (an aspect phrase or a quoted review title may be theirs), the ``generation_cache`` outputs of
  those items' descriptions, ``item_text`` and ``item_embeddings`` rows that carry such a description, and the
  content-keyed caches the caller names (``CachedRows``; the review embeddings, keyed by sentence hash, are the
  language layer's to compute). The recompute after an erasure builds these again from the remaining reviews.

``erased_users`` and ``erasure_requests`` keep the pseudonym on purpose: it is what keeps the customer out.

``erasure_requests`` queues erasures (a shop's system may insert a pending row with a pseudonym): ``pending``, then
``erased`` once the rows are deleted (with the event days the recompute must cover), then ``done`` once what
depends on them was recomputed and no serving snapshot holds them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from longtail.data.warehouse import fetch_one, table_exists

TOMBSTONES_DDL = (
    "create table if not exists erased_users (dataset varchar, user_id varchar, requested_at timestamptz, "
    "primary key (dataset, user_id))"
)
REQUESTS_DDL = (
    "create table if not exists erasure_requests (dataset varchar, user_id varchar, requested_at timestamptz, "
    "status varchar, erased_at timestamptz, first_day timestamptz, last_day timestamptz, done_at timestamptz, "
    "rows_deleted bigint, primary key (dataset, user_id))"
)
# Tables that hold erased pseudonyms by design: without them an erased customer would come back with the next load.
BOOKKEEPING_TABLES = frozenset({"erased_users", "erasure_requests"})
# Per-item rows computed from the item's reviews that may quote one: aspect phrases, review titles in descriptions.
REVIEW_BUILT_ITEM_TABLES = ("item_sentiment", "generated_descriptions")
# Columns that date a row of an event into its cleaned_events partition.
DAY_COLUMNS = ("partition_day", "event_day")
REVIEW_COLUMNS = ("review_id", "item_id", "title", "text")


@dataclass(frozen=True)
class CachedRows:
    """Rows of the content-keyed cache ``table`` whose ``column`` is one of ``keys`` (e.g. review embeddings by the
    hash of a sentence of a review)."""

    table: str
    column: str
    keys: Sequence[str]


# What a caller derives from the deleted reviews (columns ``REVIEW_COLUMNS``): the cached rows built from their text.
CacheKeys = Callable[[pd.DataFrame], list[CachedRows]]


@dataclass
class Deletion:
    """What one erasure or expiry deleted: rows per table, and the first and last partition day of the deleted events
    (None: none), which the recompute must cover."""

    rows: dict[str, int] = field(default_factory=dict)
    first_day: pd.Timestamp | None = None
    last_day: pd.Timestamp | None = None

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    @classmethod
    def combined(cls, deletions: Iterable[Deletion]) -> Deletion:
        """One ``Deletion`` of all ``deletions``: rows added up, the days spanning them all."""
        total = cls()
        for deletion in deletions:
            total.add(deletion)
        return total

    def add(self, other: Deletion) -> None:
        for table, count in other.rows.items():
            self.rows[table] = self.rows.get(table, 0) + count
        days = [day for day in (self.first_day, self.last_day, other.first_day, other.last_day) if day is not None]
        self.first_day, self.last_day = (min(days), max(days)) if days else (None, None)


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


def tables_with(connection: duckdb.DuckDBPyConnection, *columns: str) -> list[str]:
    """The base tables that have every one of ``columns``, sorted."""
    rows = connection.execute(
        "select table_name from information_schema.columns c join information_schema.tables t using "
        "(table_catalog, table_schema, table_name) where t.table_type = 'BASE TABLE' and list_contains(?, column_name) "
        "group by table_name having count(distinct column_name) = ? order by table_name",
        [list(columns), len(set(columns))],
    ).fetchall()
    return [table for (table,) in rows]


def erase_users(
    connection: duckdb.DuckDBPyConnection,
    dataset: str,
    user_ids: Iterable[str],
    *,
    cache_keys: CacheKeys = lambda reviews: [],
) -> Deletion:
    """Delete every row of the (pseudonymous) ``user_ids`` of ``dataset`` from the warehouse, and what was built from
    their reviews (see the module docstring), in one transaction. Deleting again deletes nothing more."""
    users = sorted(set(user_ids))
    matches = ("list_contains(?, user_id)", [users])
    quarantined = ("list_contains(?, json_extract_string(record, '$.user_id'))", [users])
    return delete_customer_rows(connection, dataset, "user_id", matches, quarantined, cache_keys)


def delete_customer_rows(
    connection: duckdb.DuckDBPyConnection,
    dataset: str,
    column: str,
    matches: tuple[str, list],
    quarantined: tuple[str, list],
    cache_keys: CacheKeys,
) -> Deletion:
    """Delete, in one transaction, the rows of ``dataset`` that the SQL condition ``matches`` (with its parameters)
    selects in every table with ``column``, the quarantined rows ``quarantined`` selects in the raw record, the rows
    of the matching reviews in every table with ``review_id``, and what was built from those reviews."""
    where, params = matches
    deletion = Deletion()
    connection.execute("begin transaction")
    try:
        reviews = _reviews(connection, dataset, column, where, params)
        review_ids = sorted(set(reviews["review_id"].dropna()))
        items = sorted(set(reviews["item_id"].dropna()))
        deletion.first_day, deletion.last_day = _day_bounds(connection, dataset, column, where, params)
        # Collected before any deletion: the descriptions of the reviewed items name their cached outputs and texts.
        built = _review_built_rows(connection, dataset, items)
        for table in _tables(connection, column):
            deletion.rows[table] = _delete(connection, table, dataset, where, params)
        for table in _tables(connection, "review_id"):
            deletion.rows[table] = deletion.rows.get(table, 0) + _delete(
                connection, table, dataset, "list_contains(?, review_id)", [review_ids]
            )
        if table_exists(connection, "quarantine"):
            condition, values = quarantined
            deletion.rows["quarantine"] = _delete(
                connection,
                "quarantine",
                dataset,
                f"json_valid(record) and ({condition} or list_contains(?, json_extract_string(record, '$.review_id')))",
                [*values, review_ids],
            )
        cached = [
            (rows.table, f'list_contains(?, "{rows.column}")', [list(rows.keys)])
            for rows in (cache_keys(reviews) if len(reviews) else [])
        ]
        for table, condition, values in [*built, *cached]:
            if table_exists(connection, table):
                deletion.rows[table] = deletion.rows.get(table, 0) + _delete(
                    connection, table, dataset, condition, values
                )
        connection.execute("commit")
    except BaseException:
        connection.execute("rollback")
        raise
    deletion.rows = {table: count for table, count in deletion.rows.items() if count}
    return deletion


def _tables(connection, column: str) -> list[str]:
    return [table for table in tables_with(connection, column) if table not in BOOKKEEPING_TABLES]


def _delete(connection, table: str, dataset: str | None, where: str, params: list) -> int:
    """Delete the rows of ``table`` matching ``where`` (of ``dataset`` where given and the table has the column);
    the number deleted."""
    scoped = dataset is not None and table in tables_with(connection, "dataset")
    condition = f"dataset = ? and ({where})" if scoped else where
    return int(
        fetch_one(connection, f'delete from "{table}" where {condition}', [dataset, *params] if scoped else params)[0]
    )


def _reviews(connection, dataset: str, column: str, where: str, params: list) -> pd.DataFrame:
    """The reviews (``REVIEW_COLUMNS``) of ``dataset`` matching ``where`` in every table holding reviews' text."""
    sources = tables_with(connection, column, "dataset", *REVIEW_COLUMNS)
    if not sources:
        return pd.DataFrame(columns=list(REVIEW_COLUMNS))
    columns = ", ".join(REVIEW_COLUMNS)
    sql = " union ".join(f'select {columns} from "{table}" where dataset = ? and ({where})' for table in sources)
    return connection.execute(sql, [value for _ in sources for value in (dataset, *params)]).df()


def _day_bounds(connection, dataset: str, column: str, where: str, params: list) -> tuple:
    """The first and last partition day of the matching rows of every table dated by a ``DAY_COLUMNS`` column."""
    days = []
    for day_column in DAY_COLUMNS:
        for table in tables_with(connection, column, "dataset", day_column):
            days += fetch_one(
                connection,
                f'select min("{day_column}"), max("{day_column}") from "{table}" where dataset = ? and ({where})',
                [dataset, *params],
            )
    days = [pd.Timestamp(day) for day in days if day is not None]
    return (min(days), max(days)) if days else (None, None)


def _review_built_rows(connection, dataset: str, items: list[str]) -> list[tuple[str, str, list]]:
    """(table, SQL condition, parameters) of the rows built from the reviews of ``items``: their
    ``REVIEW_BUILT_ITEM_TABLES`` rows, the cached outputs of their descriptions, and the item texts and vectors that
    carry a published description of theirs."""
    if not items:
        return []
    of_items = "list_contains(?, item_id)"
    built = [(table, of_items, [items]) for table in REVIEW_BUILT_ITEM_TABLES]
    if table_exists(connection, "generated_descriptions"):
        described = connection.execute(
            f"select prompt_hash, item_id, accepted from generated_descriptions where dataset = ? and {of_items}",
            [dataset, items],
        ).df()
        published = described.loc[described["accepted"].astype(bool), "item_id"].tolist()
        built += [
            ("generation_cache", "list_contains(?, prompt_hash)", [described["prompt_hash"].dropna().tolist()]),
            ("item_text", of_items, [published]),
            ("item_embeddings", of_items, [published]),
        ]
    return built


def add_erasure_requests(
    connection: duckdb.DuckDBPyConnection, dataset: str, user_ids: Iterable[str], requested_at: pd.Timestamp
) -> None:
    """Queue the erasure of the (pseudonymous) ``user_ids`` of ``dataset``; a customer already queued or erased is
    queued again (a later load may not have withheld rows a retention cut-off or an older key let in)."""
    connection.execute(REQUESTS_DDL)
    connection.executemany(
        "insert into erasure_requests (dataset, user_id, requested_at, status) values (?, ?, ?, 'pending') "
        "on conflict do update set requested_at = excluded.requested_at, status = 'pending', erased_at = null, "
        "done_at = null",
        [[dataset, user_id, requested_at] for user_id in user_ids],
    )


def open_erasure_requests(connection: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The requests not done yet (``pending`` or ``erased``), oldest first. Works read-only."""
    if not table_exists(connection, "erasure_requests"):
        return pd.DataFrame(columns=["dataset", "user_id", "requested_at", "status", "first_day", "last_day"])
    return connection.execute(
        "select * from erasure_requests where status <> 'done' order by requested_at, dataset, user_id"
    ).df()


def apply_erasure_requests(
    connection: duckdb.DuckDBPyConnection, *, now: pd.Timestamp, cache_keys: CacheKeys = lambda reviews: []
) -> dict[str, Deletion]:
    """Erase the customers of every open request: record their tombstones, delete their rows (again, for those
    already ``erased``: a load since may not have withheld them) and mark them ``erased`` with the event days the
    recompute must cover (those of earlier attempts included). Returns what was deleted per dataset."""
    requests = open_erasure_requests(connection)
    deleted = {}
    for dataset, group in requests.groupby("dataset", sort=True):
        users = group["user_id"].tolist()
        record_tombstones(connection, dataset, users, now)
        deletion = erase_users(connection, dataset, users, cache_keys=cache_keys)
        # The days an earlier attempt deleted still need their recompute.
        deletion.add(Deletion(first_day=_earliest(group["first_day"]), last_day=_latest(group["last_day"])))
        connection.executemany(
            "update erasure_requests set status = 'erased', erased_at = ?, first_day = ?, last_day = ?, "
            "rows_deleted = coalesce(rows_deleted, 0) + ? where dataset = ? and user_id = ?",
            [[now, deletion.first_day, deletion.last_day, deletion.total, dataset, user] for user in users],
        )
        deleted[dataset] = deletion
    return deleted


def mark_erasures_done(
    connection: duckdb.DuckDBPyConnection, dataset: str, user_ids: Iterable[str], now: pd.Timestamp
) -> None:
    """Record that what depends on the erased ``user_ids`` of ``dataset`` was recomputed and published."""
    connection.executemany(
        "update erasure_requests set status = 'done', done_at = ? where dataset = ? and user_id = ? "
        "and status = 'erased'",
        [[now, dataset, user] for user in user_ids],
    )


def _earliest(days: pd.Series) -> pd.Timestamp | None:
    days = days.dropna()
    return pd.Timestamp(days.min()) if len(days) else None


def _latest(days: pd.Series) -> pd.Timestamp | None:
    days = days.dropna()
    return pd.Timestamp(days.max()) if len(days) else None
