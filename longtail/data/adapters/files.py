"""Opening files (gzip transparently), probing them, and reading their records: CSV, JSON lines, parquet, xlsx.

The container kind comes from the content, not the name: parquet and xlsx by their magic bytes, JSON lines when
the first character is ``{``, CSV otherwise. Text is decoded as UTF-8 (a BOM is skipped) with
``errors="surrogateescape"``, so no file fails on a bad byte: the values holding one are stored with the byte as a
``\\xNN`` escape and their records get a problem naming the column.

CSV is read by pyarrow (fast, in batches) when the file is clean; when it is not (a line with the wrong number
of fields, bytes that are not UTF-8) it is read again with the ``csv`` module in blocks of records, which keeps
such a line as a record with null fields and its original text in ``raw_record``. Either way blank lines are not
records and empty fields are null.

Reading stays within ``ReadLimits`` (read from the environment at each ``probe`` and ``read_records``), through the
bounded streams of ``streams``.
"""

from __future__ import annotations

import ast
import contextlib
import csv
import io
import json
import math
import re
import zipfile
from collections.abc import Iterator, Sequence
from itertools import chain, islice
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from longtail.data.adapters.common import (
    DECOMPRESSED_BYTES_VARIABLE,
    SURROGATES,
    Probe,
    ReadLimits,
    RowProblems,
    escape_undecodable,
    undecodable,
)
from longtail.data.adapters.records import Records
from longtail.data.adapters.streams import csv_reader, open_binary, open_text, sniff_kind, text_lines
from longtail.errors import InputError

_BLOCK_RECORDS = 100_000
_ARROW_BLOCK_BYTES = 16 << 20
_PROBE_JSON_LINES = 50
# A line that may hold lone surrogates: an undecodable byte, or a JSON \uD800-\uDFFF escape.
_MAYBE_SURROGATES = re.compile("[\ud800-\udfff]|\\\\u[dD][89a-fA-F]")
# The longest line tried as a Python dict literal when it is not JSON: parsing one takes hundreds of times its
# length in memory (16 MB take 7 GB), and the real lines of that kind (Amazon 2018 metadata) are a few kB.
_MAX_PYTHON_LITERAL_CHARS = 1 << 20


def probe(path: Path) -> Probe:
    """A first look at the file: its kind, its leading field names and whether it has any data."""
    limits = ReadLimits.from_env()
    kind = sniff_kind(path, limits)
    if kind == "csv":
        with open_text(path, limits) as stream, csv_reader(stream, path, limits) as reader:
            records = tuple(tuple(record) for record in islice(filter(None, reader), 2))
        return Probe(kind, records[0] if records else (), records, has_data=len(records) > 1)
    if kind == "jsonl":
        keys: dict[str, None] = {}
        has_data = False
        with open_text(path, limits) as stream:
            for line in islice(filter(str.strip, text_lines(stream, path, limits)), _PROBE_JSON_LINES):
                value, _ = _parse_json(line, python_literals=True)
                keys.update(dict.fromkeys(value or {}))
                has_data = True
        return Probe(kind, tuple(keys), has_data=has_data)
    if kind == "parquet":
        with open_binary(path, limits) as stream:
            parquet = pq.ParquetFile(stream)
            return Probe(kind, tuple(parquet.schema_arrow.names), has_data=parquet.metadata.num_rows > 0)
    import openpyxl  # only for workbooks: it takes a tenth of every definitions load otherwise

    with open_binary(path, limits) as stream, _workbook_errors(stream, path, limits):
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
    limits = ReadLimits.from_env()
    kind = sniff_kind(path, limits)
    if kind == "csv":
        return _read_csv(path, header, limits)
    if kind == "jsonl":
        return _read_jsonl(path, keys, python_literals, limits)
    with open_binary(path, limits) as stream:
        if kind == "parquet":
            frame = _read_parquet(stream, path)
        else:  # xlsx: every sheet, in order, as one run of records
            with _workbook_errors(stream, path, limits):
                sheets = pd.read_excel(stream, sheet_name=None, dtype=object, engine="openpyxl")
            frame = pd.concat(sheets.values(), ignore_index=True) if sheets else pd.DataFrame()
    frame = frame.reset_index(drop=True)

    def raw_text(positions: Sequence[int]) -> list[str]:
        rows = frame.iloc[list(positions)].to_dict("records")
        return [
            json.dumps({k: _json_value(v) for k, v in row.items()}, ensure_ascii=False, default=str) for row in rows
        ]

    return Records(frame, np.arange(1, len(frame) + 1), RowProblems(path.name), raw_text)


