"""The whole asset graph, snapshotted: a change to assets, dependencies, checks or partitions shows up here."""

import json
import os
from pathlib import Path

import dagster as dg

from orchestration.definitions import build_definitions

SNAPSHOT = Path(__file__).with_name("asset_graph_snapshot.json")


def describe_partitions(partitions_def) -> str | None:
    """The kind of partitions and, for time windows, their schedule, start and end (what decides how many)."""
    if partitions_def is None:
        return None
    kind = type(partitions_def).__name__
    if isinstance(partitions_def, dg.TimeWindowPartitionsDefinition):
        return (
            f"{kind}(cron={partitions_def.cron_schedule!r}, start={partitions_def.start:%Y-%m-%d}, "
            f"end_offset={partitions_def.end_offset})"
        )
    return kind


def graph_snapshot(defs) -> dict:
    graph = defs.resolve_asset_graph()
    snapshot = {}
    for key in sorted(graph.get_all_asset_keys()):
        node = graph.get(key)
        snapshot[key.to_user_string()] = {
            "deps": sorted(parent.to_user_string() for parent in node.parent_keys),
            "group": node.group_name,
            "partitions": describe_partitions(node.partitions_def),
            "automation": node.automation_condition.get_label() if node.automation_condition else None,
            "checks": sorted(
                f"{check.name}{' (blocking)' if graph.get(check).blocking else ''}" for check in node.check_keys
            ),
        }
    snapshot["__jobs__"] = sorted(job.name for job in defs.jobs)
    snapshot["__sensors__"] = sorted(sensor.name for sensor in defs.sensors)
    return snapshot


def test_asset_graph_matches_snapshot():
    current = graph_snapshot(build_definitions())
    if os.environ.get("UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.write_text(json.dumps(current, indent=2) + "\n")
    assert current == json.loads(SNAPSHOT.read_text()), (
        "the asset graph changed; if intended, rerun with UPDATE_SNAPSHOT=1 and commit the reviewed snapshot"
    )


def test_loading_definitions_does_not_import_heavy_libraries():
    import subprocess
    import sys

    # Every Dagster process (code server, daemon, run worker, CLI) loads the definitions: scikit-learn alone added
    # half a second to each (bench/definitions_import.py).
    heavy = ("torch", "transformers", "great_expectations", "sklearn", "openpyxl", "pyspark", "matplotlib", "faiss")
    code = f"import sys, orchestration.definitions; print(','.join(m for m in {heavy!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == ""
