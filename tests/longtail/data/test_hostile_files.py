"""Hostile and corrupt files: each either reads (row problems in ``parse_error``) or raises ``InputError``, within
bounded memory and time. Files are small and written here; limits are made tiny through their variables."""

from __future__ import annotations

import datetime
import gzip
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from longtail.data.adapters import detect_format, read_file
from longtail.data.adapters.common import ReadLimits
from longtail.errors import InputError

EVENTS_HEADER = "user_id,item_id,event_type,ts\n"
EVENT_LINE = "u1,i1,view,2020-01-01T00:00:00Z\n"
EVENT = {"user_id": "u1", "item_id": "i1", "event_type": "view", "ts": "2020-01-01T00:00:00Z"}


def gzipped(path: Path, data: bytes) -> Path:
    path.write_bytes(gzip.compress(data))
    return path


def zip_of(parts: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def workbook_bytes() -> bytes:
    """An Online Retail II workbook of one row."""
    columns = ["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country"]
    row = [489434, 85048, "BALL", 12, pd.Timestamp("2009-12-01 07:45"), 6.95, 13085, "UK"]
    buffer = io.BytesIO()
    pd.DataFrame([row], columns=columns).to_excel(buffer, index=False)
    return buffer.getvalue()


def with_part(workbook: bytes, name: str, data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        parts = {part: archive.read(part) for part in archive.namelist()}
    return zip_of({**parts, name: data})


# --- corrupt files -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "content",
    [
        zip_of({"junk.txt": "not a workbook"}),
        with_part(workbook_bytes(), "[Content_Types].xml", b"<<< not xml"),
        with_part(workbook_bytes(), "xl/worksheets/sheet1.xml", b"<worksheet><sheetData><row><c r='A1'><v>1"),
        with_part(workbook_bytes(), "xl/styles.xml", b"<styleSheet><cellXfs><xf numFmtId='x'/></cellXfs></styleSheet>"),
    ],
    ids=["zip-of-junk", "content-types-not-xml", "sheet-cut-short", "styles-wrong-type"],
)
def test_broken_xlsx_workbook_is_an_input_error(tmp_path, content):
    path = tmp_path / "online_retail_II.xlsx"
    path.write_bytes(content)
    with pytest.raises(InputError, match="not a readable xlsx workbook") as error:
        read_file(path)
    assert error.value.file == str(path)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("events.csv.gz", gzip.compress((EVENTS_HEADER + EVENT_LINE * 2000).encode())[:-300]),
        ("events.parquet", b"PAR1" + b"\x00" * 64 + b"PAR1"),
        ("online_retail_II.xlsx", workbook_bytes()[:-200]),
    ],
    ids=["truncated-gzip", "corrupt-parquet", "truncated-xlsx"],
)
def test_truncated_or_corrupt_file_is_an_input_error(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError):
        read_file(path)


# --- nested and out-of-range values ------------------------------------------------------------------------------
def test_parquet_list_and_struct_columns_become_json_text(tmp_path):
    events = pa.table(
        {
            "user_id": ["u1", "u2"],
            "item_id": [["i1"], ["i2", "i3"]],  # an id that is a list: kept as its JSON text
            "event_type": ["view", "cart"],
            "ts": ["2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z"],
            "rating": [[4.0], None],
            "tags": [["a", "b"], []],
            "meta": [{"source": "app", "ids": [1, 2]}, None],
        }
    )
    pq.write_table(events, tmp_path / "events.parquet")
    read = read_file(tmp_path / "events.parquet").events
    assert read["item_id"].tolist() == ['["i1"]', '["i2", "i3"]']
    assert pd.isna(read["rating"]).all()
    assert read["parse_error"].iloc[0] == "events.parquet, row 1, column 'rating': '[4.0]' is not a number"
    assert json.loads(read["raw_record"].iloc[0])["meta"] == '{"source": "app", "ids": [1, 2]}'
    assert pd.isna(read["parse_error"].iloc[1])

    items = pa.table(
        {"item_id": ["i1", "i2"], "title": ["Mug", "Cup"], "features": [["Dishwasher safe", "Blue"], None]}
    )
    pq.write_table(items, tmp_path / "items.parquet")
    read = read_file(tmp_path / "items.parquet").items
    assert json.loads(read["features"].iloc[0]) == ["Dishwasher safe", "Blue"]
    assert pd.isna(read["features"].iloc[1]) and read["parse_error"].isna().all()


