"""Opening files (gzip transparently), probing them, and reading their records: CSV, JSON lines, parquet, xlsx.

The container kind comes from the content, not the name: parquet and xlsx by their magic bytes, JSON lines when
the first character is ``{``, CSV otherwise. Text is decoded as UTF-8 (a BOM is skipped) with
``errors="surrogateescape"``, so no file fails on a bad byte: the values holding one are stored with the byte as a
``\\xNN`` escape and their records get a problem naming the column.

CSV is read by pyarrow (fast, in batches) when the file is clean; when it is not (a line with the wrong number
of fields, bytes that are not UTF-8) it is read again with the ``csv`` module in blocks of records, which keeps
such a line as a record with null fields and its original text in ``raw_record``. Either way blank lines are not
records and empty fields are null.
"""

from __future__ import annotations

import ast
import csv
import gzip
import io
import json
import math
import re
from collections.abc import Sequence
from itertools import chain, islice
from pathlib import Path
from typing import IO

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from longtail.data.adapters.common import SURROGATES, Probe, RowProblems, escape_undecodable, undecodable
from longtail.data.adapters.records import Records
from longtail.errors import InputError

_GZIP_MAGIC = b"\x1f\x8b"
_BLOCK_RECORDS = 100_000
_ARROW_BLOCK_BYTES = 16 << 20
_PROBE_JSON_LINES = 50
# A line that may hold lone surrogates: an undecodable byte, or a JSON \uD800-\uDFFF escape.
_MAYBE_SURROGATES = re.compile("[\ud800-\udfff]|\\\\u[dD][89a-fA-F]")

csv.field_size_limit(2**31 - 1)  # fields of many MB are kept as they are (cleaning rejects them later)


def open_binary(path: Path) -> IO[bytes]:
    """The file's bytes, decompressed when it is gzip (recognised by its magic bytes, whatever its name)."""
    raw = open(path, "rb")  # noqa: SIM115 - returned to the caller
    if raw.read(2) == _GZIP_MAGIC:
        raw.seek(0)
        return gzip.GzipFile(fileobj=raw)
    raw.seek(0)
    return raw


def open_text(path: Path) -> IO[str]:
    """The file as text: UTF-8 (BOM skipped), undecodable bytes kept as surrogates, line ends untranslated."""
    return io.TextIOWrapper(open_binary(path), encoding="utf-8-sig", errors="surrogateescape", newline="")


def sniff_kind(path: Path) -> str:
    """``"parquet"``, ``"xlsx"``, ``"jsonl"`` or ``"csv"``, from the first bytes; an empty file raises."""
    with open_binary(path) as stream:
        head = stream.read(4096)
    if not head.strip():
        raise InputError("the file is empty", file=path)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"{"):
        return "jsonl"
    return "csv"


def probe(path: Path) -> Probe:
    """A first look at the file: its kind, its leading field names and whether it has any data."""
    kind = sniff_kind(path)
    if kind == "csv":
        with open_text(path) as stream:
            records = tuple(tuple(record) for record in islice(filter(None, csv.reader(stream)), 2))
        return Probe(kind, records[0] if records else (), records, has_data=len(records) > 1)
    if kind == "jsonl":
        keys: dict[str, None] = {}
        with open_text(path) as stream:
            lines = list(islice(filter(str.strip, stream), _PROBE_JSON_LINES))
        for line in lines:
            value, _ = _parse_json(line, python_literals=True)
            keys.update(dict.fromkeys(value or {}))
        return Probe(kind, tuple(keys), has_data=bool(lines))
    if kind == "parquet":
        with open_binary(path) as stream:
            parquet = pq.ParquetFile(stream)
            return Probe(kind, tuple(parquet.schema_arrow.names), has_data=parquet.metadata.num_rows > 0)
    with open_binary(path) as stream:
        book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
        heads = [list(sheet.iter_rows(max_row=2, values_only=True)) for sheet in book.worksheets]
        book.close()
    columns = tuple(str(cell) for cell in heads[0][0] if cell is not None) if heads and heads[0] else ()
    has_data = any(len(rows) > 1 and any(cell is not None for cell in rows[1]) for rows in heads)
    return Probe(kind, columns, has_data=has_data)


