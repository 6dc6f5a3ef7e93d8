"""Wall time of the data layer (and with ``--all`` the whole pipeline) on UCI Online Retail II, per step, against
the bare core library in the same run.

    LONGTAIL_DATA_DIR=../shared/data .venv/bin/python bench/data_layer.py [--all]

Pipeline: `longtail ingest` of the parquet, then the asset graph (raw tables, cleaned items/reviews, every check;
then cleaned_events over all its days as one run) on a fresh LONGTAIL_HOME with the on-disk Dagster instance, as
`longtail demo` runs it. Baseline: the same reading and cleaning with the framework-free `longtail` package only
(read_file + clean_events + clean_items + DuckDB writes). The ratio is what orchestration and data-quality gates
cost on top of the work itself. ``--all`` adds a third stage, every asset built on the cleaned tables (item text,
embeddings, similarity, user profiles, the recommendation evaluation and lists), and reports each step's time.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import dagster as dg
import pandas as pd

FILE = "uci_online_retail_ii/online_retail_II_2009_2010.parquet"
RECOMMENDATION_ASSETS = (
    "item_",
    "user_profiles",
    "recommendation_",
    "run overhead (recommendations",
)


def bare_core(path: Path, workdir: Path) -> float:
    from longtail.data.adapters import read_file
    from longtail.data.cleaning import clean_events, clean_items, partition_days
    from longtail.data.warehouse import connect, replace_rows

    started = time.perf_counter()
    result = read_file(path)
    loaded_at = pd.Timestamp.now(tz="UTC")
    provenance = {"dataset": "retail", "file_id": "x", "source_file": path.name, "loaded_at": loaded_at}
    events = result.events.assign(**provenance)
    events["partition_day"] = partition_days(events["ts"], events["loaded_at"])
    items = result.items.assign(**provenance)
    with connect(workdir / "bare.duckdb") as connection:
        replace_rows(connection, "raw_events", events)
        replace_rows(connection, "raw_items", items)
        for table, cleaned in (("events", clean_events(events)), ("items", clean_items(items))):
            replace_rows(connection, f"cleaned_{table}", cleaned.cleaned)
            replace_rows(connection, f"quarantine_{table}", cleaned.quarantined)
    return time.perf_counter() - started


DATA_LAYER_STAGES = (
    ("key:raw_events or key:cleaned_items or key:cleaned_reviews", False),
    ("key:cleaned_events", True),
)
RECOMMENDATION_STAGE = (
    "key:item_text or key:item_embeddings or key:item_similarity or key:user_profiles "
    "or key:recommendation_evaluation or key:recommendation_lists",
    False,
)


def pipeline(path: Path, workdir: Path, stages=DATA_LAYER_STAGES) -> tuple[float, dict[str, float]]:
    os.environ["LONGTAIL_HOME"] = str(workdir / "home")
    from orchestration import cli, home
    from orchestration.definitions import ASSETS, CHECKS, build_definitions
    from orchestration.sensors import RANGE_END_TAG, RANGE_START_TAG

    started = time.perf_counter()
    assert cli.ingest_paths([path], "uci_online_retail_ii") == 0
    steps: dict[str, float] = defaultdict(float)
    steps["longtail ingest (read + copy)"] = time.perf_counter() - started
    home.dagster_home()
    defs = build_definitions()
    with dg.DagsterInstance.get() as instance:
        for number, (selection, partitioned) in enumerate(stages):
            tags = cli.partition_range_tags(None, RANGE_START_TAG, RANGE_END_TAG) if partitioned else None
            stage = time.perf_counter()
            result = dg.materialize(
                [*ASSETS, *CHECKS],
                selection=dg.AssetSelection.from_string(selection).required_multi_asset_neighbors(),
                instance=instance,
                resources=defs.resources,
                tags=tags,
            )
            assert result.success
            for event in result.all_events:
                if event.is_step_success:
                    steps[event.step_key] += event.event_specific_data.duration_ms / 1000
            in_steps = sum(e.event_specific_data.duration_ms / 1000 for e in result.all_events if e.is_step_success)
            stage_name = ("unpartitioned", "daily", "recommendations")[number]
            steps[f"run overhead ({stage_name} stage)"] = time.perf_counter() - stage - in_steps
    return time.perf_counter() - started, dict(steps)


def main() -> int:
    everything = "--all" in sys.argv[1:]
    data_dir = os.environ.get("LONGTAIL_DATA_DIR")
    if not data_dir:
        print("set LONGTAIL_DATA_DIR to the shared data folder")
        return 2
    path = Path(data_dir) / FILE
    with tempfile.TemporaryDirectory() as workdir:
        baseline = bare_core(path, Path(workdir))
        stages = (*DATA_LAYER_STAGES, RECOMMENDATION_STAGE) if everything else DATA_LAYER_STAGES
        total, steps = pipeline(path, Path(workdir), stages)
    print(f"{'step':<45} {'seconds':>8}")
    for step, seconds in sorted(steps.items(), key=lambda kv: -kv[1]):
        print(f"{step:<45} {seconds:8.1f}")
    print(f"\n{'whole pipeline' if everything else 'data layer'} on Online Retail II (wall): {total:.1f} s")
    print(f"bare core library, same work without Dagster:   {baseline:.1f} s")
    if everything:
        data_layer = sum(v for k, v in steps.items() if not k.startswith(RECOMMENDATION_ASSETS))
        print(f"of which the data layer: {data_layer:.1f} s (ratio to bare core {data_layer / baseline:.1f}x)")
    else:
        print(f"ratio pipeline / bare: {total / baseline:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
