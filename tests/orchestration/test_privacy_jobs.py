"""The erasure and expiry jobs under Dagster, and the sensor that launches erasures (the end-to-end CLI paths are in
test_privacy.py, in the privacy tier)."""

import dagster as dg
import pandas as pd

from assets.raw import FIRST_DAY_KEY, LAST_DAY_KEY, raw_tables
from longtail.data.erasure import add_erasure_requests, open_erasure_requests
from orchestration.jobs import erasure_job, expiry_job
from orchestration.sensors import erasure_sensor
from resources.privacy import PrivacyResource

NOW = pd.Timestamp.now(tz="UTC")


def tick(home):
    context = dg.build_sensor_context(resources={"warehouse": home.resources()["warehouse"]})
    return erasure_sensor(context)


def raw_loaded(home, instance):
    home.drop_shop_files()
    assert dg.materialize([raw_tables], resources=home.resources(), instance=instance).success


def test_a_pending_request_launches_one_erasure_that_deletes_and_announces_the_changed_days(home):
    instance = dg.DagsterInstance.ephemeral()
    assert isinstance(tick(home), dg.SkipReason)
    raw_loaded(home, instance)
    assert isinstance(tick(home), dg.SkipReason)
    u1 = home.pseudonym("u1")
    with home.warehouse().connect() as connection:
        add_erasure_requests(connection, "shop", [u1], NOW)
    request = tick(home)
    assert isinstance(request, dg.RunRequest) and tick(home).run_key == request.run_key

    result = erasure_job.execute_in_process(resources=home.resources(), instance=instance)

    assert result.success
    assert home.count("select count(*) from raw_events where user_id = ?", [u1]) == 0
    assert home.count("select count(*) from raw_reviews where user_id = ?", [u1]) == 0
    assert home.count("select count(*) from erased_users where user_id = ?", [u1]) == 1
    events = instance.get_latest_materialization_event(dg.AssetKey("raw_events")).asset_materialization
    assert events.metadata[FIRST_DAY_KEY].value == events.metadata[LAST_DAY_KEY].value == "2024-03-01"
    with home.warehouse().connect() as connection:
        assert open_erasure_requests(connection)["status"].tolist() == ["erased"]
    # Erased, waiting for a snapshot published since: nothing to finish without one.
    assert isinstance(tick(home), dg.SkipReason)


def test_the_expiry_job_deletes_what_is_past_retention_and_keeps_the_rest(home):
    instance = dg.DagsterInstance.ephemeral()
    raw_loaded(home, instance)
    before = home.count("select count(*) from raw_events")
    # Everything before 2 March 2024 expires; the fixture's events run from 1 to 3 March.
    days = (NOW - pd.Timestamp("2024-03-02", tz="UTC")).days
    resources = {
        **home.resources(),
        "privacy": PrivacyResource(key_file=home.resources()["privacy"].key_file, retention_days={"shop": days}),
    }

    assert expiry_job.execute_in_process(resources=resources, instance=instance).success

    kept = home.count("select count(*) from raw_events")
    assert 0 < kept < before
    assert home.count("select count(*) from raw_events where ts < ?", [NOW - pd.Timedelta(days=days)]) == 0