def read_records(
    path: Path,
    *,
    header: Sequence[str] | None = None,
    keys: Sequence[str] | None = None,
    python_literals: bool = False,
) -> Records:
    """All records of the file. ``header`` names the fields of a CSV that has no header line; ``keys`` are the
    JSON keys to keep (others are dropped while reading, to save memory); ``python_literals`` lets a JSON line
    that fails to parse be read as a Python dict literal instead (some Amazon 2018 metadata files)."""
    kind = sniff_kind(path)
    if kind == "csv":
        return _read_csv(path, header)
    if kind == "jsonl":
        return _read_jsonl(path, keys, python_literals)
    with open_binary(path) as stream:
        if kind == "parquet":
            frame = pd.read_parquet(stream)
        else:  # xlsx: every sheet, in order, as one run of records
            sheets = pd.read_excel(stream, sheet_name=None, dtype=object, engine="openpyxl")
            frame = pd.concat(sheets.values(), ignore_index=True) if sheets else pd.DataFrame()
    frame = frame.reset_index(drop=True)

    def raw_text(positions: Sequence[int]) -> list[str]:
        rows = frame.iloc[list(positions)].to_dict("records")
        return [
            json.dumps({k: _json_value(v) for k, v in row.items()}, ensure_ascii=False, default=str) for row in rows
        ]

    return Records(frame, np.arange(1, len(frame) + 1), RowProblems(path.name), raw_text)


def _read_csv(path: Path, header: Sequence[str] | None) -> Records:
    try:
        frame, problems, bad_lines = _read_clean_csv(path, header), RowProblems(path.name), {}
    except pa.ArrowInvalid:
        frame, problems, bad_lines = _read_csv_leniently(path, header)

    def raw_text(positions: Sequence[int]) -> list[str]:
        return [bad_lines.get(p) or _csv_line(frame.iloc[p].fillna("").tolist()) for p in positions]

    return Records(frame, np.arange(1, len(frame) + 1), problems, raw_text)


def _read_clean_csv(path: Path, header: Sequence[str] | None) -> pd.DataFrame:
    """All records as text (empty = null) with pyarrow; ``ArrowInvalid`` when any line or byte is bad."""
    if header is None:
        with open_text(path) as stream:
            names = next(filter(None, csv.reader(stream)), [])
    else:
        names = list(header)
    options = {
        "read_options": pa_csv.ReadOptions(block_size=_ARROW_BLOCK_BYTES, column_names=header),
        "parse_options": pa_csv.ParseOptions(newlines_in_values=True),
        "convert_options": pa_csv.ConvertOptions(
            column_types={name: pa.string() for name in names}, strings_can_be_null=True, null_values=[""]
        ),
    }
    with open_binary(path) as stream, pa_csv.open_csv(stream, **options) as reader:
        batches = [batch.to_pandas() for batch in reader]
    if not batches:
        return pd.DataFrame(columns=names, dtype=object)
    return pd.concat(batches, ignore_index=True)


def _read_csv_leniently(path: Path, header: Sequence[str] | None) -> tuple[pd.DataFrame, RowProblems, dict[int, str]]:
    """All records with the ``csv`` module, with the problems of bad lines and bytes and the text of bad lines."""
    problems = RowProblems(path.name)
    blocks: list[pd.DataFrame] = []
    bad_lines: dict[int, str] = {}
    with open_text(path) as stream:
        reader = csv.reader(stream)
        columns = list(header) if header is not None else next(filter(None, reader), [])
        width, start = len(columns), 0
        while raw_block := list(islice(reader, _BLOCK_RECORDS)):
            block = list(filter(None, raw_block))
            has_surrogates = SURROGATES.search("".join(chain.from_iterable(block))) is not None
            lengths = np.fromiter(map(len, block), dtype=np.int64, count=len(block))
            for i in np.flatnonzero(lengths != width):
                bad_lines[start + i] = _csv_line(block[i])
                problems.add([start + i], [start + i + 1], None, [f"expected {width} fields, found {lengths[i]}"])
                block[i] = [None] * width
            chunk = pd.DataFrame(block, columns=columns, dtype=object, index=range(start, start + len(block)))
            if has_surrogates:
                _escape_columns(chunk, problems)
            blocks.append(chunk.mask(chunk.eq("")))
            start += len(block)
    frame = pd.concat(blocks) if blocks else pd.DataFrame(columns=columns, dtype=object)
    return frame, problems, bad_lines


