"""The landing folder: where source files are dropped, one sub-folder per dataset.

``landing/<dataset>/<file>`` belongs to ``<dataset>``; a file directly under ``landing/`` belongs to
``default``. Hidden files and folders (``.name``) are ignored, so a copy in progress written as a hidden file
and then renamed is never picked up half-written. A file is identified by the SHA-256 of its content.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATASET = "default"
DATASET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class LandedFile:
    """A file in the landing folder. ``name`` is its path relative to the dataset folder."""

    dataset: str
    name: str
    path: Path
    file_id: str
    size_bytes: int

    @property
    def key(self) -> str:
        """Stable identity of this content under this name, e.g. for sensor run keys."""
        return f"{self.dataset}/{self.name}@{self.file_id[:16]}"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def scan(landing_dir: Path) -> list[LandedFile]:
    """Every visible file under ``landing_dir``, sorted by dataset and name."""
    landing_dir = Path(landing_dir)
    if not landing_dir.is_dir():
        return []
    found = []
    for root, folders, files in os.walk(landing_dir):
        folders[:] = sorted(f for f in folders if not f.startswith("."))
        for file_name in sorted(files):
            if file_name.startswith("."):
                continue
            path = Path(root) / file_name
            relative = path.relative_to(landing_dir)
            if len(relative.parts) == 1:
                dataset, name = DEFAULT_DATASET, relative.as_posix()
            else:
                dataset, name = relative.parts[0], Path(*relative.parts[1:]).as_posix()
            found.append(LandedFile(dataset, name, path, file_sha256(path), path.stat().st_size))
    return found


def validate_dataset_name(dataset: str) -> str:
    if not DATASET_NAME.match(dataset):
        raise ValueError(
            f"dataset name {dataset!r} must start with a letter or digit and use only letters, digits, '_', '-', '.'"
        )
    return dataset


def place(source: Path, landing_dir: Path, dataset: str) -> tuple[LandedFile, str]:
    """Copy ``source`` into ``landing_dir/<dataset>/`` and say what happened.

    Returns the landed file and one of: ``"new"``; ``"unchanged"`` (the same content is already there under some
    name in this dataset: nothing is copied, so dropping a file twice ingests it once); ``"changed"`` (a file of the
    same name with other content was there: it is replaced, and the previous bytes are kept under
    ``<dataset>/.superseded/<sha256>-<name>`` so nothing is lost). The copy is written to a hidden temporary file
    and renamed, so a watcher never sees it half-written.
    """
    source = Path(source)
    validate_dataset_name(dataset)
    target_dir = Path(landing_dir) / dataset
    target = target_dir / source.name
    file_id = file_sha256(source)
    existing = {f.file_id: f for f in scan(landing_dir) if f.dataset == dataset}
    if file_id in existing:
        return existing[file_id], "unchanged"
    target_dir.mkdir(parents=True, exist_ok=True)
    status = "new"
    if target.exists():
        status = "changed"
        archive = target_dir / ".superseded" / f"{file_sha256(target)}-{source.name}"
        archive.parent.mkdir(exist_ok=True)
        shutil.copy2(target, archive)
    temporary = target_dir / f".{source.name}.partial"
    shutil.copyfile(source, temporary)
    os.replace(temporary, target)
    return LandedFile(dataset, source.name, target, file_id, target.stat().st_size), status
