"""`longtail ui` and the process group it runs: a signal stops everything it started, within 10 s, no orphans."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from longtail.data.warehouse import connect
from tests.fixtures import write_events
from tests.orchestration.test_e2e_webserver import RUN_TIMEOUT_S, free_port, graphql

ROOT = Path(__file__).parents[2]
STOP_LIMIT_S = 10


def living(processes: list[psutil.Process]) -> list[psutil.Process]:
    """Those still running; a zombie has exited and only waits for its parent to read its status."""
    alive = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
        except psutil.NoSuchProcess:
            pass
    return alive


def gone(pids: list[int]) -> bool:
    return living([psutil.Process(pid) for pid in pids if psutil.pid_exists(pid)]) == []


def descendants(pid: int) -> list[psutil.Process]:
    return psutil.Process(pid).children(recursive=True)


def in_group(group: int) -> list[psutil.Process]:
    """Every process of process group ``group``, including those whose parent has exited."""
    members = []
    for process in psutil.process_iter():
        try:
            if os.getpgid(process.pid) == group:
                members.append(process)
        except (ProcessLookupError, psutil.NoSuchProcess):
            pass
    return members


# A stand-in for `dagster dev`: a child that reports the grandchildren it starts, one of which ignores SIGINT.
FAKE_SERVER = textwrap.dedent(
    """
    import signal, subprocess, sys, time
    stubborn = subprocess.Popen([sys.executable, "-c", "import signal, time; "
                                 "signal.signal(signal.SIGINT, signal.SIG_IGN); time.sleep(600)"])
    polite = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    print(stubborn.pid, polite.pid, flush=True)
    if sys.argv[1] == "exit":
        sys.exit(3)
    time.sleep(600)
    """
)


def run_fake_server(tmp_path: Path, mode: str, grace_s: float) -> tuple[subprocess.Popen, list[int]]:
    """``run_process_group`` on ``FAKE_SERVER`` in a process of its own; returns it and the grandchildren's pids."""
    script = tmp_path / "server.py"
    script.write_text(FAKE_SERVER)
    supervisor = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from orchestration.ui import run_process_group; "
            f"sys.exit(run_process_group([sys.executable, {str(script)!r}, {mode!r}], grace_s={grace_s}))",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    grandchildren = [int(pid) for pid in supervisor.stdout.readline().split()]
    return supervisor, grandchildren


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=lambda signum: signum.name)
def test_a_signal_stops_the_whole_group_and_kills_what_ignores_it(tmp_path, signum):
    supervisor, grandchildren = run_fake_server(tmp_path, "serve", grace_s=1.0)
    (server,) = psutil.Process(supervisor.pid).children()
    assert len(living(descendants(server.pid))) == 2

    supervisor.send_signal(signum)
    assert supervisor.wait(timeout=STOP_LIMIT_S) == 128 + signum
    assert gone([server.pid, *grandchildren])


def test_what_the_command_leaves_behind_when_it_exits_is_stopped(tmp_path):
    supervisor, grandchildren = run_fake_server(tmp_path, "exit", grace_s=1.0)
    assert supervisor.wait(timeout=STOP_LIMIT_S) == 3
    assert gone(grandchildren)


STARTED_RUNS = "query { runsOrError(filter: {statuses: [STARTED]}) { ... on Runs { results { runId } } } }"


def wait_for(what: str, probe, server: subprocess.Popen, log: Path):
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()[-4000:]
        try:
            value = probe()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(1)
    pytest.fail(f"timed out waiting for {what}; log tail:\n{log.read_text()[-4000:]}")


# A crash-and-restart trial under the real webserver and daemon: in the fault tier.
@pytest.mark.e2e
@pytest.mark.faults
def test_longtail_ui_stops_everything_on_ctrl_c_and_the_cut_off_run_is_failed_at_the_next_start(tmp_path):
    """Ctrl-C (SIGINT) on the real `longtail ui`; both signals go through ``run_process_group``, tested above."""
    signum = signal.SIGINT
    port = free_port()
    home = tmp_path / "home"
    log = tmp_path / "ui.log"
    env = {**os.environ, "LONGTAIL_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    with open(log, "w") as out:
        # Its own session, as a terminal gives a command; only `longtail ui` itself gets the signal.
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("longtail")), "ui", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for("the webserver", lambda: graphql(port, "{ version }"), server, log)
        # A run in flight: the landing sensor's run over a new file, held up on the warehouse write lock by a
        # reader here (the sensor only reads, so it still gets in).
        with connect(home / "warehouse.duckdb"):
            pass
        with connect(home / "warehouse.duckdb", read_only=True):
            write_events(home / "landing" / "shop" / "events.csv")
            runs = wait_for("a run", lambda: graphql(port, STARTED_RUNS)["runsOrError"]["results"], server, log)
            (dev,) = psutil.Process(server.pid).children()
            started = living(descendants(server.pid))
            commands = " ".join(" ".join(process.cmdline()) for process in started)
            assert "dagster_webserver" in commands and "dagster._daemon" in commands and "code-server" in commands

            server.send_signal(signum)
            assert server.wait(timeout=STOP_LIMIT_S) == 128 + signum
        assert living(started) == [], [process.cmdline() for process in living(started)]
        assert living(in_group(dev.pid)) == []
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)

    # What `longtail ui` does first when started again.
    dagster_env = {**env, "DAGSTER_HOME": str(home / "dagster")}
    subprocess.run([sys.executable, "-m", "orchestration.recovery"], cwd=ROOT, env=dagster_env, check=True)
    script = f"import dagster as dg; print(dg.DagsterInstance.get().get_run_by_id({runs[0]['runId']!r}).status.value)"
    status = subprocess.run([sys.executable, "-c", script], env=dagster_env, capture_output=True, text=True, check=True)
    assert status.stdout.strip() == "FAILURE"
