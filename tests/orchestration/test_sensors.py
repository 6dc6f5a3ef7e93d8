import dagster as dg

from assets.raw import raw_tables
from orchestration.sensors import RANGE_END_TAG, RANGE_START_TAG, cleaned_events_refresh_sensor, landing_sensor
from tests.fixtures import write_events


def tick(home, cursor=None):
    context = dg.build_sensor_context(cursor=cursor, resources={"landing": home.resources()["landing"]})
    return landing_sensor(context), context.cursor


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


def test_changed_raw_events_request_one_run_over_exactly_their_days(home):
    home.drop_shop_files()
    instance = dg.DagsterInstance.ephemeral()
    definitions = dg.Definitions(assets=[raw_tables], resources=home.resources())
    assert dg.materialize([raw_tables], resources=home.resources(), instance=instance).success

    context = dg.build_sensor_context(instance=instance, definitions=definitions)
    [request] = list(cleaned_events_refresh_sensor(context))
    assert (request.tags[RANGE_START_TAG], request.tags[RANGE_END_TAG]) == ("2024-03-01", "2024-03-03")

    # Nothing new landed: the next raw materialization changes no day and requests nothing.
    assert dg.materialize([raw_tables], resources=home.resources(), instance=instance).success
    context = dg.build_sensor_context(instance=instance, definitions=definitions, cursor=context.cursor)
    [skip] = list(cleaned_events_refresh_sensor(context))
    assert isinstance(skip, dg.SkipReason)
