"""The privacy policy as a Dagster resource: the id key for pseudonyms and each dataset's retention period."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import pandas as pd

from longtail.privacy.pseudonyms import Pseudonyms, load_key

RETENTION_ENV = "LONGTAIL_RETENTION_DAYS"


class PrivacyResource(dg.ConfigurableResource):
    """``key_file``: where the id key lives when ``LONGTAIL_ID_KEY`` is not set (created on first use).
    ``retention_days``: dataset -> days of events and reviews kept (by event time, counted back from now); a
    dataset not named keeps everything."""

    key_file: str
    retention_days: dict[str, int] = {}

    def pseudonyms(self) -> Pseudonyms:
        return Pseudonyms(load_key(Path(self.key_file)))

    def retain_since(self, now: pd.Timestamp | None = None) -> dict[str, pd.Timestamp]:
        """dataset -> the earliest event time kept (UTC) for each dataset with a retention period."""
        now = pd.Timestamp.now(tz="UTC") if now is None else now
        return {dataset: now - pd.Timedelta(days=days) for dataset, days in self.retention_days.items()}


def retention_from_env(environ: dict[str, str] | os._Environ = os.environ) -> dict[str, int]:
    """``LONGTAIL_RETENTION_DAYS`` ("online_retail=730,magazine=365") as dataset -> days; a malformed entry raises
    naming it."""
    periods = {}
    for entry in filter(None, (part.strip() for part in environ.get(RETENTION_ENV, "").split(","))):
        dataset, _, days = entry.partition("=")
        if not dataset.strip() or not days.strip().isdigit() or int(days) < 1:
            raise ValueError(f"{RETENTION_ENV}: {entry!r} is not dataset=days (a whole number of days, 1 or more)")
        periods[dataset.strip()] = int(days)
    return periods
