"""serving_snapshot on the synthetic shop: published after the recommendation assets, read back and answered
from; and never published while an upstream gate is failing."""

import json
from dataclasses import asdict

import dagster as dg
import pandas as pd
import pytest

from assets.serving import settings_valid
from longtail.data.warehouse import read_table, replace_dataset_rows
from longtail.serving.assistant import AssistantWeights
from longtail.serving.catalogue import load_snapshot
from longtail.serving.lexical import DEFAULT_BM25
from longtail.serving.lists import user_list
from longtail.serving.parsing_evaluation import PARSING_SETS
from longtail.serving.snapshot import current_version, versions
from orchestration.definitions import ASSETS, CHECKS
from resources import home as longtail_home
from tests.assets.conftest import metadata, run, synthetic_shop
from tests.assets.test_recommendations import DERIVED

SERVED = DERIVED + " or key:serving_snapshot"


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    with synthetic_shop(tmp_path_factory.mktemp("served") / "home", SERVED, with_reviews=False) as shop:
        yield shop


def test_the_snapshot_holds_every_users_list_and_the_check_answers_from_it(shop):
    home, result, _ = shop
    root = longtail_home.serving_dir()
    version = current_version(root)
    assert version == metadata(result, "serving_snapshot")["version"]
    served = load_snapshot(root, version).shops["shop"]
    users = home.count("select count(distinct user_id) from recommendation_lists")
    assert len(served.lists) == users
    assert len(served) == home.count("select count(*) from cleaned_items")
    some_user = next(user for user in served.lists if not user.startswith("<"))
    assert user_list(served, some_user, 5).items
    [check] = [e for e in result.get_asset_check_evaluations() if e.check_name == "snapshot_serves"]
    assert check.passed


def test_a_rerun_publishes_a_new_version_and_keeps_the_last_three(shop):
    home, _, _ = shop
    for _ in range(3):
        run(home, "key:serving_snapshot")
    assert len(versions(longtail_home.serving_dir())) == 3


def test_a_failing_upstream_gate_stops_publishing(shop):
    home, _, _ = shop
    before = versions(longtail_home.serving_dir())
    with dg.DagsterInstance.ephemeral() as instance:
        instance.report_runless_asset_event(
            dg.AssetCheckEvaluation(
                asset_key=dg.AssetKey("recommendation_lists"), check_name="lists_complete", passed=False
            )
        )
        result = dg.materialize(
            [*ASSETS, *CHECKS], selection="key:serving_snapshot", resources=home.resources(), instance=instance,
            raise_on_error=False,
        )  # fmt: skip
    assert not result.success
    [failure] = [event for event in result.all_events if event.is_step_failure]
    assert "recommendation_lists:lists_complete" in str(failure.step_failure_data.error)
    assert versions(longtail_home.serving_dir()) == before


def test_tuned_assistant_settings_are_published_with_the_next_snapshot(shop):
    home, _, _ = shop
    result = dg.materialize(
        [*ASSETS, *CHECKS], selection="key:assistant_settings or key:serving_snapshot", resources=home.resources()
    )
    assert result.success
    with home.warehouse().connect(read_only=True) as connection:
        [(stored, tuning)] = connection.execute("select settings, tuning from assistant_settings").fetchall()
    root = longtail_home.serving_dir()
    published = load_snapshot(root, current_version(root)).shops["shop"].settings["assistant"]
    assert published == json.loads(stored) and set(published) == {"weights", "bm25"}
    tuning = json.loads(tuning)
    assert tuning["validation_sessions"] > 0
    # The tuned settings where the cross-validated check adopted them, else the defaults; the UI says which.
    defaults = {"weights": asdict(AssistantWeights()), "bm25": DEFAULT_BM25}
    served = tuning["tuned"] if tuning["tuning_check"]["adopted"] else defaults
    assert published == {key: served[key] for key in ("weights", "bm25")}
    shown = metadata(result, "assistant_settings")["settings"]
    assert "defaults_validation_hit@10" in shown and "| shop " in shown
    assert "out_of_fold_gain" in shown and "won_lost_p" in shown and ("| defaults " in shown or "| tuned " in shown)


def test_invalid_assistant_settings_fail_their_check_and_stop_publishing(shop):
    home, _, _ = shop
    broken = {"dataset": ["shop"], "settings": [json.dumps({"weights": {"user": -1.0}})], "tuning": ["{}"]}
    with home.warehouse().connect() as connection:
        kept = read_table(connection, "assistant_settings")
        replace_dataset_rows(connection, "assistant_settings", pd.DataFrame(broken))
    before = versions(longtail_home.serving_dir())
    try:
        with dg.DagsterInstance.ephemeral() as instance:
            checked = dg.materialize(
                [*ASSETS, *CHECKS], selection=dg.AssetSelection.checks(settings_valid), resources=home.resources(),
                instance=instance, raise_on_error=False,
            )  # fmt: skip
            [evaluation] = checked.get_asset_check_evaluations()
            assert not evaluation.passed
            assert "weight user must be a finite number >= 0" in evaluation.metadata["invalid"].value
            published = dg.materialize(
                [*ASSETS, *CHECKS], selection="key:serving_snapshot", resources=home.resources(), instance=instance,
                raise_on_error=False,
            )  # fmt: skip
        assert not published.success
        assert versions(longtail_home.serving_dir()) == before
    finally:
        with home.warehouse().connect() as connection:
            connection.execute("delete from assistant_settings")
            if len(kept):
                replace_dataset_rows(connection, "assistant_settings", kept)


def test_the_interactive_evaluation_scores_every_system_on_the_synthetic_shop(shop):
    home, _, _ = shop
    result = dg.materialize(
        [*ASSETS, *CHECKS],
        selection="key:interactive_evaluation",
        resources=home.resources(),
        run_config={"ops": {"interactive_evaluation": {"config": {"max_sessions": 30}}}},
    )
    report = json.loads((longtail_home.reports_dir() / "interactive_evaluation.json").read_text())
    regimes = report["datasets"]["shop"]["regimes"]
    assert set(regimes) == {"1 word", "2 words"}
    assert regimes["1 word"]["models"]["assistant"]["constraint_satisfaction"] == 1.0
    # No labelled query is for the synthetic shop: the parsing sets are not scored, and say so by a null.
    assert report["parsing"] == dict.fromkeys(PARSING_SETS)
    assert "systems" in metadata(result, "interactive_evaluation")


def test_a_shop_that_cannot_be_tuned_is_served_with_the_defaults(shop, monkeypatch):
    import assets.serving

    def too_little(stage):
        raise ValueError("no purchase of a new item by a known user after the cut: nothing to simulate")

    home, _, _ = shop
    monkeypatch.setattr(assets.serving, "tune_served_assistant", too_little)
    result = dg.materialize([*ASSETS, *CHECKS], selection="key:assistant_settings", resources=home.resources())
    assert result.success
    assert "shop: no purchase of a new item" in metadata(result, "assistant_settings")["not_tuned"]
    assert home.warehouse().read_table("assistant_settings").empty
