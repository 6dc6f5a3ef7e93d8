"""Load landed files into the raw warehouse tables, once per content, with provenance on every row.

The ``landing_files`` table records every file seen and what became of it:
``loaded`` (its rows are in ``raw_events`` / ``raw_items`` / ``raw_reviews``), ``superseded`` (a newer content
under the same name replaced its rows), ``duplicate`` (the same content is already loaded under another name),
``retracted`` (its rows were taken out on request, see ``longtail.data.retraction``) or ``rejected`` (not a regular
file, no supported format, or unreadable; ``error`` says why, naming the file, row and column). A file whose
content and name are already recorded is skipped, so loading is idempotent.

A bad file is rejected alone: whatever reading or storing it raises, its rows are rolled back, it is recorded as
rejected with a short reason, and the next file loads.

Privacy is applied on the way in (docs/privacy.md): customer and review ids become keyed pseudonyms, also where a
problem row's source record quotes them; the rows of erased customers (``longtail.data.erasure``) and events and
reviews older than their dataset's retention cut-off are withheld, so loading a file again never brings them back.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from longtail.data.adapters import ReadResult, read_file
from longtail.data.cleaning import partition_days
from longtail.data.erasure import tombstoned_users
from longtail.data.landing import LandedFile
from longtail.data.retraction import Retraction
from longtail.data.schema import TABLES, empty_raw_frame
from longtail.data.warehouse import Window, fetch_one, read_table, replace_rows, replace_windows, table_exists
from longtail.errors import InputError
from longtail.privacy.pseudonyms import Pseudonyms

LANDING_FILES_DDL = """
create table if not exists landing_files (
    file_id varchar, dataset varchar, name varchar, format varchar, size_bytes bigint, status varchar,
    error varchar, rows_events bigint, rows_items bigint, rows_reviews bigint, loaded_at timestamptz,
    first_day timestamptz, last_day timestamptz, seconds double
)
"""
# The raw tables a materialization has announced at least once, to the end (``unannounced_tables``).
ANNOUNCED_TABLES_DDL = "create table if not exists raw_tables_announced (table_name varchar primary key)"
# The raw tables that hold customers' rows: what erasure and retention withhold at load.
CUSTOMER_TABLES = ("events", "reviews")
# Added later: which raw tables a recorded change touched, and whether a materialization has announced it yet
# (rows recorded before these columns existed were announced by the run that recorded them).
LANDING_FILES_ANNOUNCEMENT_DDL = (
    "alter table landing_files add column if not exists changed_tables varchar",
    "alter table landing_files add column if not exists announced boolean default true",
)


@dataclass(frozen=True)
class Announcement:
    """The recorded changes no materialization has announced yet: ``files`` recorded (loaded, retracted, rejected
    or duplicate), the raw ``tables`` whose rows they added or removed, and the first and last partition day of
    the raw events they touched (None: none)."""

    files: int
    tables: frozenset[str]
    first_day: pd.Timestamp | None
    last_day: pd.Timestamp | None


@dataclass
class FileLoad:
    """What happened to one landed file in one load."""

    file: LandedFile
    status: str  # loaded | duplicate | rejected | retracted
    format: str | None = None
    error: str | None = None
    rows: dict[str, int] = field(default_factory=dict)
    replaced_previous: bool = False
    # The rows of each raw table that the file's previous version had, removed by this load.
    replaced_rows: dict[str, int] = field(default_factory=dict)
    # Rows of the file not stored: reason ("erased customers", "past retention") -> rows.
    withheld: dict[str, int] = field(default_factory=dict)
    # The first and last partition day of the raw_events rows this load added or removed (None: it touched none).
    first_day: pd.Timestamp | None = None
    last_day: pd.Timestamp | None = None
    seconds: float = 0.0

    @property
    def changed_tables(self) -> set[str]:
        """The raw tables (``TABLES`` names) whose rows this load added or removed."""
        return {table for table in TABLES if self.rows.get(table) or self.replaced_rows.get(table)}


@dataclass(frozen=True)
class LoadPrivacy:
    """How customers' rows are stored: ids as ``pseudonyms``; events and reviews of a dataset in ``retain_since``
    only from that time on (UTC; rows without a time are kept, and cleaning quarantines them)."""

    pseudonyms: Pseudonyms
    retain_since: Mapping[str, pd.Timestamp] = field(default_factory=dict)


def load_landed_files(
    connection: duckdb.DuckDBPyConnection,
    files: list[LandedFile],
    privacy: LoadPrivacy,
    *,
    retractions: Sequence[Retraction] = (),
    read: Callable[[LandedFile], ReadResult] = lambda f: read_file(f.path),
    progress: Callable[[str], None] = lambda message: None,
) -> list[FileLoad]:
    """Apply the ``retractions`` not applied yet, then load each of ``files`` not yet recorded in
    ``landing_files`` under ``privacy``; return what happened to each (retracted, loaded, duplicate or rejected)."""
    _create_landing_files(connection)
    _create_raw_tables(connection)
    loads = [_retract(connection, retraction) for retraction in unapplied_retractions(connection, retractions)]
    for load in loads:
        progress(f"{load.file.dataset}/{load.file.name}: {describe(load)}")
    pending = unrecorded_files(connection, files)
    for number, landed in enumerate(pending, start=1):
        started = time.perf_counter()
        load = _load_one(connection, read_table(connection, "landing_files"), landed, read, privacy)
        load.seconds = time.perf_counter() - started
        _record(connection, load)
        loads.append(load)
        progress(f"[{number}/{len(pending)}] {landed.dataset}/{landed.name}: {describe(load)}")
    return loads


def unannounced_changes(connection: duckdb.DuckDBPyConnection) -> Announcement:
    """What the loads and retractions recorded so far changed that no materialization has announced yet: this
    run's, and those of a run cut off between recording them and announcing them (whose retry finds nothing new to
    load, yet must still tell the refresh what changed). ``mark_announced`` once announced."""
    _create_landing_files(connection)
    files, tables, first_day, last_day = fetch_one(
        connection,
        "select count(*), string_agg(changed_tables, ','), min(first_day), max(last_day) "
        "from landing_files where not announced",
    )
    changed = frozenset(table for table in (tables or "").split(",") if table)
    return Announcement(int(files), changed, first_day and pd.Timestamp(first_day), last_day and pd.Timestamp(last_day))


def unannounced_tables(connection: duckdb.DuckDBPyConnection) -> set[str]:
    """The raw tables (``TABLES`` names) that no materialization has announced to the end yet: a run killed after
    Dagster stored a table's first materialization, but before everything built on it was built, left it here."""
    connection.execute(ANNOUNCED_TABLES_DDL)
    announced = {table for (table,) in connection.execute("select table_name from raw_tables_announced").fetchall()}
    return set(TABLES) - announced


