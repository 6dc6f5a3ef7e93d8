"""The landing folder: where source files are dropped, one sub-folder per dataset.

``landing/<dataset>/<file>`` belongs to ``<dataset>``; a file directly under ``landing/`` belongs to
``default``. Hidden files and folders (``.name``) are ignored, so a copy in progress written as a hidden file
and then renamed is never picked up half-written. A file is identified by the SHA-256 of its content.

Only regular files are read. Any other visible entry (a symbolic link, even to a folder; a FIFO, socket or device)
is listed with the reason it is refused, but never opened or followed: a link could lead out of the folder, and
opening a FIFO waits for a writer forever.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

DEFAULT_DATASET = "default"
# At most 100 characters: the name becomes a folder name and part of every file's key.
DATASET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
SUPERSEDED = ".superseded"

# What each kind of entry other than a regular file is called (in its file_id) and why it is refused.
_NOT_REGULAR = {
    stat.S_IFLNK: ("link", "a symbolic link (links are not followed; copy the file in instead)"),
    stat.S_IFIFO: ("fifo", "a FIFO, not a regular file"),
    stat.S_IFSOCK: ("socket", "a socket, not a regular file"),
    stat.S_IFCHR: ("character-device", "a character device, not a regular file"),
    stat.S_IFBLK: ("block-device", "a block device, not a regular file"),
    stat.S_IFDIR: ("folder", "a folder, not a regular file"),
}


@dataclass(frozen=True)
class LandedFile:
    """An entry in the landing folder. ``name`` is its path relative to the dataset folder.

    For a regular file, ``file_id`` is the SHA-256 (hex) of its content, ``size_bytes`` its size in bytes and
    ``refusal`` None. For any other entry (a symbolic link, FIFO, socket or device), ``refusal`` says in words why
    it is not read, ``size_bytes`` is 0 and ``file_id`` is the SHA-256 of ``"<kind>:<dataset>/<name>"`` (for a
    link, followed by ``" -> <link text>"``): the same entry keeps its id, a link pointed elsewhere gets a new one.
    """

    dataset: str
    name: str
    path: Path
    file_id: str
    size_bytes: int
    refusal: str | None = None

    @property
    def key(self) -> str:
        """Stable identity of this content under this name, e.g. for sensor run keys."""
        return file_key(self.dataset, self.name, self.file_id)


def file_key(dataset: str, name: str, file_id: str) -> str:
    """``LandedFile.key`` of a file known by its dataset, name and content id."""
    return f"{dataset}/{name}@{file_id[:16]}"


class NotRegularFile(ValueError):
    """``path`` is not a regular file: ``kind`` names what it is (``"link"``, ``"fifo"``, ...), ``reason`` says
    so in words."""

    def __init__(self, path: Path, mode: int):
        self.kind, self.reason = _NOT_REGULAR.get(stat.S_IFMT(mode), ("other", "not a regular file"))
        super().__init__(f"{path} is {self.reason}")


def file_sha256(path: Path) -> str:
    """SHA-256 (hex) of the content of the regular file at ``path`` (or the one a link there points to); anything
    else raises ``NotRegularFile``, a ``ValueError``."""
    with _open_regular(Path(path), follow_links=True) as handle:
        return _sha256(handle)[0]


def scan(landing_dir: Path) -> list[LandedFile]:
    """Every visible entry under ``landing_dir``: the files directly under it, then each dataset folder in name
    order, a folder's files (by name) before its sub-folders. Entries that are not regular files are listed with
    their ``refusal``; linked folders are listed, not walked."""
    landing_dir = Path(landing_dir)
    if not landing_dir.is_dir():
        return []
    found = []
    for root, folders, files in os.walk(landing_dir):
        visible = [folder for folder in folders if not folder.startswith(".")]
        linked = [folder for folder in visible if os.path.islink(os.path.join(root, folder))]
        folders[:] = sorted(folder for folder in visible if folder not in linked)
        for entry in sorted([file for file in files if not file.startswith(".")] + linked):
            path = Path(root) / entry
            relative = path.relative_to(landing_dir)
            if len(relative.parts) == 1:
                dataset, name = DEFAULT_DATASET, relative.as_posix()
            else:
                dataset, name = relative.parts[0], Path(*relative.parts[1:]).as_posix()
            landed = _examine(path, dataset, name)
            if landed is not None:
                found.append(landed)
    return found


def validate_dataset_name(dataset: str) -> str:
    if not DATASET_NAME.fullmatch(dataset):
        raise ValueError(
            f"dataset name {dataset!r} must be at most 100 characters, start with a letter or digit and use only "
            "letters, digits, '_', '-', '.'"
        )
    return dataset


def place(source: Path, landing_dir: Path, dataset: str) -> tuple[LandedFile, str]:
    """Copy ``source`` into ``landing_dir/<dataset>/`` and say what happened.

    Returns the landed file and one of: ``"new"``; ``"unchanged"`` (the same content is already there under some
    name in this dataset: the copy is discarded, so dropping a file twice ingests it once); ``"changed"`` (an entry
    of the same name with other content was there: it is replaced, and a regular file's previous bytes are kept
    under ``<dataset>/.superseded/<sha256>-<name>`` so nothing is lost). ``source`` must be a regular file (or a
    link to one): anything else raises ``NotRegularFile``, a ``ValueError``.

    The copy is written to a hidden temporary file of this call's own, flushed to disk and renamed over the
    target, so a watcher never sees it half-written and concurrent calls for one name each land a whole copy: the
    last rename wins. No temporary file is left behind, even on error.
    """
    source = Path(source)
    validate_dataset_name(dataset)
    target_dir = Path(landing_dir) / dataset
    target = target_dir / source.name
    # One read of the source, hashed while copied, so the id always describes the bytes that land.
    with _open_regular(source, follow_links=True) as handle:
        target_dir.mkdir(parents=True, exist_ok=True)
        copy, file_id, size_bytes = _copy_to_hidden_file(handle, target_dir, source.name)
    try:
        existing = {f.file_id: f for f in scan(landing_dir) if f.dataset == dataset and f.refusal is None}
        if file_id in existing:
            return existing[file_id], "unchanged"
        status = _keep_previous(target, file_id)
        os.replace(copy, target)
    finally:
        copy.unlink(missing_ok=True)
    return LandedFile(dataset, source.name, target, file_id, size_bytes), status


def _examine(path: Path, dataset: str, name: str) -> LandedFile | None:
    """The entry at ``path`` as listed by ``scan``, or None when it was removed since it was listed."""
    try:
        handle = _open_regular(path, follow_links=False)
    except FileNotFoundError:
        return None
    except PermissionError:
        # Refused until its permissions change: then it is a new entry, identified by its content, and loads.
        identity = hashlib.sha256(os.fsencode(f"unreadable:{dataset}/{name}")).hexdigest()
        return LandedFile(dataset, name, path, identity, 0, "cannot be read (permission denied)")
    except NotRegularFile as refused:
        identity = f"{refused.kind}:{dataset}/{name}"
        if refused.kind == "link":
            try:
                # The link's own text, never what it points to: a link pointed elsewhere is a new entry.
                identity += f" -> {os.readlink(path)}"
            except OSError:
                return None  # removed or replaced since it was opened: the next scan sees what it became
        return LandedFile(dataset, name, path, hashlib.sha256(os.fsencode(identity)).hexdigest(), 0, refused.reason)
    with handle:
        file_id, size_bytes = _sha256(handle)
    return LandedFile(dataset, name, path, file_id, size_bytes)


def _open_regular(path: Path, *, follow_links: bool) -> BinaryIO:
    """``path`` opened for binary reading if it is a regular file (or, with ``follow_links``, a link to one);
    otherwise ``NotRegularFile``, without opening it: opening a FIFO waits for a writer, opening a device can act
    on it."""
    mode = os.stat(path, follow_symlinks=follow_links).st_mode
    if not stat.S_ISREG(mode):
        raise NotRegularFile(path, mode)
    # Non-blocking, and not following a link unless asked, so an entry swapped for a FIFO or a link since the stat
    # can neither hang the open nor lead out of the folder; fstat then says what was really opened.
    flags = os.O_RDONLY | os.O_NONBLOCK | (0 if follow_links else os.O_NOFOLLOW)
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise NotRegularFile(path, stat.S_IFLNK) from None
        raise
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        raise NotRegularFile(path, mode)
    return os.fdopen(descriptor, "rb")


def _sha256(handle: BinaryIO, copy_to: BinaryIO | None = None) -> tuple[str, int]:
    """SHA-256 (hex) and size (bytes) of what ``handle`` reads to its end, written on to ``copy_to`` if given."""
    digest, size_bytes = hashlib.sha256(), 0
    for block in iter(lambda: handle.read(1 << 20), b""):
        digest.update(block)
        size_bytes += len(block)
        if copy_to is not None:
            copy_to.write(block)
    return digest.hexdigest(), size_bytes


def _copy_to_hidden_file(handle: BinaryIO, folder: Path, name: str) -> tuple[Path, str, int]:
    """Copy what ``handle`` reads into a new hidden file in ``folder``, flushed to disk; return its path, SHA-256
    (hex) and size (bytes). The caller renames or removes it; on error it is removed here."""
    # A random name created exclusively ("x"): a file of this call's own, never shared with a concurrent one.
    # (Not tempfile.mkstemp, whose mode 0600 would make landed files unreadable to other users.)
    path = folder / f".{name}.{secrets.token_hex(8)}.partial"
    out = open(path, "xb")
    try:
        with out:
            file_id, size_bytes = _sha256(handle, out)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, file_id, size_bytes


def _keep_previous(target: Path, file_id: str) -> str:
    """Keep the bytes of the regular file at ``target``, about to be replaced by content ``file_id``, under
    ``.superseded/<sha256>-<name>``, and say what was there: ``"new"`` (nothing), ``"unchanged"`` (that very
    content, just placed by a concurrent call: nothing to keep) or ``"changed"`` (anything else; a link or FIFO has
    no bytes of its own to keep)."""
    try:
        previous = _open_regular(target, follow_links=False)
    except FileNotFoundError:
        return "new"
    except NotRegularFile:
        return "changed"
    archive_dir = target.parent / SUPERSEDED
    archive_dir.mkdir(exist_ok=True)
    with previous:
        copy, previous_id, _ = _copy_to_hidden_file(previous, archive_dir, target.name)
    try:
        if previous_id == file_id:
            return "unchanged"
        # Named by content, so concurrent calls keeping the same old bytes write the same archive.
        os.replace(copy, archive_dir / f"{previous_id}-{target.name}")
    finally:
        copy.unlink(missing_ok=True)
    return "changed"
