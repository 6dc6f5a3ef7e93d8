"""Serving snapshots: an immutable, versioned, read-only copy of what the server needs, one folder per version.

Layout under a root folder (``$LONGTAIL_HOME/serving``)::

    <version>/manifest.json               version, creation time, per-shop counts and settings
    <version>/<dataset>/items.parquet     ITEM_COLUMNS, one row per catalogue item
    <version>/<dataset>/vectors.npy       (n_items, dim) float32, row i for items row i (dim 0: no vectors)
    <version>/<dataset>/lists.parquet     LIST_COLUMNS of longtail.recommend.serving, the cached lists
    <version>/<dataset>/neighbours.parquet  item_id, neighbour_id, rank, score
    <version>/<dataset>/history.parquet   user_id, item_id, times: what each user bought or reviewed
    current -> <version>                  a symbolic link, switched atomically

``publish_snapshot`` validates every shop before it writes anything, writes the new version under a temporary
name, renames it into place and only then switches ``current``, so a reader sees either the old version or the
whole new one. It keeps the newest ``keep`` versions.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from longtail.recommend.serving import LIST_COLUMNS

CURRENT = "current"
MANIFEST = "manifest.json"
ITEM_COLUMNS = [
    "item_id",
    "title",
    "category",
    "price",
    "is_tail",
    "buyers",
    "description",
    "n_reviews",
    "positive_share",
    "praise",
    "product_id",
]
NEIGHBOUR_COLUMNS = ["item_id", "neighbour_id", "rank", "score"]
HISTORY_COLUMNS = ["user_id", "item_id", "times"]
TABLES = {"items": ITEM_COLUMNS, "lists": LIST_COLUMNS, "neighbours": NEIGHBOUR_COLUMNS, "history": HISTORY_COLUMNS}
DEFAULT_KEEP = 3


class SnapshotError(ValueError):
    """A snapshot that cannot be published or switched to; the message names the shop, table and column."""


# ``settings["categories"]`` of a shop whose categories are item clusters made by ``shop_tables``, not the catalogue's.
ITEM_CLUSTERS = "item clusters"


@dataclass(frozen=True)
class ShopTables:
    """What the server needs of one shop (``dataset``); see the module docstring for each table's columns."""

    items: pd.DataFrame
    vectors: np.ndarray
    lists: pd.DataFrame
    neighbours: pd.DataFrame
    history: pd.DataFrame
    settings: dict = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {
            "items": len(self.items),
            "tail_items": int(self.items["is_tail"].sum()),
            "users_with_lists": int(self.lists["user_id"].nunique()),
            "list_rows": len(self.lists),
            "neighbour_rows": len(self.neighbours),
            "history_rows": len(self.history),
            "vector_dim": int(self.vectors.shape[1]),
        }


def validate_shop(dataset: str, shop: ShopTables) -> None:
    """Raise ``SnapshotError`` naming the shop, table and column when ``shop`` could not be served as it is: a
    missing column, a repeated item id, vectors that do not match the items, or a list, neighbour or history row
    naming an item the catalogue lacks."""
    for table, columns in TABLES.items():
        missing = [column for column in columns if column not in getattr(shop, table).columns]
        if missing:
            raise SnapshotError(f"snapshot of {dataset!r}: table {table!r} lacks column(s) {', '.join(missing)}")
    item_ids = shop.items["item_id"]
    if item_ids.duplicated().any():
        raise SnapshotError(
            f"snapshot of {dataset!r}: items.item_id repeats {item_ids[item_ids.duplicated()].iloc[0]!r}"
        )
    if shop.vectors.ndim != 2 or (shop.vectors.shape[1] and shop.vectors.shape[0] != len(item_ids)):
        raise SnapshotError(
            f"snapshot of {dataset!r}: vectors have shape {shop.vectors.shape}, expected ({len(item_ids)}, dim)"
        )
    if not np.isfinite(shop.vectors).all():
        raise SnapshotError(f"snapshot of {dataset!r}: vectors hold NaN or infinite values")
    known = set(item_ids)
    for table, column in (
        ("lists", "item_id"),
        ("neighbours", "item_id"),
        ("neighbours", "neighbour_id"),
        ("history", "item_id"),
    ):
        unknown = ~getattr(shop, table)[column].isin(known)
        if unknown.any():
            raise SnapshotError(
                f"snapshot of {dataset!r}: {table}.{column} names {int(unknown.sum()):,} item(s) not in items, "
                f"e.g. {getattr(shop, table)[column][unknown].iloc[0]!r}"
            )


