"""Sensors: new landed files trigger ingestion; changed raw events trigger the refresh of their days."""

import hashlib
import json

import dagster as dg

from assets.raw import FIRST_DAY_KEY, LAST_DAY_KEY, RAW_ASSETS
from orchestration.jobs import cleaned_events_job, ingest_job
from resources.landing import LandingResource

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


@dg.sensor(job=ingest_job, minimum_interval_seconds=15, default_status=dg.DefaultSensorStatus.RUNNING)
def landing_sensor(context: dg.SensorEvaluationContext, landing: LandingResource):
    """One ingest run for the files that appeared (or changed content) since the last tick; seen files are ignored.

    The cursor holds the keys (dataset/name@sha256) of every file already requested, so a file dropped twice or
    left in place triggers nothing, and a file whose content changed under the same name triggers a new run.
    """
    seen = set(json.loads(context.cursor)) if context.cursor else set()
    new = [landed for landed in landing.scan() if landed.key not in seen]
    if not new:
        return dg.SkipReason("no new files in the landing folder")
    keys = sorted(landed.key for landed in new)
    context.update_cursor(json.dumps(sorted(seen | set(keys))))
    return dg.RunRequest(
        run_key=hashlib.sha256("\n".join(keys).encode()).hexdigest()[:32],
        tags={"longtail/files": ", ".join(keys)[:1000]},
    )


@dg.asset_sensor(
    asset_key=dg.AssetKey(RAW_ASSETS["events"]),
    job=cleaned_events_job,
    minimum_interval_seconds=15,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def cleaned_events_refresh_sensor(context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry):
    """After raw_events changes, re-clean exactly the days whose raw rows were added or removed, as one run."""
    metadata = asset_event.asset_materialization.metadata
    if FIRST_DAY_KEY not in metadata:
        return dg.SkipReason("the last raw_events materialization changed no rows")
    first, last = metadata[FIRST_DAY_KEY].value, metadata[LAST_DAY_KEY].value
    return dg.RunRequest(
        run_key=f"{asset_event.run_id}:{first}:{last}",
        tags={RANGE_START_TAG: first, RANGE_END_TAG: last},
    )
