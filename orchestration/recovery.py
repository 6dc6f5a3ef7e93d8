"""Runs left in progress by a process that no longer exists: marked failed, their pool slots freed.

A run whose worker was killed (``longtail ui`` or ``longtail materialize`` stopped with SIGKILL, a machine restart,
an out-of-memory kill) stays STARTED in Dagster's run storage for ever: Dagster's local run launcher cannot check
its worker. Worse, it keeps the warehouse pool slot it held, so the next run that needs the warehouse would queue
behind it. Two things recover such runs without a person:

- ``fail_orphaned_runs``, which ``longtail ui`` (through ``python -m orchestration.recovery``) and
  ``longtail materialize`` run before they start;
- ``WorkerCheckingRunLauncher``, the instance's run launcher: it lets the daemon's run monitoring see a dead
  worker, fail its run and free its slots while the daemon runs; the instance's run retries then launch it again
  (and where Dagster could not, ``orchestration.sensors.ingest_recovery_sensor`` launches an ingest run once more).

Rerunning such a run is safe: every asset replaces its window (day, dataset or table) of the warehouse in one
transaction, so a step that was cut off left either its old rows or its new ones, never half of each.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
from dagster._core.launcher import CheckRunHealthResult, WorkerStatus

# CANCELING included: a run asked to stop whose worker died before it could say so.
IN_PROGRESS = [dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


def fail_orphaned_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed every run in progress whose worker process (the pid of its start event) has exited, and free
    the concurrency slots it held. Returns their run ids, oldest first.

    A run whose worker is alive is left alone: it may belong to a ``longtail materialize`` in another terminal.
    A run still STARTING has no worker yet; the daemon's run monitoring fails it after ``start_timeout_seconds``.
    """
    orphaned = []
    records = instance.get_run_records(filters=dg.RunsFilter(statuses=IN_PROGRESS), ascending=True)
    for record in records:
        run = record.dagster_run
        pid = worker_pid(instance, run.run_id)
        if pid is None or process_exists(pid):
            continue
        instance.report_run_failed(
            run, f"The process running this run (pid {pid}) exited without finishing it; marked failed by longtail."
        )
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        orphaned.append(run.run_id)
    return orphaned


def worker_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """The pid of the process that started executing ``run_id`` (from its run-start event), or None."""
    started = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.RUN_START, limit=1).records
    return started[0].event_log_entry.dagster_event.pid if started else None


def process_exists(pid: int) -> bool:
    """Whether process ``pid`` is still running: it exists and is not a zombie (exited, not yet reaped by its
    parent, which a container without an init process may never do)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        pass
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):  # no /proc (macOS): trust the signal
        return True
    return state != "Z"


class WorkerCheckingRunLauncher(dg.DefaultRunLauncher):
    """Dagster's local run launcher, plus the worker health check its run monitoring needs: a STARTED run whose
    worker process (the pid of its run-start event) has exited is reported FAILED."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: dg.DagsterRun) -> CheckRunHealthResult:
        pid = worker_pid(self._instance, run.run_id)
        if pid is None or process_exists(pid):  # not started executing yet, or running
            return CheckRunHealthResult(WorkerStatus.RUNNING)
        return CheckRunHealthResult(WorkerStatus.FAILED, f"the run's worker process (pid {pid}) has exited")


def pool_holders(instance: dg.DagsterInstance, pool: str) -> list[str]:
    """Who holds the slots of ``pool``: "run <id> (step <key>, pid <pid>)" for each claimed slot."""
    claimed = instance.event_log_storage.get_concurrency_info(pool).claimed_slots
    return [f"run {slot.run_id} (step {slot.step_key}, pid {worker_pid(instance, slot.run_id)})" for slot in claimed]


def main() -> None:
    """Fail the orphaned runs of the instance at ``DAGSTER_HOME``, naming each."""
    with dg.DagsterInstance.get() as instance:
        for run_id in fail_orphaned_runs(instance):
            print(f"run {run_id} was cut off when its process stopped: marked failed; rerun it from the UI")


if __name__ == "__main__":
    main()