def mark_announced(connection: duckdb.DuckDBPyConnection, tables: Iterable[str]) -> None:
    """Record that every change ``unannounced_changes`` returned, and the raw ``tables``, have been announced (call
    after announcing)."""
    connection.execute("update landing_files set announced = true where not announced")
    connection.execute(ANNOUNCED_TABLES_DDL)
    for table in tables:
        connection.execute("insert into raw_tables_announced values (?) on conflict do nothing", [table])


def unapplied_retractions(connection: duckdb.DuckDBPyConnection, retractions: Sequence[Retraction]) -> list[Retraction]:
    """Those of ``retractions`` whose file still has a load made before the request. Works read-only."""
    if not retractions or not table_exists(connection, "landing_files"):
        return []
    return [
        retraction
        for retraction in retractions
        if fetch_one(
            connection,
            "select count(*) from landing_files where status = 'loaded' and dataset = ? and name = ? "
            "and file_id = ? and loaded_at < ?",
            [retraction.dataset, retraction.name, retraction.file_id, retraction.requested_at],
        )[0]
    ]


def loaded_files(
    connection: duckdb.DuckDBPyConnection, *, file_id_prefix: str = "", dataset: str | None = None
) -> pd.DataFrame:
    """The files whose rows are loaded now (of ``dataset``, and whose id starts with ``file_id_prefix``, when
    given): columns dataset, name, file_id, rows (all raw tables), first_day, last_day. Works read-only."""
    if not table_exists(connection, "landing_files"):
        return pd.DataFrame(columns=["dataset", "name", "file_id", "rows", "first_day", "last_day"])
    return connection.execute(
        "select dataset, name, file_id, rows_events + rows_items + rows_reviews as rows, first_day, last_day "
        "from landing_files where status = 'loaded' and starts_with(file_id, ?) and (? is null or dataset = ?) "
        "order by dataset, name",
        [file_id_prefix.lower(), dataset, dataset],
    ).df()


def vanished_files(connection: duckdb.DuckDBPyConnection, files: list[LandedFile]) -> pd.DataFrame:
    """The loaded files no longer in the landing folder (``files``: what it holds now) and not retracted: their
    rows stay loaded until retracted. Columns dataset, name, file_id, rows (all raw tables). Works read-only."""
    loaded = loaded_files(connection)
    present = {(landed.dataset, landed.name, landed.file_id) for landed in files}
    gone = [row not in present for row in loaded[["dataset", "name", "file_id"]].itertuples(index=False, name=None)]
    return loaded[pd.Series(gone, index=loaded.index, dtype=bool)].reset_index(drop=True)[
        ["dataset", "name", "file_id", "rows"]
    ]


