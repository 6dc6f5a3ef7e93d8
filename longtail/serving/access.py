"""Who may call the serving API, and how often: API keys stored hashed, and a rate limit per caller.

The key store is one JSON file (``$LONGTAIL_HOME/secrets/api_keys.json``, mode 0600) holding, for each key, its
name, the SHA-256 of the key, the datasets it may read (``null``: all) and when it was created; the key itself is
shown once, when created, and never stored. Plain SHA-256 is enough because a key is 256 random bits: salts and
slow hashes defend guessable secrets such as passwords against dictionary attacks, and no dictionary covers 2^256
values; a fast hash also keeps checking a key on every request cheap. The server re-reads the file when it
changes, so a created or revoked key takes effect without a restart.

Framework-free: ``longtail.serving.api`` turns what these say into HTTP answers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import re
import secrets
import stat
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from longtail.errors import InputError

KEY_PREFIX = "lt_"  # marks a longtail key for secret scanners and for people
KEY_BYTES = 32
KEY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
DEFAULT_REQUESTS_PER_MINUTE = 600
BURST_SECONDS = 10  # a caller may spend this many seconds' worth of requests at once
MAX_TRACKED_CALLERS = 10_000


@dataclass(frozen=True)
class Caller:
    """Who a request comes from (``name``: a key's, or the client address when the API runs without keys) and the
    datasets it may read (None: every dataset)."""

    name: str
    datasets: frozenset[str] | None = None

    def may_read(self, dataset: str) -> bool:
        return self.datasets is None or dataset in self.datasets


@dataclass(frozen=True)
class StoredKey:
    """One entry of the key store: never the key, only its SHA-256 (hex)."""

    name: str
    sha256: str
    datasets: tuple[str, ...] | None
    created: str

    def caller(self) -> Caller:
        return Caller(f"key {self.name}", None if self.datasets is None else frozenset(self.datasets))


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(KEY_BYTES)


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class KeyStore:
    """The API keys in ``path`` (a missing file holds none). Reads are cached and redone when the file changes."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._seen: tuple[int, int, int] | None = None
        self._keys: tuple[StoredKey, ...] = ()

    def keys(self) -> tuple[StoredKey, ...]:
        try:
            status = self.path.stat()
        except FileNotFoundError:
            return ()
        signature = (status.st_ino, status.st_mtime_ns, status.st_size)
        with self._lock:
            if signature != self._seen:
                self._keys = self._read(status.st_mode)
                self._seen = signature
            return self._keys

    def find(self, presented: str) -> StoredKey | None:
        """The stored key whose hash is ``presented``'s, compared in constant time with every entry."""
        digest = key_digest(presented)
        found = None
        for stored in self.keys():
            if hmac.compare_digest(stored.sha256, digest):
                found = stored
        return found

    def create(self, name: str, datasets: Iterable[str] | None = None, now: datetime | None = None) -> str:
        """A new key named ``name`` that may read ``datasets`` (None: all). Returns the key: only its hash is
        stored, so this is the one time anyone sees it."""
        if not KEY_NAME.fullmatch(name):
            raise ValueError(f"a key name is 1 to 64 letters, digits, '_', '.' or '-', starting alphanumeric: {name!r}")
        if any(stored.name == name for stored in self.keys()):
            raise ValueError(f"a key named {name!r} exists already (revoke it first, or choose another name)")
        scope = None if datasets is None else tuple(sorted(set(datasets)))
        if scope == ():
            raise ValueError("a key limited to datasets needs at least one dataset")
        key = new_key()
        created = (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
        self._write([*self.keys(), StoredKey(name, key_digest(key), scope, created)])
        return key

    def revoke(self, name: str) -> bool:
        """Delete the key named ``name``; False when there is none."""
        kept = [stored for stored in self.keys() if stored.name != name]
        if len(kept) == len(self.keys()):
            return False
        self._write(kept)
        return True

    def _read(self, mode: int) -> tuple[StoredKey, ...]:
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            # Whoever may write it may add a key of their own.
            raise InputError(
                f"others may use the API key file (mode {stat.filemode(mode)}); run chmod 600", file=self.path
            )
        try:
            entries = json.loads(self.path.read_text())["keys"]
            return tuple(
                StoredKey(
                    name=str(entry["name"]),
                    sha256=str(entry["sha256"]),
                    datasets=None if entry["datasets"] is None else tuple(map(str, entry["datasets"])),
                    created=str(entry["created"]),
                )
                for entry in entries
            )
        except (ValueError, KeyError, TypeError) as error:
            raise InputError(f"not an API key file ({error!r})", file=self.path) from error

    def _write(self, keys: list[StoredKey]) -> None:
        """Replace the file whole (a temporary file renamed over it), created owner-only."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            json.dump({"keys": [asdict(stored) for stored in keys]}, out, indent=2)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.path)


class RateLimiter:
    """A token bucket per caller, in memory: ``per_minute`` requests a minute, in bursts of up to
    ``BURST_SECONDS`` seconds' worth. ``clock`` gives seconds (monotonic); tests pass a fake one. Beyond
    ``MAX_TRACKED_CALLERS`` callers the least recently seen one's bucket is forgotten (it starts full again)."""

    def __init__(self, per_minute: int = DEFAULT_REQUESTS_PER_MINUTE, clock: Callable[[], float] = time.monotonic):
        if per_minute < 1:
            raise ValueError(f"the rate limit is at least 1 request a minute, got {per_minute}")
        self.per_second = per_minute / 60
        self.burst = max(1.0, float(math.ceil(self.per_second * BURST_SECONDS)))
        self.clock = clock
        self._lock = threading.Lock()
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # caller -> (tokens, when)

    def take(self, caller: str) -> float:
        """Spend one of ``caller``'s tokens: 0.0 when the request may go ahead, else the seconds to wait until it
        could (nothing is spent then)."""
        now = self.clock()
        with self._lock:
            tokens, then = self._buckets.pop(caller, (self.burst, now))
            tokens = min(self.burst, tokens + (now - then) * self.per_second)
            wait_s = 0.0 if tokens >= 1 else (1 - tokens) / self.per_second
            self._buckets[caller] = (tokens - 1 if wait_s == 0 else tokens, now)
            if len(self._buckets) > MAX_TRACKED_CALLERS:
                self._buckets.popitem(last=False)
        return wait_s
