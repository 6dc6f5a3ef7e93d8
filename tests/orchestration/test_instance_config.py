"""The Dagster instance longtail writes into LONGTAIL_HOME: run monitoring on, kept up to date, user edits kept."""

import dagster as dg
import pytest

from resources import home as longtail_home

EARLIER_YAML = (
    "# Written by longtail. DuckDB allows one writing process.\nconcurrency:\n  pools:\n    default_limit: 1\n"
)


@pytest.fixture
def dagster_yaml(home, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", "")  # restored after the test
    return home.root / "dagster" / "dagster.yaml"


def test_a_new_home_gets_an_instance_that_monitors_runs_and_frees_their_slots(dagster_yaml):
    longtail_home.dagster_home()
    with dg.DagsterInstance.get() as instance:
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_settings["free_slots_after_run_end_seconds"] > 0
        assert instance.run_monitoring_max_resume_run_attempts == 0  # the local launcher cannot resume
        assert instance.event_log_storage.get_concurrency_info("warehouse").limit == 1


def test_the_yaml_an_earlier_version_wrote_is_brought_up_to_date(dagster_yaml):
    dagster_yaml.parent.mkdir(parents=True)
    dagster_yaml.write_text(EARLIER_YAML)
    longtail_home.dagster_home()
    assert dagster_yaml.read_text() == longtail_home.DAGSTER_YAML


def test_a_yaml_without_longtails_first_line_is_the_users_and_kept(dagster_yaml):
    dagster_yaml.parent.mkdir(parents=True)
    own = longtail_home.DAGSTER_YAML.split("\n", 1)[1].replace("max_concurrent_runs: 4", "max_concurrent_runs: 1")
    dagster_yaml.write_text(own)
    longtail_home.dagster_home()
    assert dagster_yaml.read_text() == own