def unrecorded_files(connection: duckdb.DuckDBPyConnection, files: list[LandedFile]) -> list[LandedFile]:
    """Those of ``files`` whose content under their name ``landing_files`` has not recorded (as loaded, duplicate
    or rejected): the files a load would read. Works on a read-only connection; before any load, all of them."""
    if not table_exists(connection, "landing_files"):
        return list(files)
    seen = read_table(connection, "landing_files")
    return [landed for landed in files if not _already_recorded(seen, landed)]


def describe(load: FileLoad) -> str:
    if load.status == "retracted":
        counts = ", ".join(f"{n:,} {table}" for table, n in load.replaced_rows.items() if n)
        return f"retracted: removed {counts or 'no rows'}"
    if load.status == "rejected":
        return f"rejected: {load.error}"
    if load.status == "duplicate":
        return f"duplicate of already loaded {load.error}"
    counts = ", ".join(f"{n:,} {table}" for table, n in load.rows.items() if n)
    verb = "replaced the previous version" if load.replaced_previous else "loaded"
    withheld = "".join(f"; withheld {n:,} rows of {reason}" for reason, n in load.withheld.items() if n)
    return f"{load.format}: {verb}, {counts or 'no rows'}{withheld} in {load.seconds:.1f}s"


def _already_recorded(seen: pd.DataFrame, landed: LandedFile) -> bool:
    same = (seen["file_id"] == landed.file_id) & (seen["dataset"] == landed.dataset) & (seen["name"] == landed.name)
    # A retracted file landed again is loaded again.
    return bool((same & ~seen["status"].isin(["superseded", "retracted"])).any())


def _load_one(connection, seen: pd.DataFrame, landed: LandedFile, read, privacy: LoadPrivacy) -> FileLoad:
    """Load one file, or reject it alone: any error reading or storing it rolls its rows back."""
    if landed.refusal:
        return FileLoad(landed, "rejected", error=str(InputError(landed.refusal, file=landed.name)))
    loaded = seen[seen["status"] == "loaded"]
    twin = loaded[(loaded["file_id"] == landed.file_id) & (loaded["dataset"] == landed.dataset)]
    if not twin.empty:
        return FileLoad(landed, "duplicate", error=f"{landed.dataset}/{twin['name'].iloc[0]}")
    try:
        return _store(connection, loaded, landed, read(landed), privacy)
    except InputError as error:
        return FileLoad(landed, "rejected", error=str(error))
    except Exception as error:  # noqa: BLE001 - one unreadable file must not stop the others
        # The reason stays short (InputError caps it); where it was raised goes to the log for whoever debugs it.
        reason = str(InputError(f"could not be loaded ({type(error).__name__}: {error})", file=landed.name))
        print("".join(traceback.format_tb(error.__traceback__)) + reason, file=sys.stderr)
        return FileLoad(landed, "rejected", error=reason)


def _store(connection, loaded: pd.DataFrame, landed: LandedFile, result: ReadResult, privacy: LoadPrivacy) -> FileLoad:
    """Replace the rows the file's previous version (same dataset and name) put in the raw tables by ``result``,
    under ``privacy``."""
    loaded_at = pd.Timestamp.now(tz="UTC")
    old_days = _event_days(connection, landed)
    same_file = "dataset = ? and source_file = ?"
    old_rows = _raw_row_counts(connection, same_file, [landed.dataset, landed.name])
    kept, withheld = _private_rows(connection, result, landed.dataset, privacy)
    frames = {table: _raw_rows(table, kept[table], landed, loaded_at) for table in TABLES}
    replace_windows(
        connection,
        [Window(f"raw_{table}", frame, same_file, [landed.dataset, landed.name]) for table, frame in frames.items()],
    )
    return FileLoad(
        landed,
        "loaded",
        format=result.format,
        rows={table: len(frame) for table, frame in frames.items()},
        replaced_previous=bool(((loaded["dataset"] == landed.dataset) & (loaded["name"] == landed.name)).any()),
        replaced_rows=old_rows,
        withheld=withheld,
        **_day_bounds(pd.concat([old_days, frames["events"]["partition_day"]])),
    )


def _private_rows(
    connection, result: ReadResult, dataset: str, privacy: LoadPrivacy
) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    """Each raw table's frame of ``result`` as stored: pseudonymous, without erased customers' rows or rows past
    retention; and how many rows were withheld for each reason."""
    erased = tombstoned_users(connection, dataset)
    since = privacy.retain_since.get(dataset)
    kept, withheld = {}, {"erased customers": 0, "past retention": 0}
    for table in TABLES:
        frame = privacy.pseudonyms.pseudonymize(dataset, getattr(result, table))
        if table in CUSTOMER_TABLES:
            of_erased = frame["user_id"].isin(erased).to_numpy(dtype=bool, na_value=False)
            expired = (frame["ts"] < since).to_numpy(dtype=bool, na_value=False) if since is not None else False
            withheld["erased customers"] += int(of_erased.sum())
            withheld["past retention"] += int((expired & ~of_erased).sum())
            frame = frame[~(of_erased | expired)].reset_index(drop=True)
        kept[table] = frame
    return kept, withheld


