"""Issue 16 through the command line: a bad file is rejected alone, the same file loads into two datasets, a file is
retracted with everything cleaned from it, and a bad selection is told how to write one.

The tests that materialize the data layer are in the `faults` tier (`make test-faults`): a few seconds each, they
would take the fast tier past five minutes."""

import multiprocessing
import os
import zipfile
from pathlib import Path

import dagster as dg
import pytest

from orchestration import cli
from tests.fixtures import EVENTS_CSV, Home, write_events

DATA_LAYER = (
    "key:raw_events or key:raw_items or key:raw_reviews or key:cleaned_items or key:cleaned_reviews "
    "or key:cleaned_events"
)


def file_rows(home: Home, table: str, name: str) -> int:
    return home.count(f"select count(*) from {table} where source_file = ?", [name])


@pytest.mark.faults
def test_a_junk_file_is_rejected_alone_and_the_good_file_beside_it_loads(home, capsys):
    write_events(home.landing / "fmt" / "good.csv")
    with zipfile.ZipFile(home.landing / "fmt" / "junk.xlsx", "w") as junk:
        junk.writestr("junk.txt", "not a workbook")

    assert cli.main(["materialize", "--select", DATA_LAYER]) == 0

    assert file_rows(home, "raw_events", "good.csv") == EVENTS_CSV.count("\n") - 1
    assert home.count("select count(*) from cleaned_events") > 0
    with home.warehouse().connect() as connection:
        status, error = connection.execute(
            "select status, error from landing_files where name = 'junk.xlsx'"
        ).fetchone()
    assert status == "rejected" and "junk.xlsx: not a readable xlsx workbook" in error and len(error) < 800
    with dg.DagsterInstance.get() as instance:
        check = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(dg.AssetKey("raw_events"), "no_rejected_files")]
        )
    (record,) = check.values()
    assert record.event.dagster_event.event_specific_data.passed is False


@pytest.mark.faults
def test_the_same_file_ingested_into_two_datasets_passes_the_gates(home, tmp_path, capsys):
    base = write_events(tmp_path / "base.csv")
    assert cli.main(["ingest", str(base), "--dataset", "shopA"]) == 0
    assert cli.main(["ingest", str(base), "--dataset", "shopB"]) == 0

    assert cli.main(["materialize", "--select", DATA_LAYER]) == 0

    with home.warehouse().connect() as connection:
        cleaned = dict(connection.execute("select dataset, count(*) from cleaned_events group by all").fetchall())
    assert set(cleaned) == {"shopA", "shopB"} and cleaned["shopA"] == cleaned["shopB"]

    # Retracting the landed copy of one dataset leaves the other's.
    assert cli.main(["retract", str(home.landing / "shopA" / "base.csv"), "--select", DATA_LAYER]) == 0
    with home.warehouse().connect() as connection:
        datasets = {row[0] for row in connection.execute("select distinct dataset from cleaned_events").fetchall()}
    assert datasets == {"shopB"}


@pytest.mark.faults
def test_a_retracted_file_leaves_raw_cleaned_and_quarantine_and_is_kept_aside(home, capsys):
    home.drop_shop_files()
    write_events(home.landing / "shop" / "late.csv", "user_id,item_id,event_type,ts\nu9,i1,view,2024-03-02T10:00:00Z\n")
    assert cli.main(["materialize", "--select", DATA_LAYER]) == 0
    quarantined_events = home.count("select count(*) from quarantine where source_file = 'events.csv'")
    assert file_rows(home, "cleaned_events", "events.csv") > 0 and quarantined_events > 0

    landed = home.landing / "shop" / "events.csv"
    content = landed.read_bytes()
    assert cli.main(["retract", str(landed), "--select", DATA_LAYER]) == 0

    for table in ("raw_events", "cleaned_events", "quarantine"):
        assert file_rows(home, table, "events.csv") == 0, table
    assert file_rows(home, "cleaned_events", "late.csv") == 1
    assert home.count("select count(*) from landing_files where name = 'events.csv' and status = 'retracted'") == 1
    (kept,) = (home.landing / ".retracted").glob("*-events.csv")
    assert kept.read_bytes() == content and not landed.exists()
    assert "retracting shop/events.csv" in capsys.readouterr().out

    # Nothing left to retract under that id.
    assert cli.main(["retract", "--file-id", kept.name.split("-")[1], "--select", DATA_LAYER]) == 2


