"""Retention: events and reviews older than their dataset's cut-off leave the warehouse and the landing folder.

The cut-offs come from the privacy policy (``PrivacyResource.retain_since(now)``: dataset -> the earliest event time
kept, UTC). A row is expired when its event time ``ts`` is before its dataset's cut-off; a row without a time is
kept (cleaning quarantines it, and its quarantine row is kept with it).

- The warehouse (``expire_rows``): every table with ``ts`` (raw and cleaned events and reviews, review sentiment),
  the quarantined events and reviews by the time in their raw record, and what was built from the expired reviews,
  as an erasure deletes it (``longtail.data.erasure.delete_customer_rows``).
- The landing folder (``expire_landing_files``): a file is deleted when all its dated rows (events and reviews) are
  expired, and it has at least one: a landed file, a superseded version under ``.superseded/`` or a retracted copy
  under ``.retracted/``. A landed file deleted so is recorded as ``expired`` in ``landing_files`` (its item rows, if
  any, stay loaded: the catalogue is no customer's data). A partly expired file is kept as it is: the load-time
  filter withholds its expired rows whenever it is loaded again, and it is deleted once its newest row expires.
  A file that cannot be read is kept and named.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from longtail.data.adapters import ReadResult, read_file
from longtail.data.erasure import CacheKeys, Deletion, delete_customer_rows
from longtail.data.landing import DEFAULT_DATASET, SUPERSEDED, file_key, scan
from longtail.data.retraction import pending_retractions
from longtail.data.warehouse import table_exists

QUARANTINED_EXPIRED = (
    "table_name in ('events', 'reviews') and try_cast(json_extract_string(record, '$.ts') as timestamptz) < ?"
)


def expire_rows(
    connection: duckdb.DuckDBPyConnection,
    retain_since: Mapping[str, pd.Timestamp],
    *,
    cache_keys: CacheKeys = lambda reviews: [],
) -> dict[str, Deletion]:
    """Delete the expired events and reviews of each dataset of ``retain_since`` from every warehouse table, and
    what was built from the expired reviews; one transaction per dataset. Returns what was deleted per dataset."""
    return {
        dataset: delete_customer_rows(
            connection, dataset, "ts", ("ts < ?", [since]), (QUARANTINED_EXPIRED, [since]), cache_keys
        )
        for dataset, since in sorted(retain_since.items())
    }


@dataclass
class LandingExpiry:
    """What ``expire_landing_files`` did: files ``deleted``, files ``kept`` although some of their rows are expired
    (partly expired), and files it could not read (``unreadable``: path -> why), all kept."""

    deleted: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    unreadable: dict[Path, str] = field(default_factory=dict)


def expire_landing_files(
    landing_dir: Path,
    retain_since: Mapping[str, pd.Timestamp],
    connection: duckdb.DuckDBPyConnection | None = None,
    *,
    read: Callable[[Path], ReadResult] = read_file,
) -> LandingExpiry:
    """Delete the files of the landing folder (landed, superseded, retracted) of each dataset of ``retain_since``
    whose dated rows are all expired; record a deleted landed file as ``expired`` in ``connection``'s
    ``landing_files`` (when given), so that its absence is not reported as a file removed by mistake."""
    landing_dir = Path(landing_dir)
    expiry = LandingExpiry()
    for dataset, since in sorted(retain_since.items()):
        landed = [f for f in scan(landing_dir) if f.dataset == dataset and f.refusal is None]
        for path in [*(f.path for f in landed), *_archives(landing_dir, dataset)]:
            try:
                times = _dated_rows(read(path))
            except Exception as error:  # noqa: BLE001 - a file that cannot be read is kept, and named
                expiry.unreadable[path] = f"{type(error).__name__}: {error}"
                continue
            expired = (times < since).to_numpy(dtype=bool, na_value=False)
            if len(times) and expired.all():
                path.unlink()
                expiry.deleted.append(path)
            elif expired.any():
                expiry.kept.append(path)
        if connection is not None and table_exists(connection, "landing_files"):
            for file in landed:
                if file.path in expiry.deleted:
                    connection.execute(
                        "update landing_files set status = 'expired' where status = 'loaded' and dataset = ? "
                        "and name = ? and file_id = ?",
                        [dataset, file.name, file.file_id],
                    )
    return expiry


def _dated_rows(result: ReadResult) -> pd.Series:
    """The event times of a file's events and reviews (null where a row has none)."""
    return pd.concat([result.events["ts"], result.reviews["ts"]], ignore_index=True)


def _archives(landing_dir: Path, dataset: str) -> list[Path]:
    """The superseded versions and retracted copies of ``dataset``'s files kept in the landing folder."""
    superseded = sorted((landing_dir / dataset).rglob(f"{SUPERSEDED}/*"))
    if dataset == DEFAULT_DATASET:  # the files directly under the landing folder keep theirs beside them
        superseded += sorted((landing_dir / SUPERSEDED).glob("*"))
    superseded = [path for path in superseded if path.is_file() and not path.name.startswith(".")]
    retracted = [
        Path(request.kept_as)
        for request in pending_retractions(landing_dir)
        if request.dataset == dataset and request.kept_as and Path(request.kept_as).is_file()
    ]
    return superseded + retracted


def expired_file_keys(connection: duckdb.DuckDBPyConnection) -> set[str]:
    """The ``LandedFile.key`` of every landed file that expiry deleted. Works read-only."""
    if not table_exists(connection, "landing_files"):
        return set()
    rows = connection.execute("select dataset, name, file_id from landing_files where status = 'expired'").fetchall()
    return {file_key(dataset, name, file_id) for dataset, name, file_id in rows}
