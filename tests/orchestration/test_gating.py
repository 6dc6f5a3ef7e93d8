"""A failing blocking data-quality check stops what depends on it: in the same run, and across runs."""

import dagster as dg

from orchestration.definitions import GATED_EAGER, build_definitions
from tests.fixtures import REVIEWS, write_items, write_reviews

CORRUPT_ROW = """
insert into raw_items (dataset, file_id, source_file, loaded_at, source_row, item_id, title, source_count)
values ('shop', 'hand-made', null, now(), 1, 'x1', 'typed in by hand', 1)"""


def materialized(result) -> set[str]:
    return {event.asset_key.to_user_string() for event in result.get_asset_materialization_events()}


def failed_checks(result) -> list[str]:
    return [evaluation.check_name for evaluation in result.get_asset_check_evaluations() if not evaluation.passed]


def test_a_failed_raw_gate_blocks_cleaning_in_the_same_run_and_under_automation(home):
    write_items(home.landing / "shop" / "items.csv")
    defs = build_definitions(home.resources())
    instance = dg.DagsterInstance.ephemeral()
    job = defs.resolve_job_def("ingest_job")
    assert job.execute_in_process(instance=instance).success

    # A hand-made row breaks the gate; the next load (a new items file) runs the raw checks again.
    with home.warehouse().connect() as connection:
        connection.execute(CORRUPT_ROW)
    write_items(home.landing / "shop" / "more-items.csv", "item_id,title\ni8,Teapot\n")
    blocked = job.execute_in_process(instance=instance, raise_on_error=False)
    assert not blocked.success
    assert "source_file_not_null" in failed_checks(blocked)
    assert "raw_items" in materialized(blocked) and "cleaned_items" not in materialized(blocked)

    # Across runs: the automation policy does not request cleaned_items while its upstream gate fails ...
    evaluation = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    assert evaluation.get_num_requested(dg.AssetKey("cleaned_items")) == 0

    # ... and does once the bad row is gone and the gate passes again on the next load.
    with home.warehouse().connect() as connection:
        connection.execute("delete from raw_items where file_id = 'hand-made'")
    write_items(home.landing / "shop" / "even-more-items.csv", "item_id,title\ni9,Tea cosy\n")
    raw = ["raw_events", "raw_items", "raw_reviews"]
    rerun = dg.materialize(
        [*defs.assets, *defs.asset_checks],
        selection=dg.AssetSelection.assets(*raw) | dg.AssetSelection.checks_for_assets(*raw),
        instance=instance,
        resources=home.resources(),
    )
    assert rerun.success
    evaluation = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=evaluation.cursor)
    assert evaluation.get_num_requested(dg.AssetKey("cleaned_items")) == 1


def test_automation_refreshes_the_recommendation_assets_when_some_periods_of_events_are_cleaned(home):
    """cleaned_events has a partition for every four months since 2000 and most are never materialized: that must not
    stop automation from refreshing what is built on it."""
    from orchestration.sensors import RANGE_END_TAG, RANGE_START_TAG

    home.drop_shop_files()
    defs = build_definitions(home.resources())
    instance = dg.DagsterInstance.ephemeral()
    assert defs.resolve_job_def("ingest_job").execute_in_process(instance=instance).success

    def materialize(*assets: str, tags: dict | None = None) -> None:
        selection = dg.AssetSelection.assets(*assets)
        result = dg.materialize(
            [*defs.assets, *defs.asset_checks],
            selection=selection | dg.AssetSelection.checks_for_assets(*assets),
            instance=instance,
            resources=home.resources(),
            tags=tags,
        )
        assert result.success

    materialize("sentiment_model", "review_sentiment", "generated_descriptions", "item_text", "item_embeddings")
    first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    materialize("cleaned_events", tags={RANGE_START_TAG: "2024-01-01", RANGE_END_TAG: "2024-01-01"})
    evaluation = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
    built_on_events = ("item_similarity", "user_profiles", "recommendation_evaluation")
    for asset in built_on_events:
        assert evaluation.get_num_requested(dg.AssetKey(asset)) == 1, asset
    # The lists join them on the same tick: in that run, item_similarity's blocking check runs before them.
    assert evaluation.get_num_requested(dg.AssetKey("recommendation_lists")) == 1