def test_a_bad_selection_gets_a_one_line_message_with_examples(home, capsys):
    assert cli.main(["materialize", "--select", "key:raw_events or"]) == 2
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "not a valid asset selection" in out and "--select 'cleaned_items'" in out


def test_a_file_in_the_root_folder_goes_to_the_default_dataset():
    assert cli._dataset_name(Path("/base.csv"), None) == "default"


def ingest_in_child(root: str, paths: list[str]) -> None:
    os.environ["LONGTAIL_HOME"] = root
    os._exit(cli.main(["ingest", *paths, "--dataset", "shop"]))


@pytest.mark.faults
def test_files_dropped_at_once_and_by_concurrent_writers_load_exactly_once_and_intact(home, tmp_path, capsys):
    sources = []
    for number in range(25):
        rows = "".join(
            f"u{number}-{row},i{row % 7},view,2024-03-0{1 + row % 9}T10:00:00Z\n" for row in range(number + 1)
        )
        sources.append(
            write_events(tmp_path / "drop" / f"events-{number:02}.csv", "user_id,item_id,event_type,ts\n" + rows)
        )
    # 20 files at once, one writer each; the other 5 by 4 writers each, all at the same time.
    batches = [[str(path)] for path in sources[:20]] + [[str(path) for path in sources[20:]]] * 4
    fork = multiprocessing.get_context("fork")
    writers = [fork.Process(target=ingest_in_child, args=(str(home.root), batch)) for batch in batches]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=120)
    assert [writer.exitcode for writer in writers] == [0] * len(writers)

    assert cli.main(["materialize", "--select", DATA_LAYER]) == 0

    with home.warehouse().connect() as connection:
        loads = connection.execute(
            "select name, count(*), sum(rows_events) from landing_files where status = 'loaded' group by all"
        ).fetchall()
        per_file = dict(connection.execute("select source_file, count(*) from raw_events group by all").fetchall())
    assert sorted(name for name, _, _ in loads) == [path.name for path in sources]
    assert all(count == 1 for _, count, _ in loads)
    assert per_file == {path.name: number + 1 for number, path in enumerate(sources)}
    for path in sources:
        assert (home.landing / "shop" / path.name).read_bytes() == path.read_bytes()


def test_ingest_refuses_a_fifo_without_waiting_for_a_writer(home, tmp_path, capsys):
    fifo = tmp_path / "p.csv"
    os.mkfifo(fifo)
    good = write_events(tmp_path / "events.csv")
    assert cli.main(["ingest", str(fifo), str(good), "--dataset", "shop"]) == 1
    assert "p.csv: is not a regular file" in capsys.readouterr().out
    assert [path.name for path in (home.landing / "shop").iterdir()] == ["events.csv"]


@pytest.mark.faults
def test_a_fifo_and_links_in_the_landing_folder_are_rejected_and_the_rest_loads(home, tmp_path, capsys):
    outside = write_events(tmp_path / "outside.csv")
    write_events(home.landing / "shop" / "events.csv")
    os.mkfifo(home.landing / "shop" / "p.csv")
    (home.landing / "shop" / "outside.csv").symlink_to(outside)
    (home.landing / "shop" / "passwd.csv").symlink_to("/etc/passwd")
    (home.landing / "shop" / "dangling.csv").symlink_to(tmp_path / "nothing.csv")

    assert cli.main(["materialize", "--select", DATA_LAYER]) == 0

    with home.warehouse().connect() as connection:
        statuses = dict(connection.execute("select name, status from landing_files").fetchall())
        errors = " ".join(row[0] for row in connection.execute("select error from landing_files").fetchall() if row[0])
        sources = {row[0] for row in connection.execute("select distinct source_file from raw_events").fetchall()}
    assert statuses == {
        "events.csv": "loaded",
        "p.csv": "rejected",
        "outside.csv": "rejected",
        "passwd.csv": "rejected",
        "dangling.csv": "rejected",
    }
    assert sources == {"events.csv"} and "root:" not in errors and "symbolic link" in errors
