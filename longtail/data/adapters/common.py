"""What every adapter shares: the result type, the format registry entry, and row-problem bookkeeping."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from longtail.data.schema import empty_raw_frame
from longtail.errors import EXCERPT_CHARS, cut, format_location, positive_int_from_env

Tables = dict[str, pd.DataFrame]  # table name ("events", "items", "reviews") -> raw frame


@dataclass(frozen=True)
class ReadResult:
    """The three raw tables read from one file; tables the format does not carry are empty (right columns)."""

    format: str
    events: pd.DataFrame = field(default_factory=lambda: empty_raw_frame("events"))
    items: pd.DataFrame = field(default_factory=lambda: empty_raw_frame("items"))
    reviews: pd.DataFrame = field(default_factory=lambda: empty_raw_frame("reviews"))


DECOMPRESSED_BYTES_VARIABLE = "LONGTAIL_MAX_DECOMPRESSED_BYTES"
LINE_BYTES_VARIABLE = "LONGTAIL_MAX_LINE_BYTES"


@dataclass(frozen=True)
class ReadLimits:
    """How much reading one file may take in, so that a hostile file is refused instead of exhausting memory.

    ``from_env()`` reads each limit from its environment variable when a read starts. A file over a limit raises
    ``InputError`` naming the limit and its variable, found while streaming (nothing oversized is held first).
    The longest ``InputError`` message has its own variable (``longtail.errors.max_message_chars``), read by
    every error wherever it is raised.
    """

    # The most bytes a compressed file may unpack to: a gzip file's content, or all the parts of an xlsx (zip)
    # workbook together. The default, 8 GiB, is far above the real dataset files (the largest in shared/data
    # unpacks to about 6 MB); every row read is held in memory, so a much larger file could not be read on an
    # ordinary machine anyway.
    max_decompressed_bytes: int = 8 << 30
    # The longest line of a CSV or JSON lines file (line end included) and the longest CSV field, in characters
    # of decoded text (bytes, for ASCII text). The default, 16 Mi characters, is far above the longest real line
    # (14 kB).
    max_line_chars: int = 16 << 20

    @classmethod
    def from_env(cls) -> ReadLimits:
        """The limits set by ``LONGTAIL_MAX_DECOMPRESSED_BYTES`` and ``LONGTAIL_MAX_LINE_BYTES`` (defaults above)."""
        return cls(
            max_decompressed_bytes=positive_int_from_env(DECOMPRESSED_BYTES_VARIABLE, cls.max_decompressed_bytes),
            max_line_chars=positive_int_from_env(LINE_BYTES_VARIABLE, cls.max_line_chars),
        )


@dataclass(frozen=True)
class Probe:
    """A cheap first look at a file: its container kind and the field names it starts with.

    ``columns`` are the CSV header (or, for a headerless CSV, the fields of its first record), the parquet/xlsx
    column names, or the keys seen in the first JSON objects. ``first_records`` holds up to two CSV records
    so headerless formats can be sniffed; ``has_data`` says whether a record follows the header (CSV, xlsx) or
    any record exists at all (JSON lines, parquet).
    """

    kind: str  # "csv", "jsonl", "parquet" or "xlsx"
    columns: tuple[str, ...]
    first_records: tuple[tuple[str, ...], ...] = ()
    has_data: bool = True


@dataclass(frozen=True)
class Format:
    """One supported file format: how to recognise it from a probe and how to read it.

        A format matches when the file's kind is one of ``kinds``, its name matches ``file_name`` (when given), and
        either all ``signature`` columns are present or, for headerless files, ``sniff(probe)`` is true. A matching
        file that lacks one of ``required`` cannot be read. ``read(path, timezone)`` returns the tables; ``timezone``
        is the zone of timestamps written without one (``default_timezone`` unless the caller names another); tables
    the format does not carry are left out.
    """

    name: str
    description: str
    kinds: frozenset[str]
    signature: frozenset[str]
    required: tuple[str, ...]
    read: Callable[[Path, str], Tables]
    file_name: re.Pattern[str] | None = None
    sniff: Callable[[Probe], bool] | None = None
    has_header: bool = True
    default_timezone: str = "UTC"

    def matches(self, path: Path, probe: Probe) -> bool:
        if probe.kind not in self.kinds:
            return False
        if self.file_name is not None and not self.file_name.search(path.name):
            return False
        if self.sniff is not None:
            return self.sniff(probe)
        return self.signature <= set(probe.columns)


# Lone surrogates: undecodable bytes read with errors="surrogateescape" (U+DC80..U+DCFF) or unpaired JSON escapes.
SURROGATES = re.compile("[\ud800-\udfff]")


def escape_undecodable(text: str) -> str:
    """``text`` with undecodable bytes written as ``\\xNN`` (other lone surrogates as ``\\uNNNN``): valid UTF-8."""

    def escape(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"

    return SURROGATES.sub(escape, text)


def undecodable(escaped: str) -> str:
    """The problem detail for a value that held bytes which are not UTF-8 (given with them escaped)."""
    return f"'{cut(escaped, EXCERPT_CHARS)}' is not valid UTF-8 (undecodable bytes kept as \\xNN escapes)"


class RowProblems:
    """Row-level problems found while reading one file, keyed by record position (0-based).

    Each message reads ``"<file name>, row N, column 'C': detail"``; a record with several problems gets them
    joined with ``"; "`` in its ``parse_error``.
    """

    def __init__(self, file_name: str):
        self.file_name = file_name
        self._positions: list[int] = []
        self._messages: list[str] = []

    def add(self, positions: Iterable[int], rows: Iterable[int], column: str | None, details: Iterable[str]) -> None:
        """Record ``details`` for the records at ``positions`` whose 1-based row numbers are ``rows``."""
        for position, row, detail in zip(positions, rows, details, strict=True):
            self._positions.append(int(position))
            self._messages.append(f"{format_location(self.file_name, int(row), column)}: {detail}")

    def messages(self, count: int) -> pd.Series:
        """One ``parse_error`` value per record position ``0..count-1`` (null where the record was fine)."""
        if not self._positions:
            return pd.Series(pd.NA, index=range(count), dtype="string")
        joined = (
            pd.Series(self._messages, index=self._positions, dtype=object).groupby(level=0, sort=True).agg("; ".join)
        )
        return joined.reindex(range(count)).astype("string")

    def positions(self) -> np.ndarray:
        """Sorted distinct positions that have at least one problem."""
        return np.unique(np.asarray(self._positions, dtype=np.int64))
