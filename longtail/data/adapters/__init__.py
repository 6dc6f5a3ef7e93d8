"""File-format adapters: turn real e-commerce files into the raw canonical tables (see ``longtail.data.schema``).

``detect_format(path)`` names a file's format; ``read_file(path)`` returns its events, items and reviews as raw
frames (``conform_raw_frame`` columns and dtypes; one row per source record with ``source_row``; row problems in
``parse_error`` with the original text in ``raw_record``, never raised, never dropped). ``FORMATS`` describes
every supported format. Whole-file problems (unknown format, missing column, empty or unreadable file) raise
``longtail.errors.InputError``.
"""

from __future__ import annotations

import contextlib
import csv
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pyarrow

from longtail.data.adapters.common import ReadResult
from longtail.data.adapters.detect import BY_NAME, detect
from longtail.errors import InputError

__all__ = ["FORMATS", "ReadResult", "detect_format", "read_file"]

FORMATS: dict[str, str] = {name: fmt.description for name, fmt in BY_NAME.items()}


def detect_format(path: Path) -> str:
    """The name of the file's format (a key of ``FORMATS``), or ``InputError`` naming why it has none."""
    path = Path(path)
    with _file_errors(path):
        return detect(path).name


def read_file(path: Path, *, source_timezone: str | None = None) -> ReadResult:
    """Read one file of any supported format (gzip-compressed or not).

    ``source_timezone`` is the zone of timestamps written without one: by default "Europe/London" for Online
    Retail and UTC for the canonical tables. Every timestamp returned is UTC.
    """
    path = Path(path)
    if source_timezone is not None:
        try:
            ZoneInfo(source_timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {source_timezone!r}") from error
    with _file_errors(path):
        fmt = detect(path)
        tables = fmt.read(path, source_timezone or fmt.default_timezone)
    return ReadResult(fmt.name, **tables)


@contextlib.contextmanager
def _file_errors(path: Path) -> Iterator[None]:
    """Turn errors of reading the file itself into ``InputError``: permissions, corrupt or truncated gzip, zip or
    parquet, text the ``csv`` module refuses, data nested too deeply or too large for memory."""
    try:
        yield
    except InputError:
        raise
    except (
        OSError,
        EOFError,
        zlib.error,
        zipfile.BadZipFile,
        pyarrow.ArrowException,
        csv.Error,
        UnicodeError,
        RecursionError,
        MemoryError,
    ) as error:
        raise InputError(f"cannot be read: {str(error) or type(error).__name__}", file=path) from error
