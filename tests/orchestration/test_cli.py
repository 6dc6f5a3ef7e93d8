import gzip
import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from orchestration import cli, definitions
from tests.fixtures import write_events, write_items, write_reviews


def test_ingest_reports_what_it_found_and_registers_files(home, tmp_path, capsys):
    source = tmp_path / "drop"
    write_events(source / "events.csv")
    write_items(source / "items.csv")
    assert cli.main(["ingest", str(source), "--dataset", "shop"]) == 0
    out = capsys.readouterr().out
    assert "new      shop/events.csv: canonical_events" in out and "7 events" in out
    assert sorted(p.name for p in (home.landing / "shop").iterdir()) == ["events.csv", "items.csv"]

    assert cli.main(["ingest", str(source / "events.csv"), "--dataset", "shop"]) == 0
    assert "unchanged shop/events.csv" in capsys.readouterr().out


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("notes.csv", "colour,size\nred,XL\n", "notes.csv"),
        ("empty.csv", "", "empty.csv"),
        ("half.csv", "user_id,item_id,ts\nu,i,2024-01-01\n", "event_type"),
    ],
)
def test_ingest_rejects_unreadable_files_naming_them_and_copies_nothing(
    home, tmp_path, capsys, name, content, expected
):
    bad = write_events(tmp_path / "drop" / name, content)
    good = write_items(tmp_path / "drop" / "items.csv")
    assert cli.main(["ingest", str(bad), str(good), "--dataset", "shop"]) == 1
    out = capsys.readouterr().out
    error = next(line for line in out.splitlines() if "ERROR" in line)
    assert name in error and expected in error
    assert [p.name for p in (home.landing / "shop").iterdir()] == ["items.csv"]


def test_ingest_from_a_folder_whose_name_is_no_dataset_name_says_how_to_choose_one(home, tmp_path, capsys, monkeypatch):
    path = write_events(tmp_path / ".x" / "events.csv")
    assert cli.main(["ingest", str(path)]) == 1
    error = capsys.readouterr().out.splitlines()[0]
    assert "dataset name '.x' must be at most 100 characters, start with a letter or digit" in error
    assert error.endswith(": pass --dataset NAME to choose one")
    assert not home.landing.exists()

    # A file named without its folder takes the name of the folder it is in.
    monkeypatch.chdir(path.parent)
    assert cli.main(["ingest", "events.csv"]) == 1
    assert "'.x'" in capsys.readouterr().out
    assert cli.main(["ingest", "events.csv", "--dataset", "shop"]) == 0
    assert [p.name for p in (home.landing / "shop").iterdir()] == ["events.csv"]


def test_ingest_flags_rows_with_problems_but_keeps_them(home, tmp_path, capsys):
    path = tmp_path / "drop" / "reviews.jsonl.gz"
    path.parent.mkdir(parents=True)
    with gzip.open(path, "wt") as handle:
        good = {
            "review_id": "r1",
            "user_id": "u",
            "item_id": "i",
            "rating": 5,
            "text": "ok",
            "ts": "2024-01-01T00:00:00Z",
        }
        handle.write(json.dumps(good) + "\n")
        handle.write("{not json\n")
    assert cli.main(["ingest", str(path), "--dataset", "shop"]) == 0
    assert "2 reviews; 1 rows with problems (quarantined when cleaned)" in capsys.readouterr().out


def test_materialize_runs_the_graph_and_names_a_failed_check(home, capsys, monkeypatch):
    # The fake models: the demo test below runs this code path with the real ones.
    monkeypatch.setattr(definitions, "build_resources", home.resources)
    home.drop_shop_files()
    assert cli.main(["materialize"]) == 0
    out = capsys.readouterr().out
    assert "for days 2024-03-01...2024-03-03" in out and "all selected assets materialized" in out
    assert home.count("select count(*) from cleaned_events") == 3
    assert (home.root / "dagster" / "dagster.yaml").exists()

    with home.warehouse().connect() as connection:
        connection.execute("update raw_reviews set source_file = null where source_row = 1")
    assert cli.main(["materialize", "--select", "cleaned_reviews"]) == 0
    assert cli.main(["materialize", "--select", "raw_reviews"]) == 1
    out = capsys.readouterr().out
    assert "failed check: raw_reviews:source_file_not_null" in out