def new_version(now: datetime | None = None) -> str:
    """A version name that sorts by creation time: ``20261202T031500123456Z``."""
    return (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%S%fZ")


def publish_snapshot(
    root: Path, shops: dict[str, ShopTables], *, keep: int = DEFAULT_KEEP, version: str | None = None
) -> Path:
    """Write ``shops`` as a new version under ``root``, switch ``current`` to it and delete all but the newest
    ``keep`` versions (never the current one). Returns the new version's folder. Nothing is written when a shop
    fails ``validate_shop``."""
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
        raise ValueError(f"keep must be a positive integer, got {keep!r}")
    for dataset, shop in shops.items():
        validate_shop(dataset, shop)
    root.mkdir(parents=True, exist_ok=True)
    version = version or new_version()
    target = root / version
    if target.exists():
        raise SnapshotError(f"snapshot version {version!r} already exists under {root}")
    staging = root / f".staging-{version}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    for dataset, shop in shops.items():
        folder = staging / dataset
        folder.mkdir()
        for table in TABLES:
            getattr(shop, table).to_parquet(folder / f"{table}.parquet", index=False)
        np.save(folder / "vectors.npy", np.ascontiguousarray(shop.vectors, dtype=np.float32))
    manifest = {
        "version": version,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "datasets": {dataset: {"counts": shop.counts(), "settings": shop.settings} for dataset, shop in shops.items()},
    }
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=1, default=str))
    _make_read_only(staging)
    staging.rename(target)
    switch_current(root, version)
    prune_versions(root, keep)
    return target


def switch_current(root: Path, version: str) -> None:
    """Point ``root/current`` at ``version`` atomically (a new link renamed over the old one)."""
    if not (root / version / MANIFEST).is_file():
        raise SnapshotError(f"no snapshot {version!r} under {root}")
    link = root / f".{CURRENT}-{version}"
    if link.is_symlink():
        link.unlink()
    link.symlink_to(version, target_is_directory=True)
    os.replace(link, root / CURRENT)


def current_version(root: Path) -> str | None:
    """The version ``root/current`` points at, or None before the first publish."""
    link = root / CURRENT
    return os.readlink(link) if link.is_symlink() else None


def versions(root: Path) -> list[str]:
    """Every published version under ``root``, oldest first."""
    if not root.is_dir():
        return []
    return sorted(
        path.name
        for path in root.iterdir()
        if path.is_dir() and not path.name.startswith(".") and (path / MANIFEST).is_file() and not path.is_symlink()
    )


def prune_versions(root: Path, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` versions, never the current one; returns the deleted names."""
    current = current_version(root)
    doomed = [name for name in versions(root)[:-keep] if name != current]
    for name in doomed:
        _make_writable(root / name)
        shutil.rmtree(root / name)
    return doomed


def read_manifest(folder: Path) -> dict:
    return json.loads((folder / MANIFEST).read_text())


def read_shop(folder: Path) -> ShopTables:
    """One shop's tables as ``publish_snapshot`` wrote them under ``folder`` (``<version>/<dataset>``)."""
    tables = {table: pd.read_parquet(folder / f"{table}.parquet") for table in TABLES}
    return ShopTables(vectors=np.load(folder / "vectors.npy"), **tables)


def _make_read_only(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)


def _make_writable(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            path.chmod(stat.S_IRUSR | stat.S_IWUSR)


def purge_versions(root: Path, holds: Callable[[Path], bool]) -> list[str]:
    """Delete every version but the current one whose folder ``holds`` says keeps data that must go (an erased
    customer, say); returns the deleted names. The current version is replaced by publishing, never deleted here."""
    current = current_version(root)
    doomed = [name for name in versions(root) if name != current and holds(root / name)]
    for name in doomed:
        _make_writable(root / name)
        shutil.rmtree(root / name)
    return doomed


def names_users(folder: Path, dataset: str, user_ids: Collection[str]) -> bool:
    """Whether the shop ``dataset`` of the version ``folder`` names any of ``user_ids`` in a table's ``user_id``."""
    shop = folder / dataset
    wanted = list(user_ids)
    for table, columns in TABLES.items():
        path = shop / f"{table}.parquet"
        if "user_id" in columns and path.is_file():
            if pd.read_parquet(path, columns=["user_id"])["user_id"].isin(wanted).any():
                return True
    return False
