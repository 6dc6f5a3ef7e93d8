"""The ``longtail`` command: ingest files, materialize the asset graph in process, start the UI, run the demo.

Everything lives under ``LONGTAIL_HOME`` (default ``./.longtail``): ``landing/``, ``warehouse.duckdb``,
``reports/`` and the Dagster instance ``dagster/``, which the UI (``longtail ui``) shares, so runs started here
show up there.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

from longtail.data import landing
from longtail.data.adapters import FORMATS, read_file
from longtail.errors import InputError
from resources import home

UCI_ONLINE_RETAIL_II_URL = "https://archive.ics.uci.edu/static/public/502/online+retail+ii.zip"
NOT_DATA = {".md", ".txt", ".zip", ".pdf", ".html"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="longtail", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    ingest = commands.add_parser("ingest", help="check files and register them in the landing folder")
    ingest.add_argument("paths", nargs="+", type=Path, help="files or folders (folders: every file inside)")
    ingest.add_argument("--dataset", help="dataset name (default: the name of each file's folder)")

    materialize = commands.add_parser("materialize", help="run the asset graph in this process")
    materialize.add_argument("--select", help="Dagster asset selection, e.g. 'cleaned_items' or '+cleaned_events'")
    materialize.add_argument(
        "--partitions", help="days of the daily assets, START...END (default: every day that has raw events)"
    )

    ui = commands.add_parser("ui", help="start the Dagster webserver and daemon on this workspace")
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", default="3000")

    demo = commands.add_parser("demo", help="ingest a data folder (or download Online Retail II) and materialize all")
    demo.add_argument(
        "--data-dir", type=Path, default=os.environ.get("LONGTAIL_DATA_DIR"),
        help="folder of source files, one sub-folder per dataset (default: $LONGTAIL_DATA_DIR, else download)",
    )  # fmt: skip

    args = parser.parse_args(argv)
    if args.command == "ingest":
        return ingest_paths(args.paths, args.dataset)
    if args.command == "materialize":
        return materialize_assets(args.select, args.partitions)
    if args.command == "ui":
        return start_ui(args.host, args.port)
    return run_demo(args.data_dir)


def ingest_paths(paths: list[Path], dataset: str | None = None, *, skip_unknown: bool = False) -> int:
    """Read each file fully (to report problems now, not in a run), then copy it into the landing folder.

    Returns 0 when every file was accepted, 1 otherwise. With ``skip_unknown``, files of no supported format
    are reported and skipped without failing (for whole data folders holding READMEs and the like).
    """
    failures = 0
    for path in _expand(paths):
        try:
            name = dataset or path.parent.name
            landing.validate_dataset_name(name)
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


def _expand(paths: list[Path]) -> list[Path]:
    files = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
        else:
            files.append(path)
    return files


def materialize_assets(select: str | None = None, partitions: str | None = None) -> int:
    """Materialize the selected assets (default: all) with their checks: the unpartitioned assets upstream of the
    daily ones, then the daily ones over every day with raw events (or ``partitions``), then the rest.

    Prints Dagster's progress as it goes; returns 1 and names the failed steps and checks when any fails.
    """
    import dagster as dg

    from orchestration.definitions import ASSETS, CHECKS, build_definitions
    from orchestration.sensors import RANGE_END_TAG, RANGE_START_TAG

    home.dagster_home()
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    try:
        selection = dg.AssetSelection.from_string(select) if select else dg.AssetSelection.all()
        # raw_events/items/reviews come from one read of each file: selecting one runs all three.
        keys = selection.required_multi_asset_neighbors().resolve(graph)
    except dg.DagsterInvalidSubsetError:
        keys = set()
    if not keys:
        names = ", ".join(key.to_user_string() for key in sorted(graph.get_all_asset_keys()))
        print(f"no asset matches --select {select!r}; assets: {names}")
        return 2
    partitioned = {key for key in keys if graph.get(key).partitions_def is not None}
    downstream = dg.AssetSelection.assets(*partitioned).downstream().resolve(graph) if partitioned else set()
    # Raw tables first, then the daily cleaned events, then everything built on them.
    stages = [
        (keys - partitioned - downstream, {}),
        (partitioned, None),
        ((keys & downstream) - partitioned, {}),
    ]
    with dg.DagsterInstance.get() as instance:
        for stage_keys, tags in stages:
            if not stage_keys:
                continue
            if tags is None:
                tags = partition_range_tags(partitions, RANGE_START_TAG, RANGE_END_TAG)
                if tags is None:
                    print("no raw events yet: nothing to do for the daily assets")
                    continue
            names = ", ".join(sorted(k.to_user_string() for k in stage_keys))
            print(
                f"materializing {names}"
                + (f" for days {tags[RANGE_START_TAG]}...{tags[RANGE_END_TAG]}" if tags else "")
            )
            result = dg.materialize(
                [*ASSETS, *CHECKS],
                selection=dg.AssetSelection.assets(*stage_keys),
                instance=instance,
                resources=defs.resources,
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
            if not result.success or failed_checks:
                print(f"FAILED (run {result.run_id})")
                for step in failed_steps:
                    print(f"  failed step: {step}")
                for check in failed_checks:
                    print(f"  failed check: {check}")
                return 1
    print("all selected assets materialized")
    return 0


def console_log_config() -> dict:
    """Run config for Dagster's console log at ``LONGTAIL_LOG_LEVEL`` (INFO: the assets' progress lines only)."""
    return {"loggers": {"console": {"config": {"log_level": os.environ.get("LONGTAIL_LOG_LEVEL", "INFO")}}}}


def partition_range_tags(partitions: str | None, start_tag: str, end_tag: str) -> dict[str, str] | None:
    if partitions:
        start, _, end = partitions.partition("...")
        return {start_tag: start, end_tag: end or start}
    from longtail.data.warehouse import connect, fetch_one, table_exists

    if not home.warehouse_path().exists():
        return None
    with connect(home.warehouse_path()) as connection:
        if not table_exists(connection, "raw_events"):
            return None
        first, last = fetch_one(connection, "select min(partition_day), max(partition_day) from raw_events")
    if first is None:
        return None
    return {start_tag: first.strftime("%Y-%m-%d"), end_tag: last.strftime("%Y-%m-%d")}


def start_ui(host: str, port: str) -> int:
    """Replace this process with ``dagster dev`` (webserver + daemon) on the project's workspace.yaml (or, for a
    non-editable install without it, the definitions module) and longtail's instance."""
    home.dagster_home()
    # The dagster executable installed beside this Python, so an unactivated virtualenv works too.
    dagster = str(Path(sys.executable).with_name("dagster"))
    workspace = Path(__file__).resolve().parents[1] / "workspace.yaml"
    target = ["-w", str(workspace)] if workspace.exists() else ["-m", "orchestration.definitions", "-a", "defs"]
    command = [dagster, "dev", *target, "-h", host, "-p", port]
    print(f"DAGSTER_HOME={os.environ['DAGSTER_HOME']} {' '.join(command)}")
    os.execvp(command[0], command)


