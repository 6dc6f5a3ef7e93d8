"""``longtail ui``: ``dagster dev`` (webserver, daemon, code server and the runs they start) as one process group
that Ctrl-C or SIGTERM stops as a whole.

``dagster dev`` replacing this process used to leave its children running after SIGTERM (only the parent heard
it) and to take up to a minute per child after Ctrl-C. Here it runs in a session of its own, so that everything
it starts shares one process group: a signal to this process is forwarded to the group, and whatever has not
exited ``STOP_GRACE_S`` later is killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from resources import home

# Long enough for the webserver, the daemon and a run worker to record a clean stop; short enough that the whole
# group is gone within 10 s of Ctrl-C.
STOP_GRACE_S = 5.0
POLL_S = 0.1


def start_ui(host: str, port: str) -> int:
    """Fail the runs a previous session left in progress (see ``orchestration.recovery``), then run ``dagster dev``
    on the project's workspace.yaml (or, for a non-editable install without it, the definitions module) and
    longtail's instance until it exits or this process is told to stop."""
    home.dagster_home()
    # In a process of its own: with Dagster imported, this one would take seconds more to exit when stopped.
    subprocess.run([sys.executable, "-m", "orchestration.recovery"], check=True)
    # The dagster executable installed beside this Python, so an unactivated virtualenv works too.
    dagster = str(Path(sys.executable).with_name("dagster"))
    workspace = Path(__file__).resolve().parents[1] / "workspace.yaml"
    target = ["-w", str(workspace)] if workspace.exists() else ["-m", "orchestration.definitions", "-a", "defs"]
    command = [dagster, "dev", *target, "-h", host, "-p", port]
    print(f"DAGSTER_HOME={os.environ['DAGSTER_HOME']} {' '.join(command)}", flush=True)
    return run_process_group(command)


def run_process_group(command: list[str], grace_s: float = STOP_GRACE_S) -> int:
    """Run ``command`` in a new session (hence a new process group, inherited by all it starts) and wait for it.

    SIGINT or SIGTERM to this process is forwarded to the whole group as SIGINT, the signal on which every
    Dagster process shuts down cleanly (a run worker records its run as failed); a second one, or ``grace_s``
    seconds, and the group is killed. When ``command`` exits by itself, what it left behind in the group is
    stopped the same way. Returns its exit status, or 128 + the signal number when a signal stopped it.
    """
    received: list[int] = []
    process: subprocess.Popen | None = None

    def forward(signum: int, frame) -> None:
        received.append(signum)
        if process is not None:
            signal_group(process.pid, signal.SIGINT if len(received) == 1 else signal.SIGKILL)

    # Handlers first: a Ctrl-C while the group starts must not leave it running without us.
    previous = {signum: signal.signal(signum, forward) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        process = subprocess.Popen(command, start_new_session=True)
        if received:  # arrived before there was a group to forward it to
            signal_group(process.pid, signal.SIGINT)
        while process.poll() is None and not received:
            time.sleep(POLL_S)
        if not received:
            signal_group(process.pid, signal.SIGINT)
        stop_group(process, grace_s)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 128 + received[0] if received else process.returncode


def stop_group(leader: subprocess.Popen, grace_s: float) -> None:
    """Wait up to ``grace_s`` seconds for the process group led by ``leader`` to exit, then kill what is left."""
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        leader.poll()  # reap the leader, or the group never looks empty
        if not signal_group(leader.pid, 0):
            break
        time.sleep(POLL_S)
    signal_group(leader.pid, signal.SIGKILL)
    leader.wait()


def signal_group(group: int, signum: int) -> bool:
    """Send ``signum`` to process group ``group``; False when no process is left in it (0: only ask)."""
    try:
        os.killpg(group, signum)
    except ProcessLookupError:
        return False
    return True
