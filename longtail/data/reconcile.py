"""raw = cleaned + quarantined, per file: the count that proves the cleaning step lost nothing."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from longtail.data.warehouse import table_exists


def reconcile(connection: duckdb.DuckDBPyConnection, table: str, days: list[dt.date] | None = None) -> pd.DataFrame:
    """Per source file (one content in one dataset), the rows of ``raw_<table>``, ``cleaned_<table>`` and
    ``quarantine`` and what is missing.

    ``days`` restricts events to those daily partitions (the ones cleaned so far); ``None`` counts every row.
    Columns: dataset, source_file, file_id, raw, cleaned, quarantined, missing (raw - cleaned - quarantined;
    negative when cleaned rows outlived their raw rows).
    """
    day_column = {"raw": "partition_day", "cleaned": "event_day", "quarantine": "partition_day"}
    params: list = []

    def scope(kind: str) -> str:
        if days is None:
            return ""
        params.append([d.isoformat() for d in days])
        return f" and cast({day_column[kind]} as date) in (select unnest(cast(? as date[])))"

    sql = f"""
        with raw as (
            select dataset, file_id, any_value(source_file) as source_file, count(*) as n
            from raw_{table} where true{scope("raw")} group by all
        ),
        cleaned as (
            select dataset, file_id, count(*) as n from cleaned_{table} where true{scope("cleaned")} group by all
        ),
        quarantined as (
            select dataset, file_id, count(*) as n
            from quarantine where table_name = '{table}'{scope("quarantine")} group by all
        )
        select dataset, raw.source_file, file_id,
               coalesce(raw.n, 0) as raw, coalesce(cleaned.n, 0) as cleaned, coalesce(quarantined.n, 0) as quarantined,
               coalesce(raw.n, 0) - coalesce(cleaned.n, 0) - coalesce(quarantined.n, 0) as missing
        from raw
        full outer join cleaned using (dataset, file_id)
        full outer join quarantined using (dataset, file_id)
        order by all
    """
    return connection.execute(sql, params).df()


def cleaned_behind(connection: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether ``cleaned_<table>`` (an unpartitioned one: "items" or "reviews") does not account for
    ``raw_<table>``: never built while the raw table exists, or some file's raw rows are neither cleaned nor
    quarantined (or the other way round)."""
    if not table_exists(connection, f"raw_{table}"):
        return False
    if not (table_exists(connection, f"cleaned_{table}") and table_exists(connection, "quarantine")):
        return True
    return bool((reconcile(connection, table)["missing"] != 0).any())
