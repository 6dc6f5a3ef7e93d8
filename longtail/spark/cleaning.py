"""The cleaning rules of ``longtail.data.cleaning`` run as a Spark job: the same named rules, the same quarantine
contract (every raw row is either cleaned or quarantined, with its rule and a message naming file, row and column),
the same rows.

Every rule but the duplicate rules looks at one row. A duplicate rule compares rows of one key (an event's user,
an item's id, a review's id, as ``duplicate_scope`` gives it), so raw rows are sharded by that key: every pair of
possible duplicates meets in one shard, and running the pandas rules on each shard gives exactly the rows they give
on the whole table. Each task writes its shard's cleaned and quarantined rows as Parquet files named by the shard
(a retried task rewrites its own files), and returns its counts and repairs to the driver.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from longtail.data.cleaning import CLEANERS, CleaningConfig, CleaningResult, duplicate_scope
from longtail.data.schema import CLEANED_COLUMNS, QUARANTINE_COLUMNS

# Parquet files the tasks write under the job's output folder.
CLEANED, QUARANTINED = "cleaned", "quarantined"


@dataclass(frozen=True)
class SparkCleaning:
    """Where a Spark cleaning job of ``table`` wrote its rows: ``output / "cleaned"`` and ``output / "quarantined"``
    (folders of Parquet, one file per shard with rows), the ``repairs`` by rule summed over the shards, and the
    ``shards``."""

    table: str
    output: Path
    repairs: dict[str, int]
    shards: int

    def result(self, connection) -> CleaningResult:
        """The written rows as a ``CleaningResult`` (read with DuckDB, sorted as the local cleaning leaves them:
        by file and source row)."""
        from longtail.spark.exchange import read_parquet

        def read(part: str, columns: list[str]) -> pd.DataFrame:
            frame = read_parquet(connection, self.output / part, columns)
            return frame.sort_values(["file_id", "source_row"], kind="stable").reset_index(drop=True)

        return CleaningResult(
            cleaned=read(CLEANED, CLEANED_COLUMNS[self.table]),
            quarantined=read(QUARANTINED, QUARANTINE_COLUMNS),
            repairs=dict(self.repairs),
        )


def clean_on_spark(
    spark, table: str, raw_path: Path, output: Path, config: CleaningConfig = CleaningConfig(), shards: int = 0
) -> SparkCleaning:
    """Clean the raw rows of ``table`` ("events", "items" or "reviews") in the Parquet file or folder ``raw_path``
    (the columns of ``raw_<table>``, as the loader stores them) with ``config``'s rules, on ``spark``'s executors.

    ``shards`` (default: twice the cluster's cores) is how many tasks share the work; ``output`` is replaced.
    Raises ``ValueError`` for an unknown table.
    """
    if table not in CLEANERS:
        raise ValueError(f"table must be one of {', '.join(CLEANERS)}, got {table!r}")
    output = Path(output).resolve()
    for part in (CLEANED, QUARANTINED):
        (output / part).mkdir(parents=True, exist_ok=True)
        for stale in (output / part).glob("*.parquet"):
            stale.unlink()
    shards = shards or 2 * spark.sparkContext.defaultParallelism
    raw = spark.read.parquet(str(Path(raw_path).resolve()))
    from pyspark.sql.types import IntegerType, StructField, StructType

    timestamps = [field.name for field in raw.schema.fields if field.dataType.typeName().startswith("timestamp")]
    columns = raw.columns
    with_shard = StructType([*raw.schema.fields, StructField("_shard", IntegerType(), nullable=False)])
    sharded = raw.mapInPandas(_add_shard(table, shards), with_shard)
    sharded = sharded.repartition(shards, "_shard")
    summary = sharded.mapInPandas(
        _clean_shards(table, config, columns, timestamps, str(output)), "shard int, repairs string"
    ).collect()
    repairs: dict[str, int] = {}
    for row in summary:
        for rule, count in json.loads(row.repairs).items():
            repairs[rule] = repairs.get(rule, 0) + count
    return SparkCleaning(table, output, repairs, shards)


def _add_shard(table: str, shards: int):
    """A ``mapInPandas`` function adding ``_shard``: a stable hash (CRC-32) of each row's duplicate scope, modulo
    ``shards``. Python's own ``hash`` of text differs between processes, so it cannot place rows."""

    def add(frames):
        for frame in frames:
            keys = duplicate_scope(table, frame)
            codes = [zlib.crc32(key.encode("utf-8")) % shards for key in keys]
            yield frame.assign(_shard=pd.Series(codes, index=frame.index, dtype="int32"))

    return add


def _clean_shards(table: str, config: CleaningConfig, columns: list[str], timestamps: list[str], output: str):
    """A ``mapInPandas`` function cleaning the rows of one partition (whole shards, as ``repartition`` placed
    them) and writing them under ``output``; it yields one row per shard: its number and repairs as JSON."""

    def clean(frames):
        frames = list(frames)
        if not frames:  # an empty partition: no shard landed here
            return
        frame = pd.concat(frames, ignore_index=True)
        # Arrow hands Spark timestamps over as naive times in the session's zone (UTC); the rules compare UTC times.
        for column in timestamps:
            frame[column] = pd.to_datetime(frame[column]).dt.tz_localize("UTC")
        for shard, rows in frame.groupby("_shard", sort=True):
            rows = rows[columns].sort_values(["file_id", "source_row"], kind="stable").reset_index(drop=True)
            result = CLEANERS[table](rows, config)
            _write(result.cleaned, Path(output) / CLEANED / f"shard-{shard:05d}.parquet")
            _write(result.quarantined, Path(output) / QUARANTINED / f"shard-{shard:05d}.parquet")
            yield pd.DataFrame({"shard": [int(shard)], "repairs": [json.dumps(result.repairs)]})

    return clean


def _write(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` through a temporary name, so a reader never sees half a file; no rows, no file."""
    if frame.empty:
        return
    partial = path.with_suffix(".partial")
    # Microseconds, the warehouse's precision: DuckDB reads nanosecond Parquet times as times without a zone.
    frame.to_parquet(partial, index=False, coerce_timestamps="us")
    partial.replace(path)
