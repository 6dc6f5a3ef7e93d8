"""Retraction: taking a loaded file's rows back out of the warehouse on purpose.

``request_retraction`` moves the landed file into the hidden folder ``landing/.retracted/`` (never loaded again,
and kept, so nothing is lost) beside a request ``<key>.json``. The next load (``load_landed_files``) deletes the
file's rows from the raw tables and records it as ``retracted``; cleaning the partitions it touched then removes
its cleaned and quarantined rows, and what is built on them refreshes as after any other change. Landing the same
content again afterwards loads it again: a request only retracts the loads made before it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from longtail.files import write_text_whole

RETRACTED_FOLDER = ".retracted"


@dataclass(frozen=True)
class Retraction:
    """A request to retract the file ``name`` of ``dataset`` with content ``file_id``, made at ``requested_at``
    (UTC); ``kept_as`` is where its bytes were moved (None when the file had already left the landing folder)."""

    dataset: str
    name: str
    file_id: str
    requested_at: pd.Timestamp
    kept_as: str | None = None

    @property
    def key(self) -> str:
        """Stable identity of the request, e.g. for sensor cursors and run keys."""
        return f"retract:{self.dataset}/{self.name}@{self.file_id[:16]}:{self.requested_at.isoformat()}"


def request_retraction(
    landing_dir: Path, dataset: str, name: str, file_id: str, landed_path: Path | None = None
) -> Retraction:
    """Record a retraction of ``dataset``'s file ``name`` (content ``file_id``), moving ``landed_path`` (the file
    in the landing folder, when it is still there) into ``.retracted/``. The request is written last and atomically:
    a crash before it leaves the file retracted from the folder but loaded, which the landing sensor reports."""
    folder = Path(landing_dir) / RETRACTED_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    requested_at = pd.Timestamp.now(tz="UTC")
    stem = f"{requested_at:%Y%m%dT%H%M%S%f}-{file_id[:16]}-{dataset}"
    kept_as = None
    if landed_path is not None and landed_path.exists():
        kept = folder / f"{stem}-{Path(name).name}"
        os.replace(landed_path, kept)
        kept_as = str(kept)
    retraction = Retraction(dataset, name, file_id, requested_at, kept_as)
    record = {
        "dataset": dataset,
        "name": name,
        "file_id": file_id,
        "requested_at": requested_at.isoformat(),
        "kept_as": kept_as,
    }
    write_text_whole(folder / f"{stem}.json", json.dumps(record, indent=2))
    return retraction


def pending_retractions(landing_dir: Path) -> list[Retraction]:
    """Every retraction request in the landing folder, oldest first (applied ones included: applying is
    idempotent, see ``load_landed_files``)."""
    folder = Path(landing_dir) / RETRACTED_FOLDER
    if not folder.is_dir():
        return []
    requests = []
    for path in sorted(folder.glob("*.json")):
        record = json.loads(path.read_text())
        requests.append(
            Retraction(
                record["dataset"],
                record["name"],
                record["file_id"],
                pd.Timestamp(record["requested_at"]),
                record.get("kept_as"),
            )
        )
    return requests
