"""The ``longtail`` command: ingest files, materialize the asset graph in process, start the UI, run the demo.

Everything lives under ``LONGTAIL_HOME`` (default ``./.longtail``): ``landing/``, ``warehouse.duckdb``,
``reports/`` and the Dagster instance ``dagster/``, which the UI (``longtail ui``) shares, so runs started here
show up there.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
import warnings
from pathlib import Path

from longtail.data import landing
from longtail.data.adapters import FORMATS, read_file
from longtail.errors import InputError
from orchestration.demo import (
    dataset_files,
    download_online_retail_ii,
    format_demo_summary,
    materialized,
    read_demo_summary,
    write_data_layer_report,
)
from orchestration.privacy import add_privacy_commands, run_privacy_command
from orchestration.serve import add_api_key_command, api_key_command, serve
from orchestration.ui import start_ui
from resources import home


def main(argv: list[str] | None = None) -> int:
    # Dagster warns on every start that backfill policies are in beta; the user can do nothing about it.
    warnings.filterwarnings("ignore", message=".*is currently in beta")
    parser = argparse.ArgumentParser(prog="longtail", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    ingest = commands.add_parser("ingest", help="check files and register them in the landing folder")
    ingest.add_argument("paths", nargs="+", type=Path, help="files or folders (folders: every file inside)")
    ingest.add_argument("--dataset", help="dataset name (default: the name of each file's folder)")

    retract = commands.add_parser(
        "retract", help="take a loaded file's rows out of the warehouse, then refresh what is built on them"
    )
    which = retract.add_mutually_exclusive_group(required=True)
    which.add_argument("file", nargs="?", type=Path, help="the file (in the landing folder, or a copy of it)")
    which.add_argument("--file-id", help="the file's id (its SHA-256, or a prefix of 8 or more hex digits)")
    retract.add_argument("--dataset", help="only in this dataset (default: every dataset that loaded the file)")
    retract.add_argument(
        "--select", help="what to refresh afterwards, as for materialize (default: everything built on the raw tables)"
    )

    materialize = commands.add_parser("materialize", help="run the asset graph in this process")
    materialize.add_argument("--select", help="Dagster asset selection, e.g. 'cleaned_items' or '+cleaned_events'")
    materialize.add_argument(
        "--partitions", help="days START...END: the partitions of cleaned_events holding them (default: all with data)"
    )

    ui = commands.add_parser("ui", help="start the Dagster webserver and daemon on this workspace")
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", default="3000")

    serve_command = commands.add_parser("serve", help="serve the API and web page over the current snapshot")
    serve_command.add_argument(
        "--host", default="127.0.0.1", help="a non-loopback address needs an API key (longtail api-key create)"
    )
    serve_command.add_argument("--port", type=int, default=8000)

    cluster = commands.add_parser(
        "spark-cluster", help="run a standalone Spark cluster on this machine for LONGTAIL_ENGINE=spark (Ctrl-C stops)"
    )
    cluster.add_argument("--workers", type=int, default=2)
    cluster.add_argument("--cores", type=int, default=1, help="cores per worker")
    cluster.add_argument("--memory", default="2g", help="memory per worker, e.g. 2g")

    demo = commands.add_parser("demo", help="ingest a data folder (or download Online Retail II) and materialize all")
    # An empty LONGTAIL_DATA_DIR (what `make demo` exports where no shared data sits beside the checkout) is unset:
    # as a path it is the working directory, and the demo ingested the source tree.
    demo.add_argument(
        "--data-dir", type=Path, default=os.environ.get("LONGTAIL_DATA_DIR") or None,
        help="folder of source files, one sub-folder per dataset (default: $LONGTAIL_DATA_DIR, else download)",
    )  # fmt: skip

    add_api_key_command(commands)
    add_privacy_commands(commands)
    args = parser.parse_args(argv)
    if (status := run_privacy_command(args, materialize_assets)) is not None:
        return status
    if args.command == "ingest":
        return ingest_paths(args.paths, args.dataset)
    if args.command == "retract":
        return retract_file(args.file, args.file_id, args.dataset, args.select)
    if args.command == "materialize":
        return materialize_assets(args.select, args.partitions)
    if args.command == "ui":
        return start_ui(args.host, args.port)
    if args.command == "serve":
        return serve(args.host, args.port)
    if args.command == "api-key":
        return api_key_command(args)
    if args.command == "spark-cluster":
        return run_spark_cluster(args.workers, args.cores, args.memory)
    return run_demo(args.data_dir)


def run_spark_cluster(workers: int, cores: int, memory: str) -> int:
    """Start a master and ``workers`` workers on 127.0.0.1 (logs under ``$LONGTAIL_HOME/spark/cluster``), print the
    settings that point the spark engine at them, and keep them up until interrupted (Ctrl-C, or SIGTERM)."""
    from longtail.spark.cluster import StandaloneCluster

    # SIGTERM (kill, a service manager) stops the cluster as Ctrl-C does: the workers live in sessions of their own.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    with StandaloneCluster(home.spark_exchange_dir() / "cluster", workers, cores, memory) as cluster:
        print(f"Spark master up with {workers} workers of {cores} core(s) and {memory}; in another shell:")
        print(f"  export LONGTAIL_ENGINE=spark LONGTAIL_SPARK_MASTER={cluster.master_url}")
        print(
            f"  export LONGTAIL_SPARK_EXECUTOR_MEMORY={cluster.executor_memory} LONGTAIL_SPARK_EXECUTOR_CORES={cores}"
        )
        print("Ctrl-C stops the cluster.", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("stopping the Spark cluster")
    return 0


def ingest_paths(paths: list[Path], dataset: str | None = None, *, skip_unknown: bool = False) -> int:
    """Read each file fully (to report problems now, not in a run), then copy it into the landing folder.

    Returns 0 when every file was accepted, 1 otherwise. With ``skip_unknown``, files of no supported format
    are reported and skipped without failing (for whole data folders holding READMEs and the like).
    """
    failures = 0
    for path in _expand(paths):
        try:
            name = _dataset_name(path, dataset)
            if not path.is_file():  # reading a FIFO would wait for a writer for ever
                raise InputError("is not a regular file", file=path)
            started = time.perf_counter()
            result = read_file(path)
        except InputError as error:
            print(f"  skipped  {error}" if skip_unknown else f"  ERROR    {error}")
            failures += 0 if skip_unknown else 1
            continue
        except ValueError as error:
            print(f"  ERROR    {path}: {error}")
            failures += 1
            continue
        rows = {table: len(getattr(result, table)) for table in ("events", "items", "reviews")}
        bad = sum(int(getattr(result, table)["parse_error"].notna().sum()) for table in rows)
        landed, status = landing.place(path, home.landing_dir(), name)
        counts = ", ".join(f"{n:,} {table}" for table, n in rows.items() if n) or "lookup table, no rows"
        print(
            f"  {status:<8} {landed.dataset}/{landed.name}: {result.format} ({FORMATS[result.format]}); {counts}"
            + (f"; {bad:,} rows with problems (quarantined when cleaned)" if bad else "")
            + f"; read in {time.perf_counter() - started:.1f}s"
        )
    print(f"landing folder: {home.landing_dir()}")
    return 1 if failures else 0


def _dataset_name(path: Path, dataset: str | None) -> str:
    """``dataset``, else the name of the file's folder; a folder name that is no valid dataset name (``.x``,
    say) says how to choose one."""
    if dataset:
        return landing.validate_dataset_name(dataset)
    folder = path.absolute().parent.name or landing.DEFAULT_DATASET  # a file in / has a folder without a name
    try:
        return landing.validate_dataset_name(folder)
    except ValueError as error:
        raise ValueError(f"{error} (the name of its folder): pass --dataset NAME to choose one") from None


def _expand(paths: list[Path]) -> list[Path]:
    files = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
        else:
            files.append(path)
    return files


def retract_file(file: Path | None, file_id: str | None, dataset: str | None, select: str | None = None) -> int:
    """Retract the loaded file ``file`` (or with id ``file_id``) from ``dataset`` (default: the dataset of a file in
    the landing folder, else every dataset that loaded it): move it out of the landing folder into ``.retracted/``,
    then materialize ``select`` (default: all) over the days its events covered, which takes its rows out of the
    raw, cleaned and quarantine tables and refreshes what is built on them. Returns 0 when done, 2 when no loaded
    file matches, 1 when the refresh fails."""
    import pandas as pd

    from longtail.data.ingest import loaded_files
    from longtail.data.retraction import request_retraction
    from longtail.data.warehouse import connect

    if file is not None:
        if not file.is_file():
            print(f"{file}: no such file; pass the landed file, a copy of it, or --file-id")
            return 2
        file_id = landing.file_sha256(file)
        resolved = file.resolve()
        if dataset is None and resolved.is_relative_to(home.landing_dir()):  # a landed file: its dataset's copy only
            parts = resolved.relative_to(home.landing_dir()).parts
            dataset = parts[0] if len(parts) > 1 else landing.DEFAULT_DATASET
    if len(file_id) < 8 or any(c not in "0123456789abcdef" for c in file_id.lower()):
        print(f"--file-id {file_id!r}: give the file's SHA-256 or a prefix of at least 8 hex digits")
        return 2
    loaded = None
    if home.warehouse_path().exists():
        with connect(home.warehouse_path()) as connection:
            loaded = loaded_files(connection, file_id_prefix=file_id, dataset=dataset)
    if loaded is None or loaded.empty:
        print(f"no loaded file has id {file_id}" + (f" in dataset {dataset}" if dataset else ""))
        return 2
    landed = {(f.dataset, f.name, f.file_id): f.path for f in landing.scan(home.landing_dir())}
    for row in loaded.itertuples():
        path = landed.get((row.dataset, row.name, row.file_id))
        request_retraction(home.landing_dir(), row.dataset, row.name, row.file_id, path)
        print(f"  retracting {row.dataset}/{row.name} ({row.file_id[:16]}, {row.rows:,} rows)")
    days = pd.concat([loaded["first_day"], loaded["last_day"]]).dropna()
    partitions = f"{days.min():%Y-%m-%d}...{days.max():%Y-%m-%d}" if len(days) else None
    print(f"the files are kept in {home.landing_dir() / '.retracted'}; refreshing what was built on them")
    return materialize_assets(select, partitions)


def materialize_assets(select: str | None = None, partitions: str | None = None) -> int:
    """Materialize the selected assets (default: all but the on-demand evaluations) with their checks: the
    unpartitioned assets upstream of the
    partitioned ones, then those over every partition with raw events (or those of ``partitions``), then the rest.

    Prints Dagster's progress as it goes; returns 1 and names the failed steps and checks when any fails.
    """
    import dagster as dg
    from dagster._core.definitions.asset_selection import DagsterInvalidAssetSelectionError

    from assets.partitions import RANGE_END_TAG, RANGE_START_TAG, range_tags
    from orchestration.definitions import ON_DEMAND_ASSETS, build_definitions

    home.dagster_home()
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    try:
        selection = (
            dg.AssetSelection.from_string(select)
            if select
            else dg.AssetSelection.all() - dg.AssetSelection.assets(*ON_DEMAND_ASSETS)
        )
        # raw_events/items/reviews come from one read of each file: selecting one runs all three.
        keys = selection.required_multi_asset_neighbors().resolve(graph)
    except DagsterInvalidAssetSelectionError:
        print(
            f"--select {select!r} is not a valid asset selection; for example: --select 'cleaned_items', "
            "--select 'key:raw_events or key:cleaned_events', --select 'cleaned_events+' (and what depends on it)"
        )
        return 2
    except dg.DagsterInvalidSubsetError:
        keys = set()
    if not keys:
        names = ", ".join(key.to_user_string() for key in sorted(graph.get_all_asset_keys()))
        print(f"no asset matches --select {select!r}; assets: {names}")
        return 2
    partitioned = {key for key in keys if graph.get(key).partitions_def is not None}
    downstream = dg.AssetSelection.assets(*partitioned).downstream().resolve(graph) if partitioned else set()
    # Raw tables first, then the partitioned cleaned events, then everything built on them.
    stages = [
        (keys - partitioned - downstream, {}),
        (partitioned, None),
        ((keys & downstream) - partitioned, {}),
    ]
    with dg.DagsterInstance.get() as instance:
        _recover(instance)
        for stage_keys, tags in stages:
            if not stage_keys:
                continue
            if tags is None:
                days = event_days(partitions)
                if days is None:
                    print("no raw events yet: nothing to do for the partitioned assets")
                    continue
                tags = range_tags(*days)
            names = ", ".join(sorted(k.to_user_string() for k in stage_keys))
            print(
                f"materializing {names}"
                + (
                    f" for days {days[0]}...{days[1]} (partitions {tags[RANGE_START_TAG]}...{tags[RANGE_END_TAG]})"
                    if tags
                    else ""
                )
            )
            if not _materialize_stage(instance, defs.resources, graph, stage_keys, tags):
                return 1
    print("all selected assets materialized")
    return 0


def _recover(instance) -> None:
    """Fail the runs a killed process left in progress (freeing the warehouse slot they held), and say which live
    run holds the slot, if any, so a wait for it is never silent."""
    from orchestration.recovery import fail_orphaned_runs, pool_holders
    from resources.warehouse import WAREHOUSE_POOL

    for run_id in fail_orphaned_runs(instance):
        print(f"run {run_id} was cut off when its process stopped: marked failed and its warehouse slot freed")
    for holder in pool_holders(instance, WAREHOUSE_POOL):
        print(f"the warehouse is in use by {holder}: this run waits for it to finish")


def _materialize_stage(instance, resources: dict, graph, keys: set, tags: dict) -> bool:
    """Materialize the assets ``keys`` in one run; False when a step or a blocking check failed.

    A raw table with nothing new to load is not materialized, nor what the run builds on it, so nothing downstream
    goes stale. Of those skipped, what is older than an input (a run cut off between the raw and the cleaned
    tables) is built in a second run; the checks of the others still run, on what the warehouse holds.
    """
    import dagster as dg

    result = _run(instance, resources, dg.AssetSelection.assets(*keys), tags)
    if result is None:
        return False
    skipped = keys - _materialized(result)
    outdated = {key for key in skipped if _older_than_an_input(instance, graph, key)}
    if outdated:
        result = _run(instance, resources, dg.AssetSelection.assets(*outdated), tags)
        if result is None:
            return False
        skipped -= _materialized(result)
    unchecked = [key for key in skipped if graph.get(key).check_keys]
    return not unchecked or _run(instance, resources, dg.AssetSelection.checks_for_assets(*unchecked), tags) is not None


def _materialized(result) -> set:
    return {event.asset_key for event in result.get_asset_materialization_events()}


def _older_than_an_input(instance, graph, key) -> bool:
    """Whether the asset ``key`` was never materialized, or an asset it depends on was materialized since."""
    events = dict(instance.get_latest_materialization_events([key, *graph.get(key).parent_keys]))
    own = events.pop(key, None)
    return own is None or any(event is not None and event.timestamp > own.timestamp for event in events.values())


def _run(instance, resources: dict, selection, tags: dict):
    """One in-process run of ``selection`` (of the definitions' assets and checks), printing its steps; its result,
    or None when a step or a blocking check failed (named in the output)."""
    import dagster as dg

    from orchestration.definitions import ASSETS, CHECKS

    result = dg.materialize(
        [*ASSETS, *CHECKS],
        selection=selection,
        instance=instance,
        resources=resources,
        tags=tags,
        run_config=console_log_config(),
        raise_on_error=False,
    )
    for event in result.all_events:
        if event.is_step_success:
            print(f"  done  {event.step_key} in {event.event_specific_data.duration_ms / 1000:.1f}s")
    failed_steps = [event.step_key for event in result.all_events if event.is_step_failure]
    failed_checks = [
        f"{evaluation.asset_check_key.asset_key.to_user_string()}:{evaluation.check_name}"
        for evaluation in result.get_asset_check_evaluations()
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    ]
    if result.success and not failed_checks:
        return result
    print(f"FAILED (run {result.run_id})")
    for step in failed_steps:
        print(f"  failed step: {step}")
    for check in failed_checks:
        print(f"  failed check: {check}")
    return None


def console_log_config() -> dict:
    """Run config for Dagster's console log at ``LONGTAIL_LOG_LEVEL`` (INFO: the assets' progress lines only)."""
    return {"loggers": {"console": {"config": {"log_level": os.environ.get("LONGTAIL_LOG_LEVEL", "INFO")}}}}


def event_days(partitions: str | None) -> tuple[str, str] | None:
    """The first and last day of ``partitions`` (``START...END``, or one day), by default those of the raw events
    (their partition days); None when there are none."""
    from longtail.data.warehouse import connect, fetch_one, table_exists

    if partitions:
        start, _, end = partitions.partition("...")
        return start, end or start
    if not home.warehouse_path().exists():
        return None
    with connect(home.warehouse_path()) as connection:
        if not table_exists(connection, "raw_events"):
            return None
        first, last = fetch_one(connection, "select min(partition_day), max(partition_day) from raw_events")
    if first is None:
        return None
    return f"{first:%Y-%m-%d}", f"{last:%Y-%m-%d}"


def run_demo(data_dir: Path | None) -> int:
    """Ingest every dataset folder of ``data_dir`` (or downloaded Online Retail II), materialize everything, and
    say what was built, how the recommender compares with the baselines, and where to look next."""
    from orchestration.definitions import ASSETS, ON_DEMAND_ASSETS

    if data_dir is None:
        data_dir = download_online_retail_ii(home.home() / "downloads")
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        print(f"data folder {data_dir} does not exist; pass --data-dir or set LONGTAIL_DATA_DIR")
        return 2
    started = time.perf_counter()
    for dataset, files in dataset_files(data_dir).items():
        print(f"ingesting {files[0].parent}")
        ingest_paths(files, dataset, skip_unknown=True)
    status = materialize_assets()
    write_data_layer_report(home.warehouse_path(), home.reports_dir())
    assets = [
        name
        for asset in ASSETS
        if asset not in ON_DEMAND_ASSETS
        for name in sorted(k.to_user_string() for k in asset.keys)
    ]
    print()
    summary = read_demo_summary(assets, materialized(assets), home.warehouse_path(), home.reports_dir())
    print(format_demo_summary(summary))
    outcome = "finished" if status == 0 else "FAILED (see the failed steps above)"
    print(f"\ndemo {outcome} in {time.perf_counter() - started:.0f}s")
    return status


if __name__ == "__main__":
    sys.exit(main())