def test_materialize_rejects_an_unknown_selection(home, capsys):
    assert cli.main(["materialize", "--select", "no_such_asset"]) == 2
    assert "no asset matches" in capsys.readouterr().out


@pytest.mark.parametrize("data_dir", [None, ""])
def test_demo_offline_says_how_to_use_a_local_copy(home, monkeypatch, data_dir):
    """No data folder, or an empty LONGTAIL_DATA_DIR as `make demo` exports it where no shared data sits beside the
    checkout: the demo downloads Online Retail II, and offline it says how to point it at a local copy."""

    def offline(*args, **kwargs):
        raise OSError("Temporary failure in name resolution")

    if data_dir is None:
        monkeypatch.delenv("LONGTAIL_DATA_DIR", raising=False)
    else:
        monkeypatch.setenv("LONGTAIL_DATA_DIR", data_dir)
    monkeypatch.setattr(urllib.request, "urlretrieve", offline)
    with pytest.raises(SystemExit) as stopped:
        cli.main(["demo"])
    message = str(stopped.value)
    assert "could not download" in message and "--data-dir PATH" in message and "LONGTAIL_DATA_DIR" in message


def test_demo_on_a_data_folder_reports_rows_per_rule(home, tmp_path, capsys):
    data = tmp_path / "data"
    write_events(data / "shop" / "events.csv")
    write_reviews(data / "shop" / "reviews.jsonl")
    (data / "README.md").write_text("not data")
    assert cli.main(["demo", "--data-dir", str(data)]) == 0
    report = (home.root / "reports" / "data_layer.json").read_text()
    assert '"quarantined:cancellation": 1' in report and '"raw": 7' in report

    out = capsys.readouterr().out
    summary = out[out.index("What was built") :]
    assert "\n  raw_events " in summary and "\n  recommendation_lists " in summary
    assert str(home.root / "reports") in summary and "http://127.0.0.1:3000" in summary
    assert "demo finished in" in summary and '"quarantined:cancellation"' not in out


# Concurrent writers: in the fault tier (about 40 s of two runs waiting on one lock).
@pytest.mark.faults
def test_concurrent_runs_queue_on_the_warehouse_lock_instead_of_failing(home):
    home.drop_shop_files()
    assert cli.main(["materialize", "--select", "raw_events"]) == 0
    longtail = Path(sys.executable).with_name("longtail")
    env = {**os.environ, "LONGTAIL_HOME": str(home.root)}
    runs = [
        subprocess.Popen([str(longtail), "materialize", "--select", asset], env=env, stdout=subprocess.PIPE, text=True)
        for asset in ("cleaned_items", "cleaned_reviews", "cleaned_items")
    ]
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    assert home.count("select count(*) from cleaned_items") == 3


@pytest.mark.spark
def test_spark_cluster_prints_the_engine_settings_and_stops_its_workers_on_sigterm(home):
    import signal
    import time

    process = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "spark-cluster", "--workers", "1", "--memory", "1g"],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "LONGTAIL_HOME": str(home.root)},
    )  # fmt: skip
    try:
        lines = []
        deadline = time.monotonic() + 120
        while not any("Ctrl-C" in line for line in lines) and time.monotonic() < deadline:
            lines.append(process.stdout.readline())
        settings = "".join(lines)
        assert "LONGTAIL_ENGINE=spark LONGTAIL_SPARK_MASTER=spark://127.0.0.1:" in settings, settings
        worker_dir = str(home.root / "spark" / "cluster" / "worker-0")
        assert worker_dir in subprocess.run(["ps", "-ww", "-eo", "args"], capture_output=True, text=True).stdout
    finally:
        process.send_signal(signal.SIGTERM)
        status = process.wait(timeout=60)
    assert status == 0
    assert worker_dir not in subprocess.run(["ps", "-ww", "-eo", "args"], capture_output=True, text=True).stdout
