import duckdb
import pandas as pd
import pytest

from longtail.data.warehouse import Window, connect, read_table, replace_rows, replace_windows


def test_replace_rows_rewrites_a_window_idempotently(tmp_path):
    path = tmp_path / "w.duckdb"
    day1 = pd.DataFrame({"day": [1, 1], "v": ["a", "b"]})
    day2 = pd.DataFrame({"day": [2], "v": ["c"]})
    with connect(path) as connection:
        replace_rows(connection, "t", day1, "day = ?", [1])
        replace_rows(connection, "t", day2, "day = ?", [2])
        replace_rows(connection, "t", day1, "day = ?", [1])
        assert sorted(read_table(connection, "t")["v"]) == ["a", "b", "c"]
        replace_rows(connection, "t", day1.iloc[:1], "day = ?", [1])
        assert sorted(read_table(connection, "t")["v"]) == ["a", "c"]


def test_failed_rewrite_rolls_back(tmp_path):
    with connect(tmp_path / "w.duckdb") as connection:
        replace_rows(connection, "t", pd.DataFrame({"day": [1], "v": ["a"]}))
        with pytest.raises(duckdb.Error):
            replace_rows(connection, "t", pd.DataFrame({"day": ["not a number"], "v": ["b"]}))
        assert read_table(connection, "t")["v"].tolist() == ["a"]


def test_a_new_column_is_added_to_a_table_written_before_it_existed(tmp_path):
    with connect(tmp_path / "w.duckdb") as connection:
        replace_rows(connection, "t", pd.DataFrame({"day": [1, 2], "v": ["a", "b"]}))
        replace_rows(connection, "t", pd.DataFrame({"day": [2], "v": ["c"], "note": ["new"]}), "day = ?", [2])
        table = read_table(connection, "t").sort_values("day")
        assert table["v"].tolist() == ["a", "c"]
        assert table["note"].isna().tolist() == [True, False] and table["note"].iloc[1] == "new"


def test_a_table_created_from_an_empty_window_takes_the_types_of_later_rows(tmp_path):
    """Cleaning an empty partition first creates the table from an empty frame, whose text columns have no type."""
    empty = pd.DataFrame({"day": pd.Series([], dtype="int64"), "v": pd.Series([], dtype=object)})
    with connect(tmp_path / "w.duckdb") as connection:
        replace_rows(connection, "t", empty, "day = ?", [1])
        replace_rows(connection, "t", pd.DataFrame({"day": [2], "v": ["b"]}), "day = ?", [2])
        assert read_table(connection, "t").to_dict("records") == [{"day": 2, "v": "b"}]


def test_read_table_of_a_missing_table_is_empty(tmp_path):
    with connect(tmp_path / "w.duckdb") as connection:
        assert read_table(connection, "nothing").empty


LOCK_HOLDER = """
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
connection.close()
"""


def test_connect_waits_for_another_process_lock(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "w.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(path), "1.5"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    with connect(path, lock_timeout_s=30) as connection:
        assert connection.execute("select 1").fetchone() == (1,)
    holder.wait()
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(path), "5"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    with pytest.raises(duckdb.IOException, match="lock"):
        with connect(path, lock_timeout_s=0.3):
            pass
    holder.kill()


def test_windows_are_replaced_together_or_not_at_all(tmp_path):
    with connect(tmp_path / "w.duckdb") as connection:
        replace_rows(connection, "cleaned", pd.DataFrame({"day": [1], "v": ["old"]}))
        replace_rows(connection, "quarantine", pd.DataFrame({"day": [1], "n": [1]}))
        with pytest.raises(duckdb.Error):
            replace_windows(
                connection,
                [
                    Window("cleaned", pd.DataFrame({"day": [1], "v": ["new"]}), "day = ?", [1]),
                    Window("quarantine", pd.DataFrame({"day": [1], "n": ["not a number"]}), "day = ?", [1]),
                ],
            )
        assert read_table(connection, "cleaned")["v"].tolist() == ["old"]
        assert read_table(connection, "quarantine")["n"].tolist() == [1]


def test_vectors_round_trip_per_dataset_with_nulls(tmp_path):
    import numpy as np

    from longtail.data.warehouse import drop_other_datasets, read_vectors, replace_dataset_rows

    vectors = [np.array([1, 0, 0], np.float32), None, np.array([0, 0.6, 0.8], np.float32)]
    frame = pd.DataFrame({"dataset": ["a", "a", "b"], "item_id": ["x", "y", "z"], "embedding": vectors})
    with connect(tmp_path / "w.duckdb") as connection:
        replace_dataset_rows(connection, "vectors", frame, vector_column="embedding")
        replace_dataset_rows(connection, "vectors", frame.iloc[[0]], vector_column="embedding")
        assert connection.execute("select dataset, item_id from vectors order by all").fetchall() == [
            ("a", "x"),
            ("b", "z"),
        ]
        ids, matrix = read_vectors(connection, "vectors", "b")
        assert ids.tolist() == ["z"] and matrix.tolist() == [[0, pytest.approx(0.6), pytest.approx(0.8)]]
        drop_other_datasets(connection, "vectors", ["b"])
        assert read_vectors(connection, "vectors", "a")[1].shape == (0, 0)


def test_variable_length_vectors_allow_datasets_without_any(tmp_path):
    import numpy as np

    from longtail.data.warehouse import replace_dataset_rows

    with_vectors = pd.DataFrame({"dataset": ["a"], "user_id": ["u"], "taste": [np.ones(3, np.float32)]})
    without = pd.DataFrame({"dataset": ["b"], "user_id": ["v"], "taste": [None]})
    with connect(tmp_path / "w.duckdb") as connection:
        replace_dataset_rows(connection, "profiles", with_vectors, vector_column="taste", fixed_size=False)
        replace_dataset_rows(connection, "profiles", without, vector_column="taste", fixed_size=False)
        rows = connection.execute("select dataset, taste from profiles order by dataset").fetchall()
    assert rows == [("a", [1.0, 1.0, 1.0]), ("b", None)]


def killed_while_duckdb_creates(path: str) -> None:
    """A process killed after DuckDB created the file but before it wrote the header (as in CI's kill trials)."""
    import os
    import signal

    from longtail.data import warehouse

    def create_then_die(file, **_):
        open(file, "wb").close()
        os.kill(os.getpid(), signal.SIGKILL)

    warehouse.duckdb.connect = create_then_die
    with connect(path):
        pass


def test_a_process_killed_while_creating_the_warehouse_leaves_none(tmp_path):
    import multiprocessing

    path = tmp_path / "w.duckdb"
    killed = multiprocessing.get_context("fork").Process(target=killed_while_duckdb_creates, args=(str(path),))
    killed.start()
    killed.join()
    assert killed.exitcode == -9
    assert not path.exists()
    with connect(path) as connection:
        replace_rows(connection, "t", pd.DataFrame({"v": [1]}))
    with connect(path, read_only=True) as connection:
        assert read_table(connection, "t")["v"].tolist() == [1]


def test_a_warehouse_created_by_another_process_first_is_kept(tmp_path):
    from longtail.data.warehouse import create

    path = tmp_path / "w.duckdb"
    with connect(path) as connection:
        replace_rows(connection, "t", pd.DataFrame({"v": [1]}))
    create(path)
    with connect(path, read_only=True) as connection:
        assert read_table(connection, "t")["v"].tolist() == [1]
    assert [p.name for p in tmp_path.iterdir()] == ["w.duckdb"]
