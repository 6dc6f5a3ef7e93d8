"""A run cut off mid-flight (its process killed) shows as failed at the next start, and a rerun recovers it."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.launcher import WorkerStatus

from orchestration import cli, ui
from orchestration.recovery import WorkerCheckingRunLauncher, fail_orphaned_runs, process_exists, worker_pid
from resources import home as longtail_home
from tests.fixtures import Home

ROOT = Path(__file__).parents[2]
WAIT_S = 120

# A run that takes the warehouse pool slot, says so in a file, then waits to be killed.
BLOCKED_RUN = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import dagster as dg

    @dg.op(pool="warehouse")
    def hold_the_slot():
        Path(sys.argv[1]).touch()
        time.sleep(600)

    @dg.job
    def blocked():
        hold_the_slot()

    with dg.DagsterInstance.get() as instance:
        blocked.execute_in_process(instance=instance)
    """
)


def wait_until(what: str, probe, timeout_s: float = WAIT_S):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def instance(home, monkeypatch):
    """longtail's Dagster instance of the test's LONGTAIL_HOME (DAGSTER_HOME restored afterwards)."""
    monkeypatch.setenv("DAGSTER_HOME", "")
    longtail_home.dagster_home()
    with dg.DagsterInstance.get() as instance:
        yield instance


def start_blocked_run(tmp_path: Path, name: str) -> tuple[subprocess.Popen, Path]:
    """A process running ``BLOCKED_RUN``, and the file its op touches once it holds the warehouse slot."""
    script = tmp_path / "blocked.py"
    script.write_text(BLOCKED_RUN)
    marker = tmp_path / name
    return subprocess.Popen([sys.executable, str(script), str(marker)], start_new_session=True), marker


def kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def waiting_steps(instance: dg.DagsterInstance) -> int:
    """Steps queued for a warehouse pool slot and not yet given one."""
    return instance.event_log_storage.get_concurrency_info("warehouse").pending_step_count


def started_runs(instance: dg.DagsterInstance) -> list[dg.DagsterRun]:
    return instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))


def test_only_runs_whose_process_is_gone_are_failed_and_their_slots_freed(tmp_path, instance):
    killed, holding = start_blocked_run(tmp_path, "killed")
    wait_until("the first run to take the warehouse slot", holding.exists)
    kill(killed)
    waiting, got_slot = start_blocked_run(tmp_path, "waiting")
    try:
        # The second run waits in the queue for the slot that the dead one still holds. (Waiting only for it to
        # start raced with Dagster: a slot freed between its check for a free slot and its joining the queue is
        # never handed to it.)
        wait_until("the second run to queue for the slot", lambda: waiting_steps(instance) == 1)
        assert len(started_runs(instance)) == 2 and not got_slot.exists()

        orphaned = fail_orphaned_runs(instance)

        assert len(orphaned) == 1
        assert instance.get_run_by_id(orphaned[0]).status == dg.DagsterRunStatus.FAILURE
        wait_until("the second run to take the freed slot", got_slot.exists)
        (alive,) = started_runs(instance)
        assert fail_orphaned_runs(instance) == []
        assert instance.get_run_by_id(alive.run_id).status == dg.DagsterRunStatus.STARTED
    finally:
        kill(waiting)


def test_longtail_ui_fails_orphaned_runs_before_it_starts_dagster(tmp_path, instance, monkeypatch, capfd):
    killed, holding = start_blocked_run(tmp_path, "killed")
    wait_until("the run to start", holding.exists)
    kill(killed)
    commands = []
    monkeypatch.setattr(ui, "run_process_group", lambda command: commands.append(command) or 0)

    assert cli.main(["ui"]) == 0

    (run,) = instance.get_runs()
    assert run.status == dg.DagsterRunStatus.FAILURE
    assert f"run {run.run_id} was cut off" in capfd.readouterr().out
    assert commands[0][1:2] == ["dev"]


WAREHOUSE_TABLES = (
    "raw_events",
    "raw_items",
    "raw_reviews",
    "cleaned_events",
    "cleaned_items",
    "cleaned_reviews",
    "quarantine",
)
SELECTION = "key:raw_items or key:cleaned_items or key:cleaned_reviews or key:cleaned_events"


def warehouse_counts(home: Home) -> dict[str, int]:
    return {table: home.count(f"select count(*) from {table}") for table in WAREHOUSE_TABLES}


