"""Which supported format a file is: its content kind and field names, plus a file-name pattern where needed.

Formats are tried in order (the most specific first); the first whose signature matches wins. A file that
matches a format but lacks one of its required columns, has no data, or matches none raises ``InputError``.
"""

from __future__ import annotations

from pathlib import Path

from longtail.data.adapters import amazon, canonical, instacart, retail
from longtail.data.adapters.common import Format
from longtail.data.adapters.files import probe
from longtail.errors import InputError, excerpt

REGISTRY: tuple[Format, ...] = (*retail.FORMATS, *instacart.FORMATS, *amazon.FORMATS, *canonical.FORMATS)
BY_NAME = {fmt.name: fmt for fmt in REGISTRY}
_SHOWN_COLUMNS = 20  # the most column names an unsupported file's message lists


def detect(path: Path) -> Format:
    """The format of the file at ``path``; raises ``InputError`` saying why when it cannot be read."""
    if path.is_dir():
        raise InputError("is a directory, not a file", file=path)
    if not path.exists():
        raise InputError("does not exist", file=path)
    found = probe(path)
    fmt = next((fmt for fmt in REGISTRY if fmt.matches(path, found)), None)
    if fmt is None:
        fmt = _nearest(found)
    if fmt is None:
        # The supported formats first: the column list may be long and is what the message's length limit cuts.
        shown = ", ".join(map(excerpt, found.columns[:_SHOWN_COLUMNS])) or "none"
        more = f" and {len(found.columns) - _SHOWN_COLUMNS} more" if len(found.columns) > _SHOWN_COLUMNS else ""
        raise InputError(
            f"not a supported format (supported: {', '.join(BY_NAME)}): "
            f"a {found.kind} file with columns [{shown}]{more}",
            file=path,
        )
    if fmt.has_header:
        missing = [column for column in fmt.required if column not in found.columns]
        if missing:
            raise InputError(
                f"looks like {fmt.name} but lacks the required column(s) {', '.join(map(repr, missing))}",
                file=path,
                column=missing[0],
            )
        if not found.has_data:
            raise InputError("the file has column names but no data rows", file=path)
    return fmt


def _nearest(found) -> Format | None:
    """The header format whose required columns the file mostly has (at least two, and at least half of them),
    so that a file missing one column is told which, instead of "not a supported format"."""
    columns = set(found.columns)
    candidates = [
        (len(columns & set(fmt.required)) / len(fmt.required), fmt)
        for fmt in REGISTRY
        if fmt.has_header
        and fmt.file_name is None
        and found.kind in fmt.kinds
        and len(columns & set(fmt.required)) >= 2
    ]
    share, best = max(candidates, key=lambda candidate: candidate[0], default=(0.0, None))
    return best if share >= 0.5 else None
