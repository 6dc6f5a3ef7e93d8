"""The landing folder as a Dagster resource."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from longtail.data import landing, retraction


class LandingResource(dg.ConfigurableResource):
    """Where source files arrive (``$LONGTAIL_HOME/landing`` by default), one sub-folder per dataset."""

    path: str

    def scan(self) -> list[landing.LandedFile]:
        return landing.scan(Path(self.path))

    def retractions(self) -> list[retraction.Retraction]:
        """The retraction requests ``longtail retract`` left in the landing folder."""
        return retraction.pending_retractions(Path(self.path))
