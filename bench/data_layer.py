"""Wall time of the data layer (and with ``--all`` the whole pipeline) on UCI Online Retail II, per step, against
the bare core library in the same run; with ``--backfill``, what Dagster's bookkeeping costs in a whole-history
backfill of cleaned_events over every shared dataset.

    LONGTAIL_DATA_DIR=../shared/data .venv/bin/python bench/data_layer.py [--all | --backfill]

Pipeline: `longtail ingest` of the parquet, then the asset graph (raw tables, cleaned items/reviews, every check;
then cleaned_events over all its days as one run) on a fresh LONGTAIL_HOME with the on-disk Dagster instance, as
`longtail demo` runs it. Baseline: the same reading and cleaning with the framework-free `longtail` package only
(read_file + clean_events + clean_items + DuckDB writes). The ratio is what orchestration and data-quality gates
cost on top of the work itself. ``--all`` adds a third stage, every asset built on the cleaned tables (item text,
embeddings, similarity, user profiles, the recommendation evaluation and lists), and reports each step's time.

``--backfill`` lands every dataset folder of ``LONGTAIL_DATA_DIR`` as `longtail demo` does, loads the raw tables,
then runs cleaned_events over every partition that has raw events as one run (its checks left out) on the on-disk
instance. Bookkeeping is the run's wall time minus the seconds the asset body reports (reading, cleaning and
writing the window): what Dagster spends planning the run and recording one materialization per partition.
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
    from assets.partitions import range_tags
    from orchestration import cli
    from orchestration.definitions import ASSETS, CHECKS, build_definitions
    from resources import home

    started = time.perf_counter()
    assert cli.ingest_paths([path], "uci_online_retail_ii") == 0
    steps: dict[str, float] = defaultdict(float)
    steps["longtail ingest (read + copy)"] = time.perf_counter() - started
    home.dagster_home()
    defs = build_definitions()
    with dg.DagsterInstance.get() as instance:
        for number, (selection, partitioned) in enumerate(stages):
            tags = range_tags(*cli.event_days(None)) if partitioned else None
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
            stage_name = ("unpartitioned", "partitioned", "recommendations")[number]
            steps[f"run overhead ({stage_name} stage)"] = time.perf_counter() - stage - in_steps
    return time.perf_counter() - started, dict(steps)


def backfill_bookkeeping(data_dir: Path, workdir: Path) -> dict[str, float]:
    """Seconds of the whole-history single-run backfill of cleaned_events: wall, asset body, their difference (the
    bookkeeping), and of it the run's creation (one "planned" event per partition) and the recording of one
    materialization per partition; and the instance's SQLite commit latency in ms, which these mostly wait on."""
    os.environ["LONGTAIL_HOME"] = str(workdir / "home")
    from assets.partitions import range_tags
    from orchestration import cli
    from orchestration.definitions import ASSETS, build_definitions
    from resources import home

    for folder in sorted(p for p in data_dir.iterdir() if p.is_dir()):
        files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")]
        cli.ingest_paths(files, folder.name, skip_unknown=True)
    home.dagster_home()
    defs = build_definitions()
    with dg.DagsterInstance.get() as instance:
        started = time.perf_counter()
        raw = dg.AssetSelection.assets("raw_events", "raw_items", "raw_reviews").without_checks()
        assert dg.materialize(ASSETS, selection=raw, instance=instance, resources=defs.resources).success
        print(f"raw tables loaded in {time.perf_counter() - started:.0f} s")
        tags = range_tags(*cli.event_days(None))
        started, started_at = time.perf_counter(), time.time()
        result = dg.materialize(
            ASSETS,
            selection=dg.AssetSelection.assets("cleaned_events").without_checks(),
            instance=instance,
            resources=defs.resources,
            tags=tags,
            run_config=cli.console_log_config(),
        )
        wall = time.perf_counter() - started
        assert result.success
        at = {
            entry.dagster_event.event_type.name: entry.timestamp
            for entry in instance.all_logs(result.run_id)
            if entry.dagster_event
            and entry.dagster_event.event_type.name in ("RUN_START", "STEP_OUTPUT", "STEP_SUCCESS")
        }
        materializations = result.asset_materializations_for_node("cleaned_events")
        [body] = {materialization.metadata["seconds"].value for materialization in materializations}
        partitions = len(materializations)
        partitions_def = defs.resolve_asset_graph().get(dg.AssetKey("cleaned_events")).partitions_def
        definition_size = len(partitions_def.get_partition_keys())
    print(f"partitions of cleaned_events: {definition_size:,} defined, {partitions:,} in the backfill {tags}")
    return {
        "partitions": partitions,
        "wall": wall,
        "body": body,
        "bookkeeping": wall - body,
        "run creation": at["RUN_START"] - started_at,
        "recording": at["STEP_SUCCESS"] - at["STEP_OUTPUT"],
        "commit ms": sqlite_commit_ms(workdir),
    }


def sqlite_commit_ms(workdir: Path, commits: int = 100) -> float:
    """Milliseconds per committed one-row insert in a SQLite file beside the instance: the disk's sync latency."""
    import sqlite3

    connection = sqlite3.connect(workdir / "commit-latency.db")
    connection.execute("create table t (x integer)")
    started = time.perf_counter()
    for number in range(commits):
        connection.execute("insert into t values (?)", [number])
        connection.commit()
    connection.close()
    return 1000 * (time.perf_counter() - started) / commits


def main() -> int:
    everything = "--all" in sys.argv[1:]
    data_dir = os.environ.get("LONGTAIL_DATA_DIR")
    if not data_dir:
        print("set LONGTAIL_DATA_DIR to the shared data folder")
        return 2
    if "--backfill" in sys.argv[1:]:
        with tempfile.TemporaryDirectory() as workdir:
            seconds = backfill_bookkeeping(Path(data_dir), Path(workdir))
        print(f"whole-history backfill of cleaned_events (one run): {seconds['wall']:.1f} s wall")
        print(f"asset body (read, clean, write the window):        {seconds['body']:.1f} s")
        print(
            f"Dagster bookkeeping: {seconds['bookkeeping']:.1f} s "
            f"({1000 * seconds['bookkeeping'] / seconds['partitions']:.0f} ms per partition); "
            f"ratio wall / body {seconds['wall'] / seconds['body']:.1f}x"
        )
        print(
            f"of which creating the run {seconds['run creation']:.1f} s, recording the materializations "
            f"{seconds['recording']:.1f} s; SQLite commit latency here: {seconds['commit ms']:.1f} ms"
        )
        return 0
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
