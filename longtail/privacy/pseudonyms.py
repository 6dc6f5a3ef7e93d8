"""Pseudonymous customer ids: at ingestion every customer id becomes a keyed hash (HMAC-SHA256) of the shop and
the id, so the warehouse, reports, the Dagster UI and the serving API never hold a raw id.

The key is ``LONGTAIL_ID_KEY`` when set, else a random key kept in a file readable by its owner only (created on
first use). Whoever holds the key can map a raw id to its pseudonym (the API does, on the way in), never back.
Hashing per shop means the same customer of two shops has two unrelated pseudonyms.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import stat
from pathlib import Path

import pandas as pd

from longtail.errors import InputError
from longtail.files import create_once

KEY_ENV = "LONGTAIL_ID_KEY"
# The id columns replaced by pseudonyms wherever a frame has them, with each pseudonym's prefix.
ID_COLUMNS = {"user_id": "u", "review_id": "r"}
# Free-text columns that may quote a raw id: the source record of a row with a problem, and the problem message.
QUOTING_COLUMNS = ("raw_record", "parse_error")
MIN_KEY_CHARS = 16
# 96 bits: a collision among a billion customers has odds of about 1 in 10^10.
DIGEST_HEX_CHARS = 24


class Pseudonyms:
    """Keyed pseudonyms of customer ids (``u_`` and 24 hex digits) and of review ids (``r_``...), per dataset: the
    same key, dataset and id always give the same pseudonym. ``key``: at least 16 bytes."""

    def __init__(self, key: bytes):
        if len(key) < MIN_KEY_CHARS:
            raise ValueError(f"the id key ({KEY_ENV} or its key file) needs at least {MIN_KEY_CHARS} characters")
        self._key = key

    def user(self, dataset: str, raw_id: str) -> str:
        return self._digest("u", dataset, raw_id)

    def users(self, dataset: str, raw_ids: pd.Series) -> pd.Series:
        """``user`` of each id (hashing each distinct id once); nulls stay null."""
        return self._map("u", dataset, raw_ids)

    def pseudonymize(self, dataset: str, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` (rows of ``dataset``) with its ``ID_COLUMNS`` replaced by pseudonyms, and every raw id a row's
        ``QUOTING_COLUMNS`` quote replaced by the row's pseudonym (see ``scrub``). Other columns are kept."""
        out = frame.copy()
        for column, kind in ID_COLUMNS.items():
            if column not in frame.columns:
                continue
            out[column] = self._map(kind, dataset, frame[column])
            for quoting in (name for name in QUOTING_COLUMNS if name in frame.columns):
                out[quoting] = scrub(out[quoting], frame[column], out[column])
        return out

    def _digest(self, kind: str, dataset: str, raw_id: str) -> str:
        message = f"{kind}\0{dataset}\0{raw_id}".encode("utf-8", "surrogatepass")
        return f"{kind}_" + hmac.new(self._key, message, hashlib.sha256).hexdigest()[:DIGEST_HEX_CHARS]

    def _map(self, kind: str, dataset: str, raw_ids: pd.Series) -> pd.Series:
        distinct = raw_ids.dropna().unique()
        lookup = {raw: self._digest(kind, dataset, str(raw)) for raw in distinct}
        return raw_ids.map(lookup).astype("string")


def scrub(texts: pd.Series, raw_ids: pd.Series, pseudonyms: pd.Series) -> pd.Series:
    """``texts`` with each whole-token occurrence of the row's raw id replaced by its pseudonym (all aligned by
    index). A token is bounded by anything but a letter, digit or underscore, so "13085" is replaced in
    ``"13085,..."`` and ``"13085.0"`` but not in ``"130850"``. Rows without text or id are returned as they are."""
    out = texts.copy()
    rows = texts.notna() & raw_ids.notna()
    for index in texts.index[rows]:
        raw = re.escape(str(raw_ids[index]))
        out[index] = re.sub(rf"(?<![A-Za-z0-9_]){raw}(?![A-Za-z0-9_])", str(pseudonyms[index]), str(texts[index]))
    return out


def load_key(key_file: Path, environ: dict[str, str] | os._Environ = os.environ) -> bytes:
    """The id key: ``LONGTAIL_ID_KEY`` when set, else the content of ``key_file``, which is created with 256
    random bits (mode 0600, its folder 0700) when missing. A key file others can read is refused, naming it."""
    if environ.get(KEY_ENV):
        return environ[KEY_ENV].encode("utf-8")
    key_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not key_file.exists():
        create_once(key_file, _write_new_key)
    mode = key_file.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InputError(f"others may read the id key (mode {stat.filemode(mode)}); run chmod 600", file=str(key_file))
    key = key_file.read_text().strip().encode("utf-8")
    if not key:
        # Created whole (create_once), so only someone emptying it leaves it so; a new key would give every
        # customer new pseudonyms, unlinked from their rows.
        raise InputError("the id key file is empty; restore it from a backup", file=str(key_file))
    return key


def _write_new_key(path: Path) -> None:
    """256 random bits, hex, in a new owner-only file at ``path``, on disk before it is linked into place."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(secrets.token_hex(32))
        out.flush()
        os.fsync(out.fileno())
