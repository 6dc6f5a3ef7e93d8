"""A synthetic shop with reviews, run once through the language-model and demand assets (fake models), shared
by the tests of assets/sentiment.py, assets/descriptions.py and assets/demand.py."""

from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pytest

from orchestration.definitions import ASSETS, CHECKS
from orchestration.sensors import RANGE_END_TAG, RANGE_START_TAG
from resources.engine import EngineResource
from tests.fixtures import Home, shop_history, shop_reviews, write_events, write_items, write_reviews

DATA_LAYER = "key:raw_events or key:raw_items or key:raw_reviews or key:cleaned_items or key:cleaned_reviews"
LANGUAGE_AND_DEMAND = (
    "key:sentiment_model or key:review_sentiment or key:generated_descriptions or key:item_text "
    "or key:item_embeddings or key:item_similarity or key:generated_descriptions_evaluation "
    "or key:demand_history or key:demand_forecasts or key:replenishment_plan"
)


def run(home: Home, selection: str, tags: dict | None = None, instance=None, resources=None, run_config=None):
    result = dg.materialize(
        [*ASSETS, *CHECKS],
        selection=selection,
        resources=resources or home.resources(),
        tags=tags,
        instance=instance,
        raise_on_error=False,
        run_config=run_config,
    )
    failed = [e.check_name for e in result.get_asset_check_evaluations() if not e.passed]
    assert result.success, failed
    return result


def metadata(result: dg.ExecuteInProcessResult, asset: str) -> dict:
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == asset]
    return {key: value.value for key, value in event.materialization.metadata.items()}


@contextmanager
def synthetic_shop(
    root: Path, derived: str, *, with_reviews: bool, engine: EngineResource | None = None, run_config=None
):
    """Land ``shop_history`` (and ``shop_reviews``) under ``root``, clean it, materialize ``derived`` (on
    ``engine``, by default the local one, with ``run_config``); yields (home, result of ``derived``, the MonkeyPatch
    that points LONGTAIL_HOME at ``root``)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LONGTAIL_HOME", str(root))
        home = Home(root, engine)
        events, items = shop_history()
        write_events(home.landing / "shop" / "events.csv", events)
        write_items(home.landing / "shop" / "items.csv", items)
        if with_reviews:
            write_reviews(home.landing / "shop" / "reviews.jsonl", shop_reviews())
        with dg.DagsterInstance.ephemeral() as instance:
            run(home, DATA_LAYER, instance=instance)
            run(home, "key:cleaned_events", {RANGE_START_TAG: "2024-01-01", RANGE_END_TAG: "2024-05-01"}, instance)
            yield home, run(home, derived, instance=instance, run_config=run_config), patch


@pytest.fixture(scope="session")
def reviewed_shop(tmp_path_factory):
    """(home, result of the language and demand assets) for the synthetic shop with reviews."""
    with synthetic_shop(
        tmp_path_factory.mktemp("reviewed_shop") / "home", LANGUAGE_AND_DEMAND, with_reviews=True
    ) as shop:
        yield shop
