"""Errors raised on bad input. Every message names the file and, where known, the row and the column."""

from __future__ import annotations


class InputError(ValueError):
    """A whole file cannot be read as any supported format.

    Row-level problems never raise: the row is kept with a ``parse_error`` message and quarantined by the
    cleaning step, so nothing is lost.
    """

    def __init__(self, message: str, *, file: str, row: int | None = None, column: str | None = None):
        self.file = str(file)
        self.row = row
        self.column = column
        self.reason = message
        super().__init__(format_location(self.file, row, column) + ": " + message)


def format_location(file: str, row: int | None = None, column: str | None = None) -> str:
    """``file, row N, column C`` with the parts that are known. Rows are 1-based data rows (header excluded)."""
    parts = [str(file)]
    if row is not None:
        parts.append(f"row {row}")
    if column is not None:
        parts.append(f"column {column!r}")
    return ", ".join(parts)
