"""The Dagster definitions loaded by workspace.yaml, the ``longtail`` command and the tests."""

from __future__ import annotations

import os

import dagster as dg

from assets.cleaned import RECONCILIATION_CHECKS, cleaned_events, cleaned_items, cleaned_reviews, guest_sales
from assets.demand import DEMAND_CHECKS, demand_history, demand_plans
from assets.descriptions import DESCRIPTION_CHECKS, generated_descriptions, generated_descriptions_evaluation
from assets.items import ITEM_CHECKS, item_embeddings, item_similarity, item_text
from assets.raw import loaded_files_still_landed, no_rejected_files, raw_tables
from assets.recommendations import RECOMMENDATION_CHECKS, recommendation_evaluation, recommendation_lists
from assets.sentiment import SENTIMENT_CHECKS, review_sentiment, sentiment_model
from assets.serving import SERVING_CHECKS, assistant_settings, interactive_evaluation, serving_snapshot
from assets.users import user_profiles
from data_quality.checks import GX_CHECKS
from orchestration.jobs import cleaned_events_job, erasure_job, expiry_job, expiry_schedule, ingest_job
from orchestration.sensors import cleaned_events_refresh_sensor, erasure_sensor, ingest_recovery_sensor, landing_sensor
from resources import home
from resources.engine import engine_from_env
from resources.landing import LandingResource
from resources.models import EmbeddingModelResource, GeneratorResource
from resources.privacy import PrivacyResource, retention_from_env
from resources.warehouse import WarehouseResource

# The one automation policy, applied to every unpartitioned derived asset: refresh when an upstream asset
# changed, and never while an upstream blocking data-quality check is failing. Missing upstream data does not
# hold it back: cleaned_events has a partition per four months since 2000, and those before and after the data's
# history (and any gap in it) are never materialized. A load of nothing new materializes no raw table (see
# raw_tables), so it triggers nothing here.
#
# An upstream asset requested on the same tick counts as passing: the run then executes its blocking checks
# before this asset, and a failing one stops this asset there. So one tick requests the whole refresh below a
# change as one run. Dagster's all_deps_blocking_checks_passed() asks instead that the checks themselves be
# requested, which ours (they run with their asset, and carry no automation condition) never are: each refresh
# went as one run per layer of the graph, a tick apart (five runs, about 60 s, for a dropped file).
UPSTREAM_GATES_PASSED = dg.AutomationCondition.all_deps_match(
    dg.AutomationCondition.all_checks_match(dg.AutomationCondition.check_passed(), blocking_only=True)
    | dg.AutomationCondition.will_be_requested()
).with_label("upstream blocking checks passed, or upstream requested with this asset")
GATED_EAGER = (
    dg.AutomationCondition.eager().without(~dg.AutomationCondition.any_deps_missing()) & UPSTREAM_GATES_PASSED
).with_label("eager, unless an upstream blocking check failed")
AUTOMATED_ASSETS = dg.map_asset_specs(
    lambda spec: spec.replace_attributes(automation_condition=GATED_EAGER),
    [
        cleaned_items,
        cleaned_reviews,
        guest_sales,
        sentiment_model,
        review_sentiment,
        generated_descriptions,
        item_text,
        item_embeddings,
        item_similarity,
        user_profiles,
        recommendation_evaluation,
        recommendation_lists,
        generated_descriptions_evaluation,
        demand_history,
        demand_plans,
        serving_snapshot,
    ],
)

# Tuning and evaluations an engineer runs on purpose (minutes each): not automated, and left out of `longtail
# materialize` without --select and of the demo. A new assistant_settings still refreshes serving_snapshot.
ON_DEMAND_ASSETS = [assistant_settings, interactive_evaluation]
ASSETS = [raw_tables, cleaned_events, *AUTOMATED_ASSETS, *ON_DEMAND_ASSETS]
CHECKS = [
    no_rejected_files,
    loaded_files_still_landed,
    *RECONCILIATION_CHECKS,
    *GX_CHECKS,
    *ITEM_CHECKS,
    *RECOMMENDATION_CHECKS,
    *SENTIMENT_CHECKS,
    *DESCRIPTION_CHECKS,
    *DEMAND_CHECKS,
    *SERVING_CHECKS,
]


def build_resources() -> dict[str, dg.ConfigurableResource]:
    """Resources rooted at ``$LONGTAIL_HOME`` (default ``./.longtail``); the embedding model and its device from
    ``LONGTAIL_EMBEDDING_MODEL`` (default: the packaged all-MiniLM-L6-v2) and ``LONGTAIL_DEVICE`` (default auto);
    published descriptions from ``LONGTAIL_TEXT_SOURCE`` ("facts", the default, or "model"), and with "model" the
    text generator from ``LONGTAIL_GENERATOR_MODEL`` (default: the packaged SmolLM2-135M-Instruct) with
    ``LONGTAIL_GENERATION_BUDGET`` new model outputs per run (default 100); the id key from ``LONGTAIL_ID_KEY``
    (default: a key file under ``$LONGTAIL_HOME/secrets``) and retention periods from ``LONGTAIL_RETENTION_DAYS``;
    the engine of the heavy assets from ``LONGTAIL_ENGINE`` ("local", the default, or "spark" with
    ``LONGTAIL_SPARK_MASTER``: see ``resources.engine``)."""
    return {
        "engine": engine_from_env(home.spark_exchange_dir()),
        "landing": LandingResource(path=str(home.landing_dir())),
        "warehouse": WarehouseResource(path=str(home.warehouse_path())),
        "privacy": PrivacyResource(key_file=str(home.id_key_path()), retention_days=retention_from_env()),
        "embedder": EmbeddingModelResource(
            model=os.environ.get("LONGTAIL_EMBEDDING_MODEL", "default"),
            device=os.environ.get("LONGTAIL_DEVICE", "auto"),
        ),
        "generator": GeneratorResource(
            source=os.environ.get("LONGTAIL_TEXT_SOURCE", "facts"),
            model=os.environ.get("LONGTAIL_GENERATOR_MODEL", "default"),
            device=os.environ.get("LONGTAIL_DEVICE", "auto"),
            items_per_run=int(os.environ.get("LONGTAIL_GENERATION_BUDGET", "100")),
        ),
    }


def build_definitions(resources: dict[str, dg.ConfigurableResource] | None = None) -> dg.Definitions:
    return dg.Definitions(
        assets=ASSETS,
        asset_checks=CHECKS,
        jobs=[ingest_job, cleaned_events_job, erasure_job, expiry_job],
        schedules=[expiry_schedule],
        sensors=[
            landing_sensor,
            ingest_recovery_sensor,
            cleaned_events_refresh_sensor,
            erasure_sensor,
            dg.AutomationConditionSensorDefinition(
                "automation",
                target=AUTOMATED_ASSETS,
                default_status=dg.DefaultSensorStatus.RUNNING,
                minimum_interval_seconds=15,
            ),
        ],
        resources=resources if resources is not None else build_resources(),
        # Every step of a run in the run's own process, as `longtail materialize` does: the warehouse pool runs
        # its steps one at a time anyway, and a process per step cost 3 to 4 s of start-up each (an ingest run of
        # 12 steps spent over 40 s starting processes).
        executor=dg.in_process_executor,
    )


defs = build_definitions()
