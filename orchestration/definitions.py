"""The Dagster definitions loaded by workspace.yaml, the ``longtail`` command and the tests."""

from __future__ import annotations

import os

import dagster as dg

from assets.cleaned import RECONCILIATION_CHECKS, cleaned_events, cleaned_items, cleaned_reviews
from assets.items import ITEM_CHECKS, item_embeddings, item_similarity, item_text
from assets.raw import no_rejected_files, raw_tables
from assets.recommendations import RECOMMENDATION_CHECKS, recommendation_evaluation, recommendation_lists
from assets.users import user_profiles
from data_quality.checks import GX_CHECKS
from orchestration import home
from orchestration.jobs import cleaned_events_job, ingest_job
from orchestration.sensors import cleaned_events_refresh_sensor, landing_sensor
from resources.landing import LandingResource
from resources.models import EmbeddingModelResource
from resources.warehouse import WarehouseResource

# The one automation policy, applied to every unpartitioned derived asset: refresh when an upstream asset
# changed, and never while an upstream blocking data-quality check is failing. Missing upstream data does not
# hold it back: cleaned_events has a daily partition since 2000 and most days of any dataset are empty.
GATED_EAGER = (
    dg.AutomationCondition.eager().without(~dg.AutomationCondition.any_deps_missing())
    & dg.AutomationCondition.all_deps_blocking_checks_passed()
).with_label("eager, unless an upstream blocking check failed")
AUTOMATED_ASSETS = dg.map_asset_specs(
    lambda spec: spec.replace_attributes(automation_condition=GATED_EAGER),
    [
        cleaned_items,
        cleaned_reviews,
        item_text,
        item_embeddings,
        item_similarity,
        user_profiles,
        recommendation_evaluation,
        recommendation_lists,
    ],
)

ASSETS = [raw_tables, cleaned_events, *AUTOMATED_ASSETS]
CHECKS = [no_rejected_files, *RECONCILIATION_CHECKS, *GX_CHECKS, *ITEM_CHECKS, *RECOMMENDATION_CHECKS]


def build_resources() -> dict[str, dg.ConfigurableResource]:
    """Resources rooted at ``$LONGTAIL_HOME`` (default ``./.longtail``); the embedding model and its device from
    ``LONGTAIL_EMBEDDING_MODEL`` (default: the packaged all-MiniLM-L6-v2) and ``LONGTAIL_DEVICE`` (default auto)."""
    return {
        "landing": LandingResource(path=str(home.landing_dir())),
        "warehouse": WarehouseResource(path=str(home.warehouse_path())),
        "embedder": EmbeddingModelResource(
            model=os.environ.get("LONGTAIL_EMBEDDING_MODEL", "default"),
            device=os.environ.get("LONGTAIL_DEVICE", "auto"),
        ),
    }


def build_definitions(resources: dict[str, dg.ConfigurableResource] | None = None) -> dg.Definitions:
    return dg.Definitions(
        assets=ASSETS,
        asset_checks=CHECKS,
        jobs=[ingest_job, cleaned_events_job],
        sensors=[
            landing_sensor,
            cleaned_events_refresh_sensor,
            dg.AutomationConditionSensorDefinition(
                "automation",
                target=AUTOMATED_ASSETS,
                default_status=dg.DefaultSensorStatus.RUNNING,
                minimum_interval_seconds=15,
            ),
        ],
        resources=resources if resources is not None else build_resources(),
    )


defs = build_definitions()
