"""`longtail materialize` killed (SIGKILL) at a seeded random moment, then run again by nobody but the next command:
the next run recovers by itself (it fails the dead run and frees its warehouse slot), loads everything once, and
leaves raw = cleaned + quarantined for every file.

Each run is a forked child of this (already imported) test process, so a trial costs no interpreter start-up.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time

import dagster as dg
import pytest

from longtail.data import ingest
from orchestration import cli
from tests.faults.invariants import assert_recovered
from tests.fixtures import Home, write_events, write_items

pytestmark = [pytest.mark.faults]

DATA_LAYER = (
    "key:raw_events or key:raw_items or key:raw_reviews or key:cleaned_items or key:cleaned_reviews "
    "or key:cleaned_events"
)
# Kills land between 0 and this many seconds after the start: an uninterrupted run of the data layer on these
# files takes about 10 s here, so some trials kill it while it imports, some mid-step, some after it finished.
LATEST_KILL_S = 10.0
TRIALS = range(12)


def materialize(root: str, die_after_recording: str | None = None) -> None:
    """The body of a forked `longtail materialize --select DATA_LAYER` in its own process group; with
    ``die_after_recording``, it kills itself just after recording that file as loaded, before raw_tables
    materializes anything: the one moment the seeded kills hit only by chance."""
    os.setsid()
    os.environ["LONGTAIL_HOME"] = root
    os.environ["DAGSTER_HOME"] = ""
    if die_after_recording:
        record = ingest._record

        def record_then_die(connection, load):
            record(connection, load)
            if load.status == "loaded" and load.file.name == die_after_recording:
                os.kill(os.getpid(), signal.SIGKILL)

        ingest._record = record_then_die
    os._exit(cli.main(["materialize", "--select", DATA_LAYER]))


def start(root, die_after_recording: str | None = None) -> multiprocessing.Process:
    fork = multiprocessing.get_context("fork")
    process = fork.Process(target=materialize, args=(str(root), die_after_recording))
    process.start()
    return process


def drop_files(home: Home, rng: random.Random) -> set[tuple[str, str]]:
    """The shop's files plus one of random events in a second dataset; their (dataset, name)."""
    home.drop_shop_files()
    rows = "".join(
        f"u{rng.randrange(50)},i{rng.randrange(20)},purchase,2024-0{rng.randrange(1, 10)}-1{rng.randrange(10)}T10:00Z\n"
        for _ in range(rng.randrange(20, 200))
    )
    write_events(home.landing / "other" / "events.csv", "user_id,item_id,event_type,ts\n" + rows)
    return {("shop", "events.csv"), ("shop", "items.csv"), ("shop", "reviews.jsonl"), ("other", "events.csv")}


@pytest.mark.parametrize("seed", TRIALS)
def test_a_killed_materialize_is_recovered_by_the_next_one(seed, home, monkeypatch, record_property):
    rng = random.Random(seed)
    landed = drop_files(home, rng)
    delay = rng.uniform(0, LATEST_KILL_S)

    killed = start(home.root)
    time.sleep(delay)
    cut_off = killed.exitcode is None
    if cut_off:
        os.killpg(killed.pid, signal.SIGKILL)
    killed.join()
    record_property("killed_at_s", round(delay, 2))
    record_property("cut_off_mid_run", cut_off)

    recovery = start(home.root)
    recovery.join(timeout=300)
    assert recovery.exitcode == 0, f"the run after a kill at {delay:.1f}s failed"

    assert_recovered(home.warehouse_path, landed)
    monkeypatch.setenv("DAGSTER_HOME", str(home.root / "dagster"))
    with dg.DagsterInstance.get() as instance:
        in_progress = instance.get_runs(
            filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING])
        )
        assert in_progress == []
        assert instance.event_log_storage.get_concurrency_info("warehouse").claimed_slots == []


def test_a_run_killed_just_after_recording_a_file_is_announced_by_the_next_one(home):
    """The next run finds the file recorded and loads nothing, yet must still announce that raw_items changed:
    else cleaned_items is never rebuilt and the file's rows are neither cleaned nor quarantined."""
    landed = drop_files(home, random.Random(0))
    first = start(home.root)
    first.join(timeout=300)
    assert first.exitcode == 0
    write_items(home.landing / "shop" / "more-items.csv", "item_id,title\ni8,Kettle\ni9,Teapot\n")

    killed = start(home.root, die_after_recording="more-items.csv")
    killed.join(timeout=300)
    assert killed.exitcode == -signal.SIGKILL

    recovery = start(home.root)
    recovery.join(timeout=300)
    assert recovery.exitcode == 0
    assert_recovered(home.warehouse_path, landed | {("shop", "more-items.csv")})