def _escape_columns(chunk: pd.DataFrame, problems: RowProblems) -> None:
    """Escape undecodable bytes in ``chunk`` (index = record positions) and record a problem per value."""
    for column in chunk.columns:
        values = chunk[column]
        hit = values.str.contains(SURROGATES.pattern, regex=True, na=False).to_numpy(dtype=bool)
        if hit.any():
            escaped = values[hit].map(escape_undecodable)
            chunk.loc[hit, column] = escaped
            problems.add(escaped.index, escaped.index + 1, str(column), map(undecodable, escaped))


def _read_jsonl(path: Path, keys: Sequence[str] | None, python_literals: bool) -> Records:
    problems = RowProblems(path.name)
    blocks: list[pd.DataFrame] = []
    line_numbers: list[int] = []
    with open_text(path) as stream:
        objects: list[dict] = []
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            position = len(line_numbers)
            line_numbers.append(number)
            value, error = _parse_json(line, python_literals)
            if error:
                problems.add([position], [number], None, [error])
            elif _MAYBE_SURROGATES.search(line):
                _escape_values(value, position, number, problems)
            objects.append(value or {})
            if len(objects) == _BLOCK_RECORDS:
                blocks.append(pd.DataFrame(objects, columns=keys))
                objects = []
        blocks.append(pd.DataFrame(objects, columns=keys))
    frame = pd.concat(blocks, ignore_index=True)

    def raw_text(positions: Sequence[int]) -> list[str]:
        wanted = {line_numbers[p]: p for p in positions}
        found: dict[int, str] = {}
        with open_text(path) as stream:
            for number, line in enumerate(stream, start=1):
                if number in wanted:
                    found[number] = line.rstrip("\r\n")
                    if len(found) == len(wanted):
                        break
        return [found.get(line_numbers[p], "") for p in positions]

    return Records(frame, np.asarray(line_numbers, dtype=np.int64), problems, raw_text)


def _parse_json(line: str, python_literals: bool) -> tuple[dict | None, str | None]:
    """The object on ``line``, or ``(None, why not)``."""
    try:
        value = json.loads(line)
    except ValueError as error:
        value = _python_literal(line) if python_literals else None
        if value is None:
            return None, f"malformed JSON ({error})"
    if not isinstance(value, dict):
        return None, f"a JSON {type(value).__name__}, not an object"
    return value, None


def _python_literal(line: str) -> dict | None:
    try:
        value = ast.literal_eval(line.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _escape_values(record: dict, position: int, number: int, problems: RowProblems) -> None:
    """Escape lone surrogates anywhere in ``record``'s values, recording a problem per affected key."""
    for key, value in record.items():
        escaped = _escape_nested(value)
        if escaped != value:
            record[key] = escaped
            text = escaped if isinstance(escaped, str) else json.dumps(escaped, ensure_ascii=False)
            problems.add([position], [number], key, [undecodable(text)])


def _escape_nested(value: object) -> object:
    if isinstance(value, str):
        return escape_undecodable(value)
    if isinstance(value, list):
        return [_escape_nested(item) for item in value]
    if isinstance(value, dict):
        return {escape_undecodable(k): _escape_nested(v) for k, v in value.items()}
    return value


def _csv_line(fields: Sequence[object]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(fields)
    return out.getvalue()


def _json_value(value: object) -> object:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value
