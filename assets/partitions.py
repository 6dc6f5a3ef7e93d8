"""Partitions of the events-derived assets: four-month periods of event time, and runs over a range of them."""

import dagster as dg
import pandas as pd

from longtail.data.cleaning import MIN_TS

# The run tags that make one run cover a range of partitions (the single-run backfill policy of cleaned_events).
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"

# One partition per four-month period of event time (UTC; starting 1 January, 1 May, 1 September), keyed by its
# first day, from the earliest plausible event up to and including the current period (end_offset=1), so rows
# loaded today with a broken timestamp, which fall back to their load day, have a home.
# Why four months: Dagster records every partition a run covers, twice (planned, then materialized), each a few
# SQLite commits: 35 ms (CI) to 150 ms (a busy shared 2-core machine) a partition. The shared datasets span
# 2001-2018; their whole-history backfill covers 6,173 days, 204 months or 52 four-month periods, which cost 510 s,
# 26 s and 8 s of bookkeeping on the busy machine (bench/data_layer.py --backfill). A refresh re-cleans the periods
# holding the changed days: at most 202,000 raw events in the shared data (Online Retail, Sep-Dec 2010).
# Keys are month starts.
event_periods = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1,5,9 *", start=MIN_TS.strftime("%Y-%m-%d"), fmt="%Y-%m-%d", timezone="UTC", end_offset=1
)


def partition_key(day) -> str:
    """The key of the partition holding ``day`` (a date, a timestamp or an ISO string; naive means UTC)."""
    moment = pd.Timestamp(day)
    moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")
    return event_periods.get_partition_key_for_timestamp(moment.timestamp())


def partition_keys_between(first_day, last_day) -> list[str]:
    """The keys of the partitions holding the days ``first_day`` .. ``last_day`` (inclusive), in time order."""
    return list(
        event_periods.get_partition_keys_in_range(
            dg.PartitionKeyRange(partition_key(first_day), partition_key(last_day))
        )
    )


def range_tags(first_day, last_day) -> dict[str, str]:
    """Run tags for one run over the partitions holding the days ``first_day`` .. ``last_day``."""
    return {RANGE_START_TAG: partition_key(first_day), RANGE_END_TAG: partition_key(last_day)}
