"""Files written whole: a reader, or the next run after a process killed mid-write, finds the old file or the new
one, never a part of one."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` (same folder, so the rename cannot cross file systems) to write the new
    file to; when the block ends without error the file is flushed to disk and renamed over ``path`` (atomic on
    POSIX), and on error it is removed. The folder is created if missing."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        yield temporary
        with open(temporary, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_text_whole(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through ``replacing``."""
    with replacing(path) as temporary:
        temporary.write_text(text, encoding="utf-8")


def create_once(path: str | Path, write: Callable[[Path], None]) -> bool:
    """Create ``path`` whole unless it exists: ``write(temporary)`` fills a new file beside it, which is then linked
    into place (a create-if-absent that is atomic on POSIX). So ``path`` holds a whole file or none, even when the
    process is killed midway, and of two processes creating it at once the first link wins and both use its file.
    Returns whether this call created it. The folder must exist."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.creating")
    try:
        write(temporary)
        os.link(temporary, path)
        return True
    except FileExistsError:
        return False
    finally:
        temporary.unlink(missing_ok=True)