def _retract(connection, retraction: Retraction) -> FileLoad:
    """Delete the rows ``retraction``'s file put in the raw tables and record it as retracted, in one transaction."""
    landed = LandedFile(retraction.dataset, retraction.name, Path(retraction.kept_as or ""), retraction.file_id, 0)
    same_file = "dataset = ? and source_file = ? and file_id = ?"
    params = [retraction.dataset, retraction.name, retraction.file_id]
    load = FileLoad(
        landed,
        "retracted",
        replaced_rows=_raw_row_counts(connection, same_file, params),
        **_day_bounds(_event_days(connection, landed)),
    )
    connection.execute("begin transaction")
    try:
        for table in TABLES:
            connection.execute(f"delete from raw_{table} where {same_file}", params)
        connection.execute(
            "update landing_files set status = 'retracted', changed_tables = ?, first_day = ?, last_day = ?, "
            "announced = false where status = 'loaded' and dataset = ? and name = ? and file_id = ?",
            [",".join(sorted(load.changed_tables)), load.first_day, load.last_day, *params],
        )
        connection.execute("commit")
    except BaseException:
        connection.execute("rollback")
        raise
    return load


def _raw_row_counts(connection, where: str, params: list) -> dict[str, int]:
    """The rows of each raw table (by ``TABLES`` name) matching the SQL ``where``."""
    return {
        table: fetch_one(connection, f"select count(*) from raw_{table} where {where}", params)[0] for table in TABLES
    }


def _day_bounds(days: pd.Series) -> dict[str, pd.Timestamp | None]:
    """``first_day`` and ``last_day`` of ``days`` (partition days, nulls ignored) for a ``FileLoad``; None when none."""
    days = days.dropna()
    return {"first_day": days.min() if len(days) else None, "last_day": days.max() if len(days) else None}


def _event_days(connection, landed: LandedFile) -> pd.Series:
    """The partition days of the rows a previous version of this file put in raw_events."""
    bounds = fetch_one(
        connection,
        "select min(partition_day), max(partition_day) from raw_events where dataset = ? and source_file = ?",
        [landed.dataset, landed.name],
    )
    return pd.Series([pd.Timestamp(b) for b in bounds if b is not None], dtype="datetime64[ns, UTC]")


def _raw_rows(table: str, frame: pd.DataFrame, landed: LandedFile, loaded_at: pd.Timestamp) -> pd.DataFrame:
    """``frame`` as stored in ``raw_<table>``: provenance columns first; events also get their partition day."""
    provenance = pd.DataFrame(
        {"dataset": landed.dataset, "file_id": landed.file_id, "source_file": landed.name, "loaded_at": loaded_at},
        index=frame.index,
    ).astype({"dataset": "string", "file_id": "string", "source_file": "string", "loaded_at": "datetime64[ns, UTC]"})
    rows = pd.concat([provenance, frame], axis=1)
    if table == "events":
        rows["partition_day"] = partition_days(rows["ts"], rows["loaded_at"])
    return rows


def _create_landing_files(connection) -> None:
    connection.execute(LANDING_FILES_DDL)
    for statement in LANDING_FILES_ANNOUNCEMENT_DDL:
        connection.execute(statement)


def _create_raw_tables(connection) -> None:
    nobody = LandedFile(dataset="", name="", path=Path(), file_id="", size_bytes=0)
    for table in TABLES:
        if not table_exists(connection, f"raw_{table}"):
            replace_rows(
                connection, f"raw_{table}", _raw_rows(table, empty_raw_frame(table), nobody, pd.Timestamp.now(tz="UTC"))
            )


def _record(connection, load: FileLoad) -> None:
    landed = load.file
    if load.status == "loaded":
        connection.execute(
            "update landing_files set status = 'superseded' where dataset = ? and name = ? and status = 'loaded'",
            [landed.dataset, landed.name],
        )
    connection.execute(
        "insert into landing_files (file_id, dataset, name, format, size_bytes, status, error, rows_events, "
        "rows_items, rows_reviews, loaded_at, first_day, last_day, seconds, changed_tables, announced) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now(), ?, ?, ?, ?, false)",
        [
            landed.file_id, landed.dataset, landed.name, load.format, landed.size_bytes, load.status, load.error,
            load.rows.get("events", 0), load.rows.get("items", 0), load.rows.get("reviews", 0),
            load.first_day, load.last_day, load.seconds, ",".join(sorted(load.changed_tables)),
        ],
    )  # fmt: skip
