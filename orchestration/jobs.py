"""Jobs: what a sensor or an engineer launches."""

import dagster as dg

from assets.privacy import erase_requested_customers, expire_old_rows
from assets.raw import RAW_ASSETS

# A landed file: load it, then refresh the unpartitioned tables that depend on it, in the same run so that their
# blocking checks gate the hand-off at once. cleaned_events (partitioned) follows via its own sensor.
ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.assets(*RAW_ASSETS.values(), "cleaned_items", "cleaned_reviews"),
    description="Load new landed files into the raw tables and re-clean items and reviews.",
)

# Engineers' backfills and the refresh sensor run a range of partitions as one run (single-run backfill policy).
cleaned_events_job = dg.define_asset_job(
    "cleaned_events_job",
    selection=dg.AssetSelection.assets("cleaned_events"),
    description="Re-clean the events of a range of periods; rewriting a period replaces it (idempotent).",
)


# Erasure and retention delete rows, then report the raw tables they changed: the cleaned_events refresh sensor and
# the automation recompute what is built on them (docs/privacy.md).
@dg.job(description="Erase the customers of the pending erasure_requests; finish those a new snapshot republished.")
def erasure_job():
    erase_requested_customers()


@dg.job(description="Delete events and reviews past their dataset's retention period, landing files included.")
def expiry_job():
    expire_old_rows()


expiry_schedule = dg.ScheduleDefinition(
    name="expiry_schedule", job=expiry_job, cron_schedule="30 3 * * *", default_status=dg.DefaultScheduleStatus.RUNNING
)