def test_parquet_nested_date_past_year_9999_is_an_input_error_naming_the_column(tmp_path):
    seconds = pa.array([{"at": 10**13}], pa.struct([("at", pa.int64())]))  # the year 318857
    meta = seconds.cast(pa.struct([("at", pa.timestamp("s"))]))
    pq.write_table(pa.table({**{key: [value] for key, value in EVENT.items()}, "meta": meta}), tmp_path / "e.parquet")
    with pytest.raises(InputError, match="column 'meta': a nested value cannot be read"):
        read_file(tmp_path / "e.parquet")


def test_json_arrays_and_objects_in_scalar_fields_are_row_problems(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text(json.dumps({**EVENT, "rating": [5]}) + "\n" + json.dumps({**EVENT, "ts": {"at": "noon"}}) + "\n")
    events = read_file(path).events
    assert events["parse_error"].tolist() == [
        "events.jsonl, row 1, column 'rating': [5] is not a number",
        "events.jsonl, row 2, column 'ts': {'at': 'noon'} is not a timestamp",
    ]


def test_parquet_timestamp_out_of_the_nanosecond_range_is_a_row_problem(tmp_path):
    times = [datetime.datetime(2020, 1, 1), datetime.datetime(9999, 12, 31), datetime.datetime(2020, 1, 2, 3)]
    table = pa.table(
        {
            "user_id": ["u1", "u2", "u3"],
            "item_id": ["i1", "i2", "i3"],
            "event_type": ["view"] * 3,
            "ts": pa.array(times, pa.timestamp("us")),
        }
    )
    pq.write_table(table, tmp_path / "events.parquet")
    events = read_file(tmp_path / "events.parquet").events
    assert len(events) == 3
    assert events["ts"].iloc[0] == pd.Timestamp("2020-01-01", tz="UTC")
    assert events["ts"].iloc[2] == pd.Timestamp("2020-01-02 03:00", tz="UTC")
    assert pd.isna(events["ts"].iloc[1])
    problem = events["parse_error"].iloc[1]
    assert problem.startswith("events.parquet, row 2, column 'ts': ")
    assert "9999-12-31" in problem and problem.endswith("is out of the timestamp range")
    assert "9999-12-31" in events["raw_record"].iloc[1]
    assert events["parse_error"].iloc[[0, 2]].isna().all()


def test_deeply_nested_json_line_is_a_row_problem(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text(json.dumps(EVENT) + "\n" + '{"user_id": ' + "[" * 100_000 + "\n")
    events = read_file(path).events
    assert pd.isna(events["parse_error"].iloc[0])
    assert events["parse_error"].iloc[1].startswith("events.jsonl, row 2: malformed JSON")


def test_long_line_that_is_no_json_is_not_parsed_as_a_python_literal(tmp_path):
    # A Python dict literal takes hundreds of times its length in memory to parse: past 1 MiB it is not tried.
    long_literal = "{'asin': 'B2', 'title': 'T', 'also_buy': [" + "'x'," * 300_000 + "]}"
    path = tmp_path / "meta_Books.json"
    path.write_text(json.dumps({"asin": "B1", "title": "Strict JSON"}) + "\n" + long_literal + "\n")
    items = read_file(path).items
    assert items["item_id"].iloc[0] == "B1"
    assert items["parse_error"].iloc[1].startswith("meta_Books.json, row 2: malformed JSON")


# --- limits ------------------------------------------------------------------------------------------------------
def test_limits_are_read_from_the_environment_when_reading(monkeypatch):
    monkeypatch.delenv("LONGTAIL_MAX_DECOMPRESSED_BYTES", raising=False)
    monkeypatch.delenv("LONGTAIL_MAX_LINE_BYTES", raising=False)
    assert ReadLimits.from_env() == ReadLimits(max_decompressed_bytes=8 << 30, max_line_chars=16 << 20)
    monkeypatch.setenv("LONGTAIL_MAX_DECOMPRESSED_BYTES", "1000")
    monkeypatch.setenv("LONGTAIL_MAX_LINE_BYTES", "10")
    assert ReadLimits.from_env() == ReadLimits(max_decompressed_bytes=1000, max_line_chars=10)
    monkeypatch.setenv("LONGTAIL_MAX_LINE_BYTES", "ten")
    with pytest.raises(ValueError, match="LONGTAIL_MAX_LINE_BYTES must be a positive whole number, not 'ten'"):
        ReadLimits.from_env()


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("events.csv", EVENTS_HEADER + EVENT_LINE * 3 + "u2,i2,view," + "x" * 5000 + "\n" + EVENT_LINE),
        ("events.jsonl", (json.dumps(EVENT) + "\n") * 4 + json.dumps({**EVENT, "ts": "x" * 5000}) + "\n"),
    ],
)
def test_line_longer_than_the_limit_is_refused(tmp_path, monkeypatch, name, text):
    monkeypatch.setenv("LONGTAIL_MAX_LINE_BYTES", "1000")
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError, match="line 5 is longer than 1000 characters, .* LONGTAIL_MAX_LINE_BYTES") as error:
        read_file(path)
    assert error.value.file == str(path)


