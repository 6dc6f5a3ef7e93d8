"""Sensors: new landed files trigger ingestion; changed raw events trigger the refresh of their partitions; an
ingest run cut off and not retried by Dagster is run once more.

Both decide from what is already done (the warehouse's record of loaded files, the partitions cleaned since a
change), not only from their cursors, so a daemon started with empty cursors after `longtail demo` (`longtail ui`
on the demo's instance) launches nothing.
"""

import hashlib
import json
import time

import dagster as dg
import duckdb
from dagster._core.events import RunFailureReason
from dagster._core.storage.tags import AUTO_RETRY_RUN_ID_TAG, RUN_FAILURE_REASON_TAG

from assets.partitions import RANGE_END_TAG, RANGE_START_TAG, partition_keys_between
from assets.raw import FIRST_DAY_KEY, LAST_DAY_KEY, RAW_ASSETS
from longtail.data.erasure import open_erasure_requests
from longtail.data.ingest import unapplied_retractions, unrecorded_files
from longtail.data.retention import expired_file_keys
from longtail.serving.snapshot import current_version
from orchestration.jobs import cleaned_events_job, erasure_job, ingest_job
from resources import home
from resources.landing import LandingResource
from resources.warehouse import WarehouseResource

# How long a tick waits for a run's write lock on the warehouse before skipping (well under the tick's timeout).
WAREHOUSE_WAIT_S = 10.0
RAW_EVENTS = dg.AssetKey(RAW_ASSETS["events"])
CLEANED_EVENTS = dg.AssetKey("cleaned_events")
# The landed files (dataset/name@sha256, retract:...) an ingest run was requested for.
FILES_TAG = "longtail/files"
# On an ingest run ``ingest_recovery_sensor`` requested: the failed run it runs again.
RECOVERS_TAG = "longtail/recovers"
# How long after an ingest run failed Dagster's run retries have to launch it again before the sensor does; they
# act within seconds.
RETRY_GRACE_S = 60.0


@dg.sensor(job=ingest_job, minimum_interval_seconds=15, default_status=dg.DefaultSensorStatus.RUNNING)
def landing_sensor(context: dg.SensorEvaluationContext, landing: LandingResource, warehouse: WarehouseResource):
    """One ingest run for what the warehouse has not done: new files, new content under a name, and retraction
    requests (``longtail retract``). A file removed from the landing folder by hand is reported (its rows stay
    loaded until retracted), once.

    The warehouse's ``landing_files`` record decides what is done. The cursor holds the keys (dataset/name@sha256,
    retract:...) already requested or found done, so each is requested once even while its run waits in the queue,
    and the warehouse is opened only when an unknown key appears.
    """
    seen = set(json.loads(context.cursor)) if context.cursor else set()
    files, retractions = landing.scan(), landing.retractions()
    current = {landed.key for landed in files} | {retraction.key for retraction in retractions}
    gone = seen - current
    if gone and warehouse.exists():
        # A file the retention expiry deleted left on purpose: not worth a warning.
        try:
            with warehouse.connect(read_only=True, lock_timeout_s=WAREHOUSE_WAIT_S) as connection:
                gone -= expired_file_keys(connection)
        except duckdb.IOException as error:
            return dg.SkipReason(f"the warehouse is busy, looking again at the next tick ({error})")
    removed = _report_removed(context, gone, files, retractions)
    unknown_files = [landed for landed in files if landed.key not in seen]
    unknown_retractions = [retraction for retraction in retractions if retraction.key not in seen]
    if not unknown_files and not unknown_retractions:
        if removed:
            context.update_cursor(json.dumps(sorted(seen & current)))
        return dg.SkipReason("; ".join([*removed, "no new files in the landing folder"]))
    new, to_retract = unknown_files, unknown_retractions
    if warehouse.exists():
        try:
            with warehouse.connect(read_only=True, lock_timeout_s=WAREHOUSE_WAIT_S) as connection:
                new = unrecorded_files(connection, unknown_files)
                to_retract = unapplied_retractions(connection, unknown_retractions)
        except duckdb.IOException as error:
            return dg.SkipReason(f"the warehouse is busy, looking again at the next tick ({error})")
    context.update_cursor(json.dumps(sorted(current)))
    if not new and not to_retract:
        return dg.SkipReason(
            "; ".join([*removed, f"{len(unknown_files)} file(s) in the landing folder are loaded already"])
        )
    keys = sorted([landed.key for landed in new] + [retraction.key for retraction in to_retract])
    return dg.RunRequest(
        run_key=hashlib.sha256("\n".join(keys).encode()).hexdigest()[:32],
        tags={FILES_TAG: ", ".join(keys)[:1000]},
    )


def _report_removed(context, gone_keys: set[str], files, retractions) -> list[str]:
    """Warn about each file key the cursor knew that left the landing folder without being replaced by new content
    under its name or retracted; return the warnings."""
    still_named = {f"{landed.dataset}/{landed.name}" for landed in files}
    retracted = {f"{retraction.dataset}/{retraction.name}" for retraction in retractions}
    warnings = []
    for key in sorted(gone_keys):
        if key.startswith("retract:"):
            continue
        name = key.rsplit("@", 1)[0]
        if name in still_named or name in retracted:
            continue
        warning = (
            f"{name} was removed from the landing folder; its rows stay loaded: put it back, or remove them with "
            "`longtail retract --file-id ID` (the raw_events check loaded_files_still_landed lists its id)"
        )
        context.log.warning(warning)
        warnings.append(warning)
    return warnings