def cut_off_after_cleaned_events(home: Home, instance: dg.DagsterInstance) -> dg.DagsterRun:
    """Run `longtail materialize --select SELECTION` in another process and kill it once a run of it has written
    cleaned_events and waits on the warehouse lock (held here) to check it: a run cut off mid-flight, part of its
    writes done. Returns that run."""
    env = {**os.environ, "LONGTAIL_HOME": str(home.root)}
    longtail = str(Path(sys.executable).with_name("longtail"))
    process = subprocess.Popen(
        [longtail, "materialize", "--select", SELECTION], env=env, start_new_session=True, stdout=subprocess.DEVNULL
    )

    def run_that_wrote_it():
        event = instance.get_latest_materialization_event(dg.AssetKey("cleaned_events"))
        return next((run for run in started_runs(instance) if event and event.run_id == run.run_id), None)

    try:
        cut_off = wait_until("a run to write cleaned_events", run_that_wrote_it)
        with home.warehouse().connect():
            assert process.poll() is None, "the run finished before it could be cut off"
            os.killpg(process.pid, signal.SIGKILL)
    finally:
        kill(process)
    return cut_off


def materialized_fresh(tmp_path: Path, monkeypatch) -> dict[str, int]:
    """The warehouse row counts of the same files materialized uninterrupted in a fresh LONGTAIL_HOME."""
    fresh = Home(tmp_path / "fresh")
    monkeypatch.setenv("LONGTAIL_HOME", str(fresh.root))
    monkeypatch.setenv("DAGSTER_HOME", "")
    fresh.drop_shop_files()
    assert cli.main(["materialize", "--select", SELECTION]) == 0
    return warehouse_counts(fresh)


# A crash-and-restart trial: in the fault tier.
@pytest.mark.faults
def test_a_run_killed_mid_flight_fails_at_the_next_start_and_a_rerun_loses_and_duplicates_nothing(
    home, tmp_path, instance, monkeypatch
):
    home.drop_shop_files()
    cut_off = cut_off_after_cleaned_events(home, instance)
    assert instance.get_run_by_id(cut_off.run_id).status == dg.DagsterRunStatus.STARTED

    # The next materialize fails the cut-off run itself before it starts.
    assert cli.main(["materialize", "--select", SELECTION]) == 0
    assert instance.get_run_by_id(cut_off.run_id).status == dg.DagsterRunStatus.FAILURE
    assert warehouse_counts(home) == materialized_fresh(tmp_path, monkeypatch)


def test_the_instances_launcher_reports_a_dead_worker_to_run_monitoring(tmp_path, instance):
    assert isinstance(instance.run_launcher, WorkerCheckingRunLauncher)
    assert instance.run_launcher.supports_check_run_worker_health
    alive, holding = start_blocked_run(tmp_path, "alive")
    try:
        wait_until("the run to start", holding.exists)
        (run,) = started_runs(instance)
        assert instance.run_launcher.check_run_worker_health(run).status == WorkerStatus.RUNNING
        kill(alive)
        health = instance.run_launcher.check_run_worker_health(run)
        assert health.status == WorkerStatus.FAILED and f"pid {worker_pid(instance, run.run_id)}" in health.msg
    finally:
        kill(alive)


def test_materialize_fails_a_dead_run_itself_and_names_a_live_one_it_waits_for(tmp_path, instance, capsys):
    dead, holding = start_blocked_run(tmp_path, "dead")
    wait_until("the first run to start", holding.exists)
    kill(dead)
    (dead_run,) = started_runs(instance)
    live, live_holding = start_blocked_run(tmp_path, "live")
    try:
        wait_until("the second run to queue", lambda: waiting_steps(instance) == 1)
        cli._recover(instance)
        wait_until("the live run to take the freed slot", live_holding.exists)
        out = capsys.readouterr().out
        assert f"run {dead_run.run_id} was cut off when its process stopped" in out
        assert instance.get_run_by_id(dead_run.run_id).status == dg.DagsterRunStatus.FAILURE

        cli._recover(instance)
        (live_run,) = started_runs(instance)
        assert f"the warehouse is in use by run {live_run.run_id} (step hold_the_slot, pid " in capsys.readouterr().out
    finally:
        kill(live)


def test_a_zombie_process_counts_as_exited():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    wait_until("the child to exit", lambda: Path(f"/proc/{child.pid}/stat").read_text().split()[2] == "Z")
    try:
        assert not process_exists(child.pid)
    finally:
        child.wait()
    assert process_exists(os.getpid())