def test_lines_within_the_limit_are_read(tmp_path, monkeypatch):
    # pyarrow refuses a 900-character line in blocks of 500: the lenient reader takes it, within the limit (its
    # 890-character ts is a row problem).
    monkeypatch.setenv("LONGTAIL_MAX_LINE_BYTES", "1000")
    path = tmp_path / "events.csv"
    path.write_text(EVENTS_HEADER + EVENT_LINE * 200 + "u2,i2,view," + "x" * 900 + "\n" + EVENT_LINE)
    events = read_file(path).events
    assert len(events) == 202 and events["parse_error"].notna().sum() == 1


def test_header_longer_than_the_limit_is_refused_while_probing(tmp_path, monkeypatch):
    monkeypatch.setenv("LONGTAIL_MAX_LINE_BYTES", "1000")
    path = tmp_path / "events.csv"
    path.write_text("user_id,item_id,event_type,ts," + "x" * 5000 + "\n" + EVENT_LINE)
    with pytest.raises(InputError, match="line 1 is longer than 1000 characters"):
        detect_format(path)


def test_quoted_field_spanning_many_short_lines_is_held_to_the_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("LONGTAIL_MAX_LINE_BYTES", "1000")
    path = tmp_path / "events.csv"
    path.write_text(EVENTS_HEADER + 'u1,i1,view,"' + ("x" * 100 + "\n") * 49 + "x" * 100 + '"\n' + EVENT_LINE)
    # The field opens on line 2 with 101 characters a line: line 11 takes it past 1000.
    refusal = r"line 11: a field is longer than 1000 characters, the limit set by LONGTAIL_MAX_LINE_BYTES"
    with pytest.raises(InputError, match=refusal):
        read_file(path)


def test_gzip_decompressing_past_the_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("LONGTAIL_MAX_DECOMPRESSED_BYTES", "100000")
    small = gzipped(tmp_path / "small.csv.gz", (EVENTS_HEADER + EVENT_LINE * 100).encode())
    assert len(read_file(small).events) == 100
    large = gzipped(tmp_path / "large.csv.gz", (EVENTS_HEADER + EVENT_LINE * 10_000).encode())
    with pytest.raises(InputError, match="more than 100000 bytes, the limit set by LONGTAIL_MAX_DECOMPRESSED_BYTES"):
        read_file(large)


