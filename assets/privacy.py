"""Erasure and retention in Dagster: the ops of ``erasure_job`` and ``expiry_job``, and what they share with
``longtail forget`` and ``longtail expire`` (docs/privacy.md).

Both ops delete, then report a materialization of the raw tables they changed with the changed days, so the
``cleaned_events`` refresh sensor re-cleans those partitions and the automation refreshes everything built on them,
the serving snapshot included. An erasure is ``done`` once a snapshot published after it is current and no other
kept version names the customer (``finish_erasures``, run by the next ``erasure_job``).
"""

from pathlib import Path

import dagster as dg
import pandas as pd

from assets.raw import FIRST_DAY_KEY, LAST_DAY_KEY, RAW_ASSETS
from longtail.data.erasure import (
    CachedRows,
    Deletion,
    apply_erasure_requests,
    mark_erasures_done,
    open_erasure_requests,
)
from longtail.data.retention import expire_landing_files, expire_rows
from longtail.language.caches import EMBEDDING_TABLE, text_hash
from longtail.language.reviews import review_sentences, review_texts, scoring_texts
from longtail.serving.snapshot import current_version, names_users, purge_versions, read_manifest
from resources import home
from resources.landing import LandingResource
from resources.privacy import PrivacyResource
from resources.warehouse import WAREHOUSE_POOL, WarehouseResource


def review_cache_keys(reviews: pd.DataFrame) -> list[CachedRows]:
    """The review embeddings built from ``reviews``' text: every text the sentiment assets encode (as trained and
    as scored), and each of its sentences, by text hash."""
    texts = set(review_texts(reviews)) | set(scoring_texts(reviews))
    pieces = texts | {sentence for text in texts for sentence in review_sentences(text)}
    return [CachedRows(EMBEDDING_TABLE, "text_hash", sorted(text_hash(piece) for piece in pieces))]


def finish_erasures(warehouse: WarehouseResource, serving_root: Path, now: pd.Timestamp) -> dict[str, list[str]]:
    """For the ``erased`` requests whose customers a snapshot published since no longer holds: delete every older
    snapshot version that names them and mark them ``done``. Returns the versions deleted per dataset; a request whose
    current snapshot predates it or still names it stays ``erased``."""
    with warehouse.connect() as connection:
        requests = open_erasure_requests(connection)
    requests = requests[requests["status"] == "erased"]
    current = current_version(serving_root)
    published_at = pd.Timestamp(read_manifest(serving_root / current)["created_at"]) if current else None
    purged = {}
    for dataset, group in requests.groupby("dataset", sort=True):
        users = group["user_id"].tolist()
        republished = published_at is not None and published_at >= group["erased_at"].max().floor("s")
        if not republished or names_users(serving_root / current, dataset, users):
            continue
        purged[dataset] = purge_versions(serving_root, lambda folder: names_users(folder, dataset, users))
        with warehouse.connect() as connection:
            mark_erasures_done(connection, dataset, users, now)
    return purged


def describe_deletion(dataset: str, deletion: Deletion) -> list[str]:
    """One line per table of what ``deletion`` removed from ``dataset``."""
    if not deletion.rows:
        return [f"{dataset}: nothing to delete"]
    return [f"{dataset}: {table}: {count:,} rows deleted" for table, count in sorted(deletion.rows.items())]


def changed_raw_tables(deleted: dict[str, Deletion]) -> list[dg.AssetMaterialization]:
    """A materialization of each raw table the deletions changed, raw_events with the changed days (what the
    ``cleaned_events`` refresh sensor reads), so what is built on them is refreshed."""
    merged = Deletion.combined(deleted.values())
    days = (
        {FIRST_DAY_KEY: f"{merged.first_day:%Y-%m-%d}", LAST_DAY_KEY: f"{merged.last_day:%Y-%m-%d}"}
        if merged.first_day is not None
        else {}
    )
    return [
        dg.AssetMaterialization(asset_key=asset, metadata={"rows_deleted": merged.rows.get(asset, 0), **days})
        for asset in RAW_ASSETS.values()
        if merged.rows.get(asset)
    ]


@dg.op(out={}, pool=WAREHOUSE_POOL)
def erase_requested_customers(context: dg.OpExecutionContext, warehouse: WarehouseResource):
    """Finish the erasures a snapshot has republished since, then erase the customers of the pending requests."""
    now = pd.Timestamp.now(tz="UTC")
    for dataset, versions in finish_erasures(warehouse, home.serving_dir(), now).items():
        context.log.info(f"{dataset}: erasure done; deleted snapshot versions naming them: {versions or 'none'}")
    with warehouse.connect() as connection:
        deleted = apply_erasure_requests(connection, now=now, cache_keys=review_cache_keys)
    for dataset, deletion in deleted.items():
        for line in describe_deletion(dataset, deletion):
            context.log.info(line)
    yield from changed_raw_tables(deleted)


@dg.op(out={}, pool=WAREHOUSE_POOL)
def expire_old_rows(
    context: dg.OpExecutionContext, warehouse: WarehouseResource, landing: LandingResource, privacy: PrivacyResource
):
    """Delete the events and reviews past their dataset's retention period from the warehouse and the landing
    folder (docs/privacy.md)."""
    since = privacy.retain_since()
    with warehouse.connect() as connection:
        deleted = expire_rows(connection, since, cache_keys=review_cache_keys)
        files = expire_landing_files(Path(landing.path), since, connection)
    for dataset, deletion in deleted.items():
        for line in describe_deletion(dataset, deletion):
            context.log.info(line)
    context.log.info(f"landing files deleted: {len(files.deleted)}; partly expired, kept: {len(files.kept)}")
    for path, reason in files.unreadable.items():
        context.log.warning(f"{path}: could not be read, kept ({reason})")
    yield from changed_raw_tables(deleted)
