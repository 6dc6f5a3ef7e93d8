import subprocess
import sys

import dagster as dg
import pandas as pd

from assets.cleaned import cleaned_events
from longtail.data import landing
from longtail.data.retention import expire_landing_files
from longtail.data.retraction import request_retraction
from orchestration import sensors
from orchestration.sensors import RANGE_END_TAG, RANGE_START_TAG, cleaned_events_refresh_sensor, landing_sensor
from tests.fixtures import ingest, write_events


def tick(home, cursor=None):
    resources = {name: home.resources()[name] for name in ("landing", "warehouse")}
    context = dg.build_sensor_context(cursor=cursor, resources=resources)
    return landing_sensor(context), context.cursor


def load_raw(home, instance=None):
    return ingest(home, instance)


def test_a_new_file_triggers_one_run_and_a_seen_file_none(home):
    first, cursor = tick(home)
    assert isinstance(first, dg.SkipReason)

    home.drop_shop_files()
    request, cursor = tick(home, cursor)
    assert isinstance(request, dg.RunRequest)
    assert "shop/events.csv" in request.tags["longtail/files"]

    again, cursor = tick(home, cursor)
    assert isinstance(again, dg.SkipReason)

    write_events(home.landing / "shop" / "events.csv", "user_id,item_id,event_type,ts\nu,i,view,2024-01-01T00:00:00Z\n")
    changed, cursor = tick(home, cursor)
    assert isinstance(changed, dg.RunRequest) and changed.run_key != request.run_key
    assert "shop/events.csv" in changed.tags["longtail/files"] and "items.csv" not in changed.tags["longtail/files"]


def test_files_the_warehouse_has_loaded_trigger_nothing_on_an_empty_cursor(home):
    """`longtail ui` after `longtail demo`: a fresh daemon's sensor asks the warehouse, not only its cursor."""
    home.drop_shop_files()
    load_raw(home)

    nothing, cursor = tick(home)
    assert isinstance(nothing, dg.SkipReason) and "loaded already" in nothing.skip_message
    assert "shop/events.csv" in cursor

    write_events(
        home.landing / "shop" / "more-events.csv", "user_id,item_id,event_type,ts\nu,i,view,2024-01-01T00:00:00Z\n"
    )
    request, _ = tick(home, cursor)
    assert request.tags["longtail/files"].startswith("shop/more-events.csv@")
    assert "shop/events.csv" not in request.tags["longtail/files"]


def test_a_busy_warehouse_skips_the_tick_and_looks_again(home, monkeypatch):
    home.drop_shop_files()
    load_raw(home)
    monkeypatch.setattr(sensors, "WAREHOUSE_WAIT_S", 0.2)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, sys; c = duckdb.connect({str(home.warehouse_path)!r}); print(1); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "1"
        busy, cursor = tick(home)
        assert isinstance(busy, dg.SkipReason) and "busy" in busy.skip_message
        assert cursor is None
    finally:
        holder.communicate("")
    after, cursor = tick(home, cursor)
    assert isinstance(after, dg.SkipReason) and "shop/events.csv" in cursor


def refresh(instance, cursor=None) -> tuple[list[tuple[str, str]], str | None]:
    """The partition ranges one tick of the refresh sensor requests, and its new cursor."""
    context = dg.build_sensor_context(instance=instance, cursor=cursor)
    result = cleaned_events_refresh_sensor(context)
    if isinstance(result, dg.SkipReason):
        return [], context.cursor
    ranges = [(request.tags[RANGE_START_TAG], request.tags[RANGE_END_TAG]) for request in result.run_requests]
    return ranges, result.cursor


def clean(home, instance, start, end):
    result = dg.materialize(
        [cleaned_events],
        resources=home.resources(),
        instance=instance,
        tags={RANGE_START_TAG: start, RANGE_END_TAG: end},
    )
    assert result.success


def test_changed_raw_events_request_one_run_over_exactly_their_partitions(home):
    home.drop_shop_files()
    instance = dg.DagsterInstance.ephemeral()
    load_raw(home, instance)
    # Events of 2024-03-01 .. 2024-03-03: the partition of January to April.
    ranges, cursor = refresh(instance)
    assert ranges == [("2024-01-01", "2024-01-01")]

    # Nothing new landed: the next load materializes nothing and the sensor requests nothing.
    assert load_raw(home, instance).get_asset_materialization_events() == []
    assert refresh(instance, cursor) == ([], cursor)

    # Two changes between ticks: a run for each, over its own partitions.
    write_events(home.landing / "shop" / "may.csv", "user_id,item_id,event_type,ts\nu,i,view,2024-05-20T00:00:00Z\n")
    load_raw(home, instance)
    write_events(
        home.landing / "shop" / "september.csv", "user_id,item_id,event_type,ts\nu,i,view,2024-09-02T00:00:00Z\n"
    )
    load_raw(home, instance)
    ranges, _ = refresh(instance, cursor)
    assert ranges == [("2024-05-01", "2024-05-01"), ("2024-09-01", "2024-09-01")]


