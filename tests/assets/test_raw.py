import dagster as dg

from tests.fixtures import ingest, write_events, write_items


def materialize_raw(home, instance=None):
    result = ingest(home, instance)
    assert result.success
    return result


def metadata(result, asset):
    [materialization] = [m for m in result.asset_materializations_for_node("raw_tables") if m.asset_key.path == [asset]]
    return {key: value.value for key, value in materialization.metadata.items()}


def test_every_row_is_loaded_with_provenance(home):
    home.drop_shop_files()
    result = materialize_raw(home)
    assert home.count("select count(*) from raw_events") == 7
    assert home.count("select count(*) from raw_items") == 4
    assert home.count("select count(*) from raw_reviews") == 3
    assert (
        home.count(
            "select count(*) from raw_events where dataset = 'shop' and source_file = 'events.csv' "
            "and file_id is not null and loaded_at is not null and source_row between 1 and 7"
        )
        == 7
    )
    events = metadata(result, "raw_events")
    assert events["rows_loaded_this_run"] == 7
    assert (events["changed_days_first"], events["changed_days_last"]) == ("2024-03-01", "2024-03-03")


def materialized(result) -> set[str]:
    """The raw tables ``result`` materialized."""
    keys = {event.asset_key.to_user_string() for event in result.get_asset_materialization_events()}
    return {key for key in keys if key.startswith("raw_")}


def test_reloading_is_idempotent_and_a_changed_file_replaces_its_rows(home):
    home.drop_shop_files()
    instance = dg.DagsterInstance.ephemeral()
    materialize_raw(home, instance)
    # Nothing new: no table is materialized, so nothing downstream goes stale and no refresh starts.
    again = materialize_raw(home, instance)
    assert materialized(again) == set()
    assert home.count("select count(*) from raw_events") == 7

    lines = (home.landing / "shop" / "events.csv").read_text().splitlines()
    write_events(
        home.landing / "shop" / "events.csv",
        "\n".join(lines[:3] + ["u9,i9,purchase,2024-04-01T00:00:00Z,1,1.0,o9"]) + "\n",
    )
    changed = materialize_raw(home, instance)
    assert materialized(changed) == {"raw_events"}
    assert home.count("select count(*) from raw_events") == 3
    assert home.count("select count(*) from raw_events where user_id = ?", [home.pseudonym("u9")]) == 1
    # The refresh must cover the days the old version had and the new one has.
    assert (
        metadata(changed, "raw_events")["changed_days_first"],
        metadata(changed, "raw_events")["changed_days_last"],
    ) == ("2024-03-01", "2024-04-01")
    assert home.count("select count(*) from landing_files where name = 'events.csv' and status = 'superseded'") == 1


def test_the_same_content_under_another_name_is_loaded_once(home):
    home.drop_shop_files()
    write_events(home.landing / "shop" / "events-copy.csv")
    materialize_raw(home)
    assert home.count("select count(*) from raw_events") == 7
    assert home.count("select count(*) from landing_files where status = 'duplicate'") == 1


def test_an_unreadable_file_is_recorded_and_warned_about_while_the_rest_loads(home):
    home.drop_shop_files()
    write_events(home.landing / "shop" / "notes.csv", "colour,size\nred,XL\n")
    result = materialize_raw(home)
    assert home.count("select count(*) from raw_events") == 7
    [error] = home.warehouse().read_table("landing_files", "status = 'rejected'")["error"]
    assert "notes.csv" in error
    [check] = result.get_asset_check_evaluations()
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN


def test_only_the_tables_whose_rows_changed_are_materialized(home):
    # The first load materializes every table, even raw_reviews without a reviews file: what is built on them
    # needs them materialized once.
    write_events(home.landing / "shop" / "events.csv")
    instance = dg.DagsterInstance.ephemeral()
    assert materialized(materialize_raw(home, instance)) == {"raw_events", "raw_items", "raw_reviews"}
    write_items(home.landing / "shop" / "more-items.csv", "item_id,title\ni9,Teapot\n")
    items_only = materialize_raw(home, instance)
    # raw_events also reports the landing log, so every recorded file materializes it; here with no changed days.
    assert materialized(items_only) == {"raw_events", "raw_items"}
    assert metadata(items_only, "raw_items")["rows_loaded_this_run"] == 1
    assert "changed_days_first" not in metadata(items_only, "raw_events")

    write_items(home.landing / "shop" / "notes.csv", "colour,size\nred,XL\n")
    rejected = materialize_raw(home, instance)
    assert materialized(rejected) == {"raw_events"}
    [check] = rejected.get_asset_check_evaluations()
    assert not check.passed


def test_a_table_a_cut_off_run_materialized_first_is_announced_again_by_the_next_run(home):
    """A run killed after Dagster stored raw_items' first (empty) materialization but before the run ended: what is
    built on raw_items (cleaned_items) was never built, so the next run materializes raw_items again."""
    write_events(home.landing / "shop" / "events.csv")
    instance = dg.DagsterInstance.ephemeral()
    assert materialized(materialize_raw(home, instance)) == {"raw_events", "raw_items", "raw_reviews"}
    with home.warehouse().connect() as connection:
        # What the cut-off run left: Dagster holds the materializations, the warehouse no record of their end.
        connection.execute("delete from raw_tables_announced")

    assert materialized(materialize_raw(home, instance)) == {"raw_events", "raw_items", "raw_reviews"}
    assert materialized(materialize_raw(home, instance)) == set()


def test_a_raw_table_its_cleaned_table_does_not_account_for_is_announced_again(home):
    """Whatever window of a cut-off run left cleaned_items unbuilt or behind raw_items, the next run announces
    raw_items again, so that the ingest run rebuilds it."""
    home.drop_shop_files()
    instance = dg.DagsterInstance.ephemeral()
    materialize_raw(home, instance)
    with home.warehouse().connect() as connection:
        connection.execute("delete from cleaned_items where item_id = (select min(item_id) from cleaned_items)")
    assert materialized(materialize_raw(home, instance)) == {"raw_items"}
    with home.warehouse().connect() as connection:
        connection.execute("drop table cleaned_reviews")
    assert materialized(materialize_raw(home, instance)) == {"raw_reviews"}
    assert materialized(materialize_raw(home, instance)) == set()


def test_changes_a_cut_off_run_recorded_are_announced_by_the_next_run(home):
    """A run killed after recording a load but before materializing it: its retry loads nothing new, yet announces
    the changed tables and days so the refresh re-cleans them."""
    write_events(home.landing / "shop" / "events.csv")
    instance = dg.DagsterInstance.ephemeral()
    materialize_raw(home, instance)
    with home.warehouse().connect() as connection:
        # What the cut-off run left: the load recorded, its announcement not.
        connection.execute("update landing_files set announced = false")

    retry = materialize_raw(home, instance)
    assert materialized(retry) == {"raw_events"}
    assert metadata(retry, "raw_events")["rows_loaded_this_run"] == 0
    assert metadata(retry, "raw_events")["changed_days_first"] == "2024-03-01"
    # Announced once: the next run has nothing to say.
    assert materialized(materialize_raw(home, instance)) == set()