def test_xlsx_unpacking_past_the_limit_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "online_retail_II.xlsx"
    path.write_bytes(workbook_bytes())
    assert len(read_file(path).events) == 1
    monkeypatch.setenv("LONGTAIL_MAX_DECOMPRESSED_BYTES", "1000")
    with pytest.raises(InputError, match="more than 1000, the limit set by LONGTAIL_MAX_DECOMPRESSED_BYTES"):
        read_file(path)


@pytest.fixture(scope="module")
def gzip_of_zeros(tmp_path_factory) -> Path:
    """200 MB of zeros with no line end, about 200 kB on disk."""
    path = tmp_path_factory.mktemp("bomb") / "events.csv.gz"
    with gzip.open(path, "wb") as stream:
        for _ in range(200):
            stream.write(bytes(1 << 20))
    return path


def test_gzip_of_zeros_is_refused_at_the_decompressed_limit(gzip_of_zeros, monkeypatch):
    monkeypatch.setenv("LONGTAIL_MAX_DECOMPRESSED_BYTES", "1000000")
    with pytest.raises(InputError, match="more than 1000000 bytes, the limit set by LONGTAIL_MAX_DECOMPRESSED_BYTES"):
        read_file(gzip_of_zeros)


_READ_AND_MEASURE = """
import resource, sys
from pathlib import Path
from longtail.data.adapters import read_file
from longtail.errors import InputError
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    read_file(Path(sys.argv[1]))
except InputError as error:
    print(error)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)  # Linux: kilobytes -> MB
"""


def test_gzip_of_zeros_is_refused_with_the_default_limits_in_bounded_memory(gzip_of_zeros, monkeypatch):
    for variable in ("LONGTAIL_MAX_DECOMPRESSED_BYTES", "LONGTAIL_MAX_LINE_BYTES", "LONGTAIL_MAX_MESSAGE_CHARS"):
        monkeypatch.delenv(variable, raising=False)
    # In a fresh process, so that its peak memory is this read's alone.
    done = subprocess.run(
        [sys.executable, "-c", _READ_AND_MEASURE, str(gzip_of_zeros)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    message, growth_mb = done.stdout.strip().splitlines()
    assert "line 1 is longer than 16777216 characters, the limit set by LONGTAIL_MAX_LINE_BYTES" in message
    assert len(message) < 1000
    assert int(growth_mb) < 800


# --- messages ----------------------------------------------------------------------------------------------------
def test_long_messages_are_cut_and_non_printable_characters_escaped(tmp_path, monkeypatch):
    monkeypatch.setenv("LONGTAIL_MAX_MESSAGE_CHARS", "600")
    path = tmp_path / "export.csv"
    columns = ["\x1b[31mred\x00", "tab\there", *(f"column_{i}_" + "y" * 1000 for i in range(100))]
    path.write_text(",".join(columns) + "\n" + ",".join("1" * len(columns)) + "\n")
    with pytest.raises(InputError) as error:
        detect_format(path)
    message = str(error.value)
    location = f"{path}: "
    assert message.startswith(location + "not a supported format (supported: ")
    assert "'\\x1b[31mred\\x00'" in message and "'tab\\there'" in message
    assert message.isprintable()
    assert message.endswith(" more characters)")
    assert len(message) <= len(location) + 600 + len("… (99999 more characters)")


def test_input_error_cuts_its_reason_but_keeps_the_location(monkeypatch):
    monkeypatch.setenv("LONGTAIL_MAX_MESSAGE_CHARS", "20")
    error = InputError("a" * 10 + "\n" + "b" * 1000, file="dir/f.csv", row=3, column="c\x00" * 100)
    assert str(error).startswith("dir/f.csv, row 3, column 'c\\x00c\\x00")
    assert str(error).endswith(": aaaaaaaaaa\\nbbbbbbbb… (992 more characters)")
    monkeypatch.setenv("LONGTAIL_MAX_MESSAGE_CHARS", "2000")
    assert str(InputError("short", file="f.csv")) == "f.csv: short"
