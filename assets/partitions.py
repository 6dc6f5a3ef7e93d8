"""Partitions of the events-derived assets."""

import dagster as dg

from longtail.data.cleaning import MIN_TS

# One partition per UTC day of event time, from the earliest plausible event up to and including today
# (end_offset=1), so rows loaded today with a broken timestamp, which fall back to their load day, have a home.
daily_partitions = dg.DailyPartitionsDefinition(start_date=MIN_TS.strftime("%Y-%m-%d"), timezone="UTC", end_offset=1)