def test_partitions_cleaned_since_a_change_are_not_requested_on_an_empty_cursor(home):
    """`longtail ui` after `longtail demo`: the demo cleaned every partition after loading, so a fresh daemon's
    sensor (no cursor) requests nothing; a partition left out is still requested."""
    home.drop_shop_files()
    write_events(home.landing / "shop" / "may.csv", "user_id,item_id,event_type,ts\nu,i,view,2024-05-20T00:00:00Z\n")
    instance = dg.DagsterInstance.ephemeral()
    load_raw(home, instance)
    clean(home, instance, "2024-01-01", "2024-01-01")
    ranges, cursor = refresh(instance)
    assert ranges == [("2024-05-01", "2024-05-01")]

    clean(home, instance, "2024-05-01", "2024-05-01")
    assert refresh(instance) == ([], cursor)


def test_a_loaded_file_removed_by_hand_is_reported_once_and_its_rows_kept(home, capfd):
    home.drop_shop_files()
    load_raw(home)
    _, cursor = tick(home)
    (home.landing / "shop" / "items.csv").unlink()

    reported, cursor = tick(home, cursor)
    assert isinstance(reported, dg.SkipReason)
    assert "shop/items.csv was removed from the landing folder; its rows stay loaded" in reported.skip_message
    assert "longtail retract --file-id" in reported.skip_message
    assert home.count("select count(*) from raw_items") > 0

    again, _ = tick(home, cursor)
    assert "removed" not in again.skip_message


def test_a_file_the_retention_expiry_deleted_is_not_reported_as_removed(home):
    home.drop_shop_files()
    load_raw(home)
    _, cursor = tick(home)
    now = pd.Timestamp("2030-01-01", tz="UTC")
    with home.warehouse().connect() as connection:
        expiry = expire_landing_files(home.landing, {"shop": now}, connection)
    assert {path.name for path in expiry.deleted} == {"events.csv", "reviews.jsonl"}

    quiet, _ = tick(home, cursor)
    assert isinstance(quiet, dg.SkipReason) and "removed" not in quiet.skip_message


def test_a_retraction_request_triggers_one_ingest_run(home):
    home.drop_shop_files()
    load_raw(home)
    _, cursor = tick(home)
    (events,) = [f for f in landing.scan(home.landing) if f.name == "events.csv"]
    request_retraction(home.landing, "shop", "events.csv", events.file_id, events.path)

    request, cursor = tick(home, cursor)
    assert isinstance(request, dg.RunRequest) and request.tags["longtail/files"].startswith("retract:shop/events.csv@")
    # Not asked twice while the run waits; and once applied, nothing is left to ask.
    assert isinstance(tick(home, cursor)[0], dg.SkipReason)
    load_raw(home)
    assert home.count("select count(*) from raw_events") == 0
    done, _ = tick(home)
    assert isinstance(done, dg.SkipReason) and "removed" not in done.skip_message


def failed_ingest_run(instance, tags=None) -> dg.DagsterRun:
    """An ingest run of shop/a.csv, started and then failed from outside (as run monitoring fails a dead worker)."""
    run = instance.add_run(
        dg.DagsterRun(
            job_name="ingest_job",
            status=dg.DagsterRunStatus.STARTED,
            tags={sensors.FILES_TAG: "shop/a.csv@1234", **(tags or {})},
        )
    )
    instance.report_run_failed(run, "the run's worker process has exited")
    return run


def recovery_tick(instance):
    return sensors.ingest_recovery_sensor(dg.build_sensor_context(instance=instance))


def test_a_failed_ingest_run_dagster_did_not_retry_is_run_once_more_after_the_grace(monkeypatch):
    instance = dg.DagsterInstance.ephemeral()
    assert "no ingest run" in recovery_tick(instance).skip_message
    failed = failed_ingest_run(instance)

    assert "may still be retried" in recovery_tick(instance).skip_message

    monkeypatch.setattr(sensors, "RETRY_GRACE_S", 0.0)
    request = recovery_tick(instance)
    assert isinstance(request, dg.RunRequest)
    assert request.run_key == f"recover:{failed.run_id}"
    assert request.tags == {sensors.FILES_TAG: "shop/a.csv@1234", sensors.RECOVERS_TAG: failed.run_id}


def test_a_retried_a_step_failed_or_a_recovery_run_is_not_run_again(monkeypatch):
    monkeypatch.setattr(sensors, "RETRY_GRACE_S", 0.0)
    for tags, why in [
        ({"dagster/auto_retry_run_id": "retry"}, "retried by Dagster"),
        ({"dagster/failure_reason": "STEP_FAILURE"}, "left to a person"),
        ({sensors.RECOVERS_TAG: "earlier"}, "left to a person"),
    ]:
        instance = dg.DagsterInstance.ephemeral()
        failed_ingest_run(instance, tags)
        assert why in recovery_tick(instance).skip_message, tags


def test_an_ingest_run_after_the_failed_one_settles_it(monkeypatch):
    monkeypatch.setattr(sensors, "RETRY_GRACE_S", 0.0)
    instance = dg.DagsterInstance.ephemeral()
    failed_ingest_run(instance)
    instance.add_run(dg.DagsterRun(job_name="ingest_job", status=dg.DagsterRunStatus.SUCCESS))
    assert "is success" in recovery_tick(instance).skip_message
