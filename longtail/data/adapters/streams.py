"""Bounded streams of a source file: gzip opened transparently, text decoded leniently, lines and CSV fields of a
bounded length, and the container kind sniffed from the first bytes.

Lines and fields are read with a bounded length and gzip content is counted as it is unpacked, so a hostile file
(a line of gigabytes, a gzip bomb) raises ``InputError`` before it is held in memory.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
from collections.abc import Iterator
from itertools import count
from pathlib import Path
from typing import IO

from longtail.data.adapters.common import DECOMPRESSED_BYTES_VARIABLE, LINE_BYTES_VARIABLE, ReadLimits
from longtail.errors import InputError

_GZIP_MAGIC = b"\x1f\x8b"
_GZIP_BUFFER_BYTES = 1 << 20


def open_binary(path: Path, limits: ReadLimits) -> IO[bytes]:
    """The file's bytes, decompressed when it is gzip (recognised by its magic bytes, whatever its name); reading
    gzip content past ``limits.max_decompressed_bytes`` raises ``InputError``."""
    raw = open(path, "rb")  # noqa: SIM115 - returned to the caller
    if raw.read(2) == _GZIP_MAGIC:
        raw.close()
        content = _SizeLimited(gzip.GzipFile(path), path, limits.max_decompressed_bytes)
        return io.BufferedReader(content, buffer_size=_GZIP_BUFFER_BYTES)
    raw.seek(0)
    return raw


class _SizeLimited(io.RawIOBase):
    """A decompressing stream that raises ``InputError`` as soon as reading or seeking passes ``limit`` bytes of
    content, so a small file that unpacks to gigabytes (a gzip bomb) is refused after ``limit`` bytes."""

    def __init__(self, content: gzip.GzipFile, path: Path, limit: int):
        super().__init__()
        self._content, self._path, self._limit = content, path, limit

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._content.tell()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._checked(self._content.seek(offset, whence))

    def readinto(self, buffer) -> int:
        read = self._content.readinto(buffer)
        self._checked(self._content.tell())
        return read

    def close(self) -> None:
        self._content.close()
        super().close()

    def _checked(self, position: int) -> int:
        if position > self._limit:
            raise InputError(
                f"decompresses to more than {self._limit} bytes, the limit set by {DECOMPRESSED_BYTES_VARIABLE}",
                file=self._path,
            )
        return position


def open_text(path: Path, limits: ReadLimits) -> IO[str]:
    """The file as text: UTF-8 (BOM skipped), undecodable bytes kept as surrogates, line ends untranslated."""
    return io.TextIOWrapper(open_binary(path, limits), encoding="utf-8-sig", errors="surrogateescape", newline="")


def text_lines(stream: IO[str], path: Path, limits: ReadLimits) -> Iterator[str]:
    """The lines of ``stream`` (line ends kept); the first longer than ``limits.max_line_chars`` characters, line
    end included, raises ``InputError`` naming it, after reading no more of it than that."""
    limit = limits.max_line_chars
    for number in count(1):
        line = stream.readline(limit + 1)
        if len(line) > limit:
            raise InputError(
                f"line {number} is longer than {limit} characters, the limit set by {LINE_BYTES_VARIABLE}", file=path
            )
        if not line:
            return
        yield line


@contextlib.contextmanager
def csv_reader(stream: IO[str], path: Path, limits: ReadLimits) -> Iterator[Iterator[list[str]]]:
    """A ``csv.reader`` of ``stream`` whose lines and fields may be at most ``limits.max_line_chars`` characters
    long; a longer one raises ``InputError`` naming its line. (A quoted field may span lines, so each line being
    short does not bound the field.) The ``csv`` module's field limit is process-wide: it is set for the
    ``with`` block only."""
    reader = csv.reader(text_lines(stream, path, limits))
    previous_limit = csv.field_size_limit(limits.max_line_chars)
    try:
        yield reader
    except csv.Error as error:  # with these settings (lines split as read) its only complaint is a long field
        raise InputError(
            f"line {reader.line_num}: a field is longer than {limits.max_line_chars} characters, the limit set by "
            f"{LINE_BYTES_VARIABLE} ({error})",
            file=path,
        ) from error
    finally:
        csv.field_size_limit(previous_limit)


def sniff_kind(path: Path, limits: ReadLimits) -> str:
    """``"parquet"``, ``"xlsx"``, ``"jsonl"`` or ``"csv"``, from the first bytes; an empty file raises."""
    with open_binary(path, limits) as stream:
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