def _read_parquet(stream: IO[bytes], path: Path) -> pd.DataFrame:
    """The table as a frame, each list, struct or map column as JSON text (an array or object per value): nested
    values as found cannot be hashed or compared, and the parsers take JSON text wherever they take text."""
    table = pq.read_table(stream)
    for index, (name, column) in enumerate(zip(table.column_names, table.columns, strict=True)):
        if pa.types.is_nested(column.type):
            try:
                values = column.to_pylist()
            except OverflowError as error:  # a date inside past year 9999, which Python cannot hold
                raise InputError(f"a nested value cannot be read: {error}", file=path, column=name) from error
            texts = [None if value is None else json.dumps(value, ensure_ascii=False, default=str) for value in values]
            table = table.set_column(index, name, pa.array(texts, pa.string()))
    return table.to_pandas()


@contextlib.contextmanager
def _workbook_errors(stream: IO[bytes], path: Path, limits: ReadLimits) -> Iterator[None]:
    """Around reading the xlsx workbook in ``stream``: refuse one whose parts unpack to more than
    ``limits.max_decompressed_bytes`` (their sizes as the zip directory declares them, which the ``zipfile``
    module holds each part to), and turn what openpyxl raises on a broken workbook into ``InputError``."""
    try:
        with zipfile.ZipFile(stream) as archive:
            unpacked = sum(part.file_size for part in archive.infolist())
        stream.seek(0)
        if unpacked > limits.max_decompressed_bytes:
            raise InputError(
                f"unpacks to {unpacked} bytes, more than {limits.max_decompressed_bytes}, the limit set by "
                f"{DECOMPRESSED_BYTES_VARIABLE}",
                file=path,
            )
        yield
    except InputError:  # a ValueError, but already says what is wrong
        raise
    # openpyxl's complaints about a broken workbook: a missing part (KeyError), XML that does not parse
    # (ParseError, a SyntaxError), values of the wrong type or form (TypeError, ValueError), not a zip at all.
    except (KeyError, ValueError, TypeError, SyntaxError, zipfile.BadZipFile) as error:
        raise InputError(f"not a readable xlsx workbook: {error}", file=path) from error


def _read_csv(path: Path, header: Sequence[str] | None, limits: ReadLimits) -> Records:
    try:
        frame, problems, bad_lines = _read_clean_csv(path, header, limits), RowProblems(path.name), {}
    except pa.ArrowInvalid:
        frame, problems, bad_lines = _read_csv_leniently(path, header, limits)

    def raw_text(positions: Sequence[int]) -> list[str]:
        return [bad_lines.get(p) or _csv_line(frame.iloc[p].fillna("").tolist()) for p in positions]

    return Records(frame, np.arange(1, len(frame) + 1), problems, raw_text)


def _read_clean_csv(path: Path, header: Sequence[str] | None, limits: ReadLimits) -> pd.DataFrame:
    """All records as text (empty = null) with pyarrow; ``ArrowInvalid`` when any line or byte is bad.

    pyarrow refuses a record longer than two of its blocks (and may take one up to that long), so blocks of half
    the line limit send every longer line to the lenient reader, which holds lines and fields to the limit."""
    if header is None:
        with open_text(path, limits) as stream, csv_reader(stream, path, limits) as reader:
            names = next(filter(None, reader), [])
    else:
        names = list(header)
    block_bytes = min(_ARROW_BLOCK_BYTES, max(limits.max_line_chars // 2, 1))
    options = {
        "read_options": pa_csv.ReadOptions(block_size=block_bytes, column_names=header),
        "parse_options": pa_csv.ParseOptions(newlines_in_values=True),
        "convert_options": pa_csv.ConvertOptions(
            column_types={name: pa.string() for name in names}, strings_can_be_null=True, null_values=[""]
        ),
    }
    with open_binary(path, limits) as stream, pa_csv.open_csv(stream, **options) as reader:
        batches = [batch.to_pandas() for batch in reader]
    if not batches:
        return pd.DataFrame(columns=names, dtype=object)
    return pd.concat(batches, ignore_index=True)


def _read_csv_leniently(
    path: Path, header: Sequence[str] | None, limits: ReadLimits
) -> tuple[pd.DataFrame, RowProblems, dict[int, str]]:
    """All records with the ``csv`` module, with the problems of bad lines and bytes and the text of bad lines."""
    problems = RowProblems(path.name)
    blocks: list[pd.DataFrame] = []
    bad_lines: dict[int, str] = {}
    with open_text(path, limits) as stream, csv_reader(stream, path, limits) as reader:
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


def _read_jsonl(path: Path, keys: Sequence[str] | None, python_literals: bool, limits: ReadLimits) -> Records:
    problems = RowProblems(path.name)
    blocks: list[pd.DataFrame] = []
    line_numbers: list[int] = []
    with open_text(path, limits) as stream:
        objects: list[dict] = []
        for number, line in enumerate(text_lines(stream, path, limits), start=1):
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
        with open_text(path, limits) as stream:
            for number, line in enumerate(text_lines(stream, path, limits), start=1):
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
    except (ValueError, RecursionError) as error:  # RecursionError: arrays or objects nested too deeply
        value = _python_literal(line) if python_literals and len(line) <= _MAX_PYTHON_LITERAL_CHARS else None
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