@dg.sensor(job=ingest_job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def ingest_recovery_sensor(context: dg.SensorEvaluationContext):
    """One more ingest run when the latest one failed and Dagster's run retries did not launch it again within
    ``RETRY_GRACE_S``.

    A run whose worker was killed is retried by the instance's run retries. If that retry cannot be launched (the
    retry daemon's attempt failed, say while the code server restarted on a loaded machine), Dagster gives up on
    the run for good. The landing sensor requested its files already and will not again, and what the run recorded
    as loaded is announced only by the next ingest run: without this sensor a file could wait for the next file.
    Rerunning ingestion is safe (each file loads once per content). Left to a person: a run that failed in a step
    (the same input fails the same way) and a run this sensor requested.
    """
    records = context.instance.get_run_records(filters=dg.RunsFilter(job_name=ingest_job.name), limit=1)
    if not records:
        return dg.SkipReason("no ingest run yet")
    record = records[0]
    run = record.dagster_run
    if run.status != dg.DagsterRunStatus.FAILURE:
        return dg.SkipReason(f"the latest ingest run, {run.run_id[:8]}, is {run.status.value.lower()}")
    if AUTO_RETRY_RUN_ID_TAG in run.tags:
        return dg.SkipReason(f"the failed ingest run {run.run_id[:8]} was retried by Dagster")
    if run.tags.get(RUN_FAILURE_REASON_TAG) == RunFailureReason.STEP_FAILURE.value or RECOVERS_TAG in run.tags:
        return dg.SkipReason(f"the failed ingest run {run.run_id[:8]} is left to a person: see its logs")
    if record.end_time is not None and time.time() - record.end_time < RETRY_GRACE_S:
        return dg.SkipReason(f"the failed ingest run {run.run_id[:8]} may still be retried by Dagster")
    return dg.RunRequest(
        run_key=f"recover:{run.run_id}", tags={FILES_TAG: run.tags.get(FILES_TAG, "-"), RECOVERS_TAG: run.run_id}
    )


@dg.sensor(job=cleaned_events_job, minimum_interval_seconds=15, default_status=dg.DefaultSensorStatus.RUNNING)
def cleaned_events_refresh_sensor(context: dg.SensorEvaluationContext):
    """For each new raw_events materialization that added or removed rows, one run re-cleaning the partitions
    holding the changed days, minus those cleaned again since (by a backfill or `longtail demo`).

    The cursor is the storage id of the last raw_events materialization looked at.
    """
    after = int(context.cursor) if context.cursor else None
    changes = _materializations(context.instance, RAW_EVENTS, after)
    if not changes:
        return dg.SkipReason("no new raw_events materialization")
    requests = []
    for change in changes:
        metadata = change.asset_materialization.metadata
        if FIRST_DAY_KEY not in metadata:
            continue
        cleaned_since = context.instance.get_materialized_partitions(CLEANED_EVENTS, after_cursor=change.storage_id)
        stale = [
            key
            for key in partition_keys_between(metadata[FIRST_DAY_KEY].value, metadata[LAST_DAY_KEY].value)
            if key not in cleaned_since
        ]
        if stale:
            requests.append(
                dg.RunRequest(
                    run_key=f"{change.run_id}:{stale[0]}:{stale[-1]}",
                    tags={RANGE_START_TAG: stale[0], RANGE_END_TAG: stale[-1]},
                )
            )
    cursor = str(changes[-1].storage_id)
    if not requests:
        return dg.SensorResult(skip_reason="no raw events changed that are not cleaned since", cursor=cursor)
    return dg.SensorResult(run_requests=requests, cursor=cursor)


def _materializations(instance: dg.DagsterInstance, asset: dg.AssetKey, after: int | None) -> list[dg.EventLogRecord]:
    """Every materialization record of ``asset`` after the storage id ``after`` (all when None), oldest first."""
    records: list[dg.EventLogRecord] = []
    cursor = None
    while True:
        page = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=asset, after_storage_id=after), limit=100, cursor=cursor, ascending=True
        )
        records += page.records
        if not page.has_more:
            return records
        cursor = page.cursor


@dg.sensor(job=erasure_job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def erasure_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    """One erasure run while ``erasure_requests`` holds a pending request (``longtail forget``, or a row a shop's
    system inserted), or an erased one that a snapshot published since may finish; one run per such state."""
    if not warehouse.exists():
        return dg.SkipReason("no warehouse yet")
    try:
        with warehouse.connect(read_only=True, lock_timeout_s=WAREHOUSE_WAIT_S) as connection:
            requests = open_erasure_requests(connection)
    except duckdb.IOException as error:
        return dg.SkipReason(f"the warehouse is busy, looking again at the next tick ({error})")
    snapshot = current_version(home.serving_dir())
    pending = requests[requests["status"] == "pending"]
    erased = requests[requests["status"] == "erased"]
    if pending.empty and (erased.empty or snapshot is None):
        return dg.SkipReason("no erasure request to apply or finish")
    state = f"{snapshot}\n" + "\n".join(
        f"{row.dataset}/{row.user_id}:{row.status}:{row.requested_at}" for row in requests.itertuples()
    )
    return dg.RunRequest(run_key=hashlib.sha256(state.encode()).hexdigest()[:32])