def run_demo(data_dir: Path | None) -> int:
    """Ingest every dataset folder of ``data_dir`` (or downloaded Online Retail II) and materialize everything."""
    if data_dir is None:
        data_dir = download_online_retail_ii(home.home() / "downloads")
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        print(f"data folder {data_dir} does not exist; pass --data-dir or set LONGTAIL_DATA_DIR")
        return 2
    started = time.perf_counter()
    for folder in sorted([data_dir, *(p for p in data_dir.iterdir() if p.is_dir())]):
        files = [
            p
            for p in folder.iterdir()
            if p.is_file() and p.suffix.lower() not in NOT_DATA and not p.name.startswith(".")
        ]
        if files:
            print(f"ingesting {folder}")
            ingest_paths(files, folder.name, skip_unknown=True)
    status = materialize_assets()
    print(json.dumps(data_layer_summary(), indent=2))
    print(f"demo finished in {time.perf_counter() - started:.0f}s; open the UI with `longtail ui`")
    return status


def data_layer_summary() -> dict:
    """Rows in / cleaned / quarantined by rule for each dataset and table, also written to reports/."""
    from longtail.data.warehouse import connect

    summary: dict = {}
    with connect(home.warehouse_path()) as connection:
        for table in ("events", "items", "reviews"):
            counts = connection.execute(
                f"""select dataset, 'raw' as kind, count(*) as n from raw_{table} group by all
                union all select dataset, 'cleaned', count(*) from cleaned_{table} group by all
                union all select dataset, 'quarantined:' || rule, count(*) from quarantine
                where table_name = '{table}' group by all order by all"""
            ).fetchall()
            for dataset, kind, n in counts:
                summary.setdefault(dataset, {}).setdefault(table, {})[kind] = n
    report = home.reports_dir() / "data_layer.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(summary, indent=2))
    return summary


def download_online_retail_ii(target: Path) -> Path:
    """Download and unpack UCI Online Retail II into ``target``; exit with advice when offline."""
    folder = target / "online_retail_ii"
    if any(folder.glob("*.xlsx")):
        return target
    folder.mkdir(parents=True, exist_ok=True)
    archive = target / "online_retail_ii.zip"
    print(f"no data folder given: downloading UCI Online Retail II from {UCI_ONLINE_RETAIL_II_URL}")
    try:
        urllib.request.urlretrieve(UCI_ONLINE_RETAIL_II_URL, archive)
    except OSError as error:
        raise SystemExit(
            f"could not download {UCI_ONLINE_RETAIL_II_URL} ({error}).\n"
            "Offline? Point longtail at a local copy of the data instead:\n"
            "  longtail demo --data-dir PATH   (or: LONGTAIL_DATA_DIR=PATH make demo)\n"
            "where PATH holds one folder per dataset, e.g. PATH/uci_online_retail_ii/online_retail_II.xlsx "
            "(xlsx, csv or parquet)."
        ) from error
    with zipfile.ZipFile(archive) as unpacked:
        unpacked.extractall(folder)
    return target


if __name__ == "__main__":
    sys.exit(main())
