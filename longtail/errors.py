"""Errors raised on bad input. Every message names the file and, where known, the row and the column."""

from __future__ import annotations

import os

MESSAGE_CHARS_VARIABLE = "LONGTAIL_MAX_MESSAGE_CHARS"
DEFAULT_MAX_MESSAGE_CHARS = 500
EXCERPT_CHARS = 80  # the longest quoted value (a column name, a field) in a message


class InputError(ValueError):
    """A whole file cannot be read as any supported format.

    Row-level problems never raise: the row is kept with a ``parse_error`` message and quarantined by the
    cleaning step, so nothing is lost.

    The message is ``"<location>: <reason>"`` on one line: non-printable characters (line breaks, control
    characters, undecodable bytes) are written as Python escapes, and the reason is cut after
    ``LONGTAIL_MAX_MESSAGE_CHARS`` characters (default 500), because it may quote a file's content. The location
    is always whole: it is how the file is found.
    """

    def __init__(self, message: str, *, file: str, row: int | None = None, column: str | None = None):
        self.file = str(file)
        self.row = row
        self.column = column
        self.reason = message
        location = printable(format_location(self.file, row, column))
        super().__init__(location + ": " + printable(message, max_message_chars()))


def format_location(file: str, row: int | None = None, column: str | None = None) -> str:
    """``file, row N, column C`` with the parts that are known. Rows are 1-based data rows (header excluded).
    The column is quoted by ``excerpt`` (a column name read from a file may be megabytes long)."""
    parts = [str(file)]
    if row is not None:
        parts.append(f"row {row}")
    if column is not None:
        parts.append(f"column {excerpt(column)}")
    return ", ".join(parts)


def excerpt(value: object) -> str:
    """``value`` as quoted in a message: its repr (so non-printable characters are escaped), cut to
    ``EXCERPT_CHARS`` characters with "..." marking the cut."""
    if isinstance(value, str) and len(value) > EXCERPT_CHARS:
        value = value[:EXCERPT_CHARS]  # repr of the head only: the value may be megabytes long
    return cut(repr(value), EXCERPT_CHARS)


def cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the last three being "..." when it was longer."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def printable(text: str, limit: int | None = None) -> str:
    """``text`` with each non-printable character written as its Python escape (``\\n``, ``\\x00``, ``\\udc80``);
    with a ``limit``, cut once the result would pass that many characters, ending in "… (N more characters)"
    where N counts the characters of ``text`` left out. Only the part kept is looked at."""
    pieces: list[str] = []
    length = 0
    for index, char in enumerate(text):
        piece = char if char.isprintable() else repr(char)[1:-1]
        length += len(piece)
        if limit is not None and length > limit:
            return "".join(pieces) + f"… ({len(text) - index} more characters)"
        pieces.append(piece)
    return "".join(pieces)


def max_message_chars() -> int:
    """The longest reason an ``InputError`` message shows, in characters: ``LONGTAIL_MAX_MESSAGE_CHARS``, read at
    each error (default ``DEFAULT_MAX_MESSAGE_CHARS``)."""
    return positive_int_from_env(MESSAGE_CHARS_VARIABLE, DEFAULT_MAX_MESSAGE_CHARS)


def positive_int_from_env(variable: str, default: int) -> int:
    """The positive whole number in environment variable ``variable`` (``default`` when unset or blank); any
    other value raises ``ValueError`` naming the variable, so a mistyped limit is not silently ignored."""
    text = os.environ.get(variable, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{variable} must be a positive whole number, not {text!r}")
    return value
