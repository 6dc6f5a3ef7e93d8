"""What a user of the UI does: start `longtail ui` (webserver + daemon), drop a file, watch the sensors' runs.

Everything runs on loopback; the test asks the webserver's GraphQL API, as the UI does.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.fixtures import write_events, write_items

pytestmark = pytest.mark.e2e

STARTUP_TIMEOUT_S = 180
# Generous: with the real-data demo on the other test worker, the automation run took over 5 minutes.
RUN_TIMEOUT_S = 600

SENSOR_RUNS = """
query {
  runsOrError(filter: {tags: [{key: "dagster/sensor_name", value: "landing_sensor"}]}) {
    ... on Runs { results { runId status tags { key value } } }
  }
}
"""
LATEST_MATERIALIZATIONS = """
query {
  assetNodes {
    assetKey { path }
    assetMaterializations(limit: 1) { runId }
  }
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.loads(response.read())
    assert "errors" not in body, body
    return body["data"]


def wait_for(what: str, timeout_s: float, probe, log: Path, server: subprocess.Popen):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"`longtail ui` exited with {server.returncode}:\n{log.read_text()[-4000:]}")
        try:
            value = probe()
        except (urllib.error.URLError, ConnectionError, OSError):
            value = None
        if value:
            return value
        time.sleep(2)
    pytest.fail(f"timed out waiting for {what}; server log tail:\n{log.read_text()[-4000:]}")


@pytest.fixture
def ui(tmp_path, monkeypatch):
    port = free_port()
    home = tmp_path / "home"
    log = tmp_path / "ui.log"
    env = {**os.environ, "LONGTAIL_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    longtail = Path(sys.executable).with_name("longtail")
    with open(log, "w") as out:
        server = subprocess.Popen(
            [str(longtail), "ui", "--port", str(port)],
            cwd=Path(__file__).parents[2],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for("the webserver", STARTUP_TIMEOUT_S, lambda: graphql(port, "{ version }"), log, server)
        yield port, home, log, server
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def test_a_dropped_file_is_ingested_by_the_sensor_and_seen_in_the_ui(ui):
    port, home, log, server = ui
    landing = home / "landing" / "shop"
    write_events(landing / ".events.csv.partial")
    write_items(landing / "items.csv")
    (landing / ".events.csv.partial").rename(landing / "events.csv")

    def finished_sensor_run():
        runs = graphql(port, SENSOR_RUNS)["runsOrError"]["results"]
        done = [run for run in runs if run["status"] in ("SUCCESS", "FAILURE", "CANCELED")]
        return done[0] if done else None

    run = wait_for("the landing sensor's run to finish", RUN_TIMEOUT_S, finished_sensor_run, log, server)
    assert run["status"] == "SUCCESS", log.read_text()[-4000:]
    tags = {tag["key"]: tag["value"] for tag in run["tags"]}
    assert "shop/events.csv" in tags["longtail/files"] and "shop/items.csv" in tags["longtail/files"]

    latest = {
        "/".join(node["assetKey"]["path"]): [m["runId"] for m in node["assetMaterializations"]]
        for node in graphql(port, LATEST_MATERIALIZATIONS)["assetNodes"]
    }
    for asset in ("raw_events", "raw_items", "raw_reviews", "cleaned_items", "cleaned_reviews"):
        assert latest[asset] == [run["runId"]], asset

    # The refresh sensor then re-cleans the changed days of cleaned_events as one run.
    def cleaned_events_materialized():
        nodes = graphql(port, LATEST_MATERIALIZATIONS)["assetNodes"]
        return any(n["assetKey"]["path"] == ["cleaned_events"] and n["assetMaterializations"] for n in nodes)

    wait_for("cleaned_events to be refreshed", RUN_TIMEOUT_S, cleaned_events_materialized, log, server)

    # A file already seen triggers nothing more.
    runs_before = len(graphql(port, SENSOR_RUNS)["runsOrError"]["results"])
    time.sleep(20)
    assert len(graphql(port, SENSOR_RUNS)["runsOrError"]["results"]) == runs_before

    # The automation sensor refreshes everything built on the new data, down to the recommendation lists.
    def lists_materialized():
        nodes = graphql(port, LATEST_MATERIALIZATIONS)["assetNodes"]
        return any(n["assetKey"]["path"] == ["recommendation_lists"] and n["assetMaterializations"] for n in nodes)

    wait_for("automation to refresh recommendation_lists", RUN_TIMEOUT_S, lists_materialized, log, server)