def test_an_ingest_run_that_loads_nothing_new_makes_automation_request_nothing(home):
    """The landing sensor's run for files already loaded (or a manual one) changes no raw table: nothing built on
    them is refreshed. A new reviews file refreshes what is built on reviews, and nothing built on events only."""
    home.drop_shop_files()
    defs = build_definitions(home.resources())
    instance = dg.DagsterInstance.ephemeral()
    ingest = defs.resolve_job_def("ingest_job")
    assert ingest.execute_in_process(instance=instance).success
    first = dg.evaluate_automation_conditions(defs=defs, instance=instance)

    nothing_new = ingest.execute_in_process(instance=instance)
    assert nothing_new.success and materialized(nothing_new) == set()
    evaluation = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
    assert evaluation.total_requested == 0

    write_reviews(home.landing / "shop" / "more-reviews.jsonl", [{**REVIEWS[0], "review_id": "r8"}])
    reviews_only = ingest.execute_in_process(instance=instance)
    assert materialized(reviews_only) == {"raw_events", "raw_reviews", "cleaned_reviews"}
    evaluation = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=evaluation.cursor)
    assert evaluation.get_num_requested(dg.AssetKey("sentiment_model")) == 1
    assert evaluation.get_num_requested(dg.AssetKey("demand_history")) == 0


def test_new_assistant_settings_make_the_automation_publish_a_snapshot_and_nothing_else(home):
    """assistant_settings is on demand; once an engineer materializes it, the automation republishes the snapshot
    with the new settings, and requests nothing else (every other asset fresh, every check passed)."""
    defs = build_definitions(home.resources())
    graph = defs.resolve_asset_graph()
    on_demand = {dg.AssetKey("assistant_settings"), dg.AssetKey("interactive_evaluation")}
    with dg.DagsterInstance.ephemeral() as instance:
        for key in graph.get_all_asset_keys() - on_demand:
            if graph.get(key).partitions_def is None:
                instance.report_runless_asset_event(dg.AssetMaterialization(key))
        for check in graph.asset_check_keys:
            instance.report_runless_asset_event(
                dg.AssetCheckEvaluation(asset_key=check.asset_key, check_name=check.name, passed=True)
            )
        first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
        assert first.total_requested == 0
        instance.report_runless_asset_event(dg.AssetMaterialization(dg.AssetKey("assistant_settings")))
        second = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
        assert second.get_num_requested(dg.AssetKey("serving_snapshot")) == 1
        assert second.total_requested == 1


def test_an_upstream_asset_requested_on_the_same_tick_gates_its_child_inside_the_run():
    """One tick requests a changed asset and what is built on it together, as one run; the changed asset's failing
    blocking check stops the child in that run, and later ticks leave the child alone while the check fails."""

    @dg.asset
    def source() -> None:
        return None

    @dg.asset(deps=[source], automation_condition=GATED_EAGER)
    def upstream() -> None:
        return None

    @dg.asset_check(asset=upstream, blocking=True)
    def upstream_valid() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False)

    @dg.asset(deps=[upstream], automation_condition=GATED_EAGER)
    def child() -> None:
        return None

    defs = dg.Definitions(assets=[source, upstream, child], asset_checks=[upstream_valid])
    instance = dg.DagsterInstance.ephemeral()
    first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    assert dg.materialize([source], instance=instance).success
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
    assert tick.get_num_requested(upstream.key) == 1 and tick.get_num_requested(child.key) == 1

    run = dg.materialize(
        [source, upstream, child, upstream_valid], selection=[upstream, child], instance=instance, raise_on_error=False
    )
    assert materialized(run) == {"upstream"} and failed_checks(run) == ["upstream_valid"]

    later = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
    assert later.total_requested == 0
