"""The records of one source file, and the lenient vectorised parsers that turn their fields into raw columns.

Every parser returns a Series aligned with the records. A value that cannot be parsed becomes null and its record
gets a problem message naming the file, row and column (see ``RowProblems``); blank values are simply null.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from longtail.data.adapters.common import RowProblems, escape_undecodable
from longtail.data.schema import conform_raw_frame
from longtail.errors import excerpt

# A time of day followed by a zone designator: "...12:00Z", "...12:00:00+01:00", "... 12:00 +0100".
_ZONE_SUFFIX = r"\d:\d\d(?::\d\d(?:[.,]\d+)?)?\s*(?:[Zz]|UTC|[+-]\d\d(?::?\d\d)?)$"
_FLOAT_ID = r"^(-?\d+)\.0+$"  # "13085.0": an integer id that went through a float column
_NS_PER_UNIT = {"s": 10**9, "ms": 10**6}
# The times a raw frame holds (nanoseconds since 1970 in 64 bits): 1677-09-21 to 2262-04-11.
_EARLIEST, _LATEST = pd.Timestamp.min.tz_localize("UTC"), pd.Timestamp.max.tz_localize("UTC")


@dataclass
class Records:
    """One file's records as read: ``frame`` holds the source fields (index 0..n-1, values as found).

    ``source_row`` is each record's 1-based number (data records, or JSON line numbers). ``raw_text(positions)``
    returns the original text of those records; it is only called for records that have a problem.
    """

    frame: pd.DataFrame
    source_row: np.ndarray
    problems: RowProblems
    raw_text: Callable[[Sequence[int]], list[str]]

    def __len__(self) -> int:
        return len(self.frame)

    def column(self, name: str) -> pd.Series:
        """The source field ``name`` as found, or all nulls when the file has no such field."""
        if name in self.frame.columns:
            return self.frame[name]
        return pd.Series(None, index=self.frame.index, dtype=object)

    def flag(self, mask: pd.Series, column: str | None, detail: Callable[[object], str], values: pd.Series) -> None:
        """Record ``detail(value)`` as a problem of every record where ``mask`` is true."""
        positions = np.flatnonzero(mask.to_numpy(dtype=bool, na_value=False))
        if len(positions):
            bad = values.iloc[positions]
            self.problems.add(positions, self.source_row[positions], column, map(detail, bad))

    # --- field parsers (ids, numbers and times convert each distinct value once, then spread the results) ---
    def text(self, name: str) -> pd.Series:
        """Strings as found; numbers as their text; lists and dicts as JSON text (HTML and entities kept)."""
        return _texts(self.column(name))

    def ident(self, name: str) -> pd.Series:
        """An id as a string; ``"13085.0"`` (an integer id that passed through a float column) becomes ``"13085"``."""
        return _by_distinct(self.column(name), lambda ids: _texts(ids).str.replace(_FLOAT_ID, r"\1", regex=True))

    def number(self, name: str) -> pd.Series:
        """A float; text such as ``"5.0"`` is parsed, and anything else (``"abc"``, a list) is a problem."""
        values = self.column(name)
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            return values.astype("float64")
        parsed = _by_distinct(values, lambda distinct: pd.to_numeric(distinct, errors="coerce").astype("float64"))
        self.flag(_unparsed(parsed, values), name, lambda v: f"{excerpt(v)} is not a number", values)
        return parsed

    def unix_time(self, name: str, unit: str) -> pd.Series:
        """A UTC timestamp from a count of seconds (``unit="s"``) or milliseconds (``"ms"``) since 1970."""
        counts = self.number(name)
        in_range = counts.abs() < np.iinfo(np.int64).max / _NS_PER_UNIT[unit]
        ts = pd.to_datetime(counts.where(in_range), unit=unit, utc=True, errors="coerce")
        self.flag(counts.notna() & ~in_range, name, _out_of_range, self.column(name))
        return ts

    def timestamp(self, name: str, timezone: str, formats: Sequence[str] = ("ISO8601",)) -> pd.Series:
        """A UTC timestamp from text or datetimes: a value with a zone is converted; one without is read in
        ``timezone`` (ambiguous autumn hours taken as summer time, missing spring hours shifted forward);
        text without a zone is tried against ``formats`` in order. A datetime outside 1677-2262 (a parquet
        timestamp in micro- or milliseconds may hold 9999-12-31) is a problem."""
        values = self.column(name)
        if pd.api.types.is_datetime64_any_dtype(values):
            ts = _localize(values, timezone) if values.dt.tz is None else values.dt.tz_convert("UTC")
            in_range = ts.isna() | ts.between(_EARLIEST, _LATEST)
            self.flag(~in_range, name, _out_of_range, values)
            return ts.where(in_range).astype("datetime64[ns, UTC]")
        ts = _by_distinct(values, lambda distinct: _parse_times(distinct, timezone, formats))
        self.flag(_unparsed(ts, values), name, lambda v: f"{excerpt(v)} is not a timestamp", values)
        return ts

    # --- output ----------------------------------------------------------------------------------------------
    def finish(self, table: str, columns: dict[str, pd.Series | str]) -> pd.DataFrame:
        """The raw frame of ``table``: ``columns`` plus ``source_row``, ``parse_error`` and ``raw_record``.

        Call it after every parser has run: ``raw_record`` holds the original record text of the records with a
        problem (null for the others, which the typed columns already represent fully).
        """
        frame = pd.DataFrame(columns, index=self.frame.index)
        frame["source_row"] = self.source_row
        frame["parse_error"] = self.problems.messages(len(self)).to_numpy()
        raw = pd.Series(pd.NA, index=self.frame.index, dtype="string")
        positions = self.problems.positions()
        if len(positions):
            raw.iloc[positions] = [escape_undecodable(text) for text in self.raw_text(positions)]
        frame["raw_record"] = raw
        return conform_raw_frame(table, frame)


def stable_id(*parts: pd.Series) -> pd.Series:
    """A deterministic 16-hex-digit sha1 of the parts joined by ``"|"`` (null parts as ""); null if all are null."""
    joined = parts[0].fillna("")
    for part in parts[1:]:
        joined = joined + "|" + part.fillna("")
    digests = joined.map(lambda key: hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:16])
    present = pd.concat([part.notna() for part in parts], axis=1).any(axis=1)
    return digests.where(present).astype("string")


def _by_distinct(values: pd.Series, convert: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``convert`` applied to the distinct non-null values only, spread back over ``values`` (nulls stay null).
    JSON arrays and objects (lists, dicts: unhashable) are given to ``convert`` as their JSON text."""
    try:
        codes, distinct = pd.factorize(values)
    except TypeError:  # unhashable values
        codes, distinct = pd.factorize(values.map(_json_text_if_nested, na_action="ignore"))
    converted = convert(pd.Series(distinct, dtype=object))
    return pd.Series(converted.array.take(codes, allow_fill=True), index=values.index)


def _texts(values: pd.Series) -> pd.Series:
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) not in {"string", "empty"}:
        values = values.map(_to_text, na_action="ignore")
    return values.astype("string")


def _parse_times(values: pd.Series, timezone: str, formats: Sequence[str]) -> pd.Series:
    strings = values.astype("string").str.strip()
    zoned = strings.str.contains(_ZONE_SUFFIX, regex=True, na=False)
    ts = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    if zoned.any():
        ts[zoned] = pd.to_datetime(strings[zoned], format="ISO8601", utc=True, errors="coerce")
    for fmt in formats:
        todo = ts.isna() & ~zoned & strings.notna()
        if not todo.any():
            break
        ts[todo] = _localize(pd.to_datetime(strings[todo], format=fmt, errors="coerce"), timezone)
    return ts


def _localize(naive: pd.Series, timezone: str) -> pd.Series:
    localized = naive.dt.tz_localize(timezone, ambiguous=np.ones(len(naive), dtype=bool), nonexistent="shift_forward")
    return localized.dt.tz_convert("UTC")


def _unparsed(parsed: pd.Series, values: pd.Series) -> pd.Series:
    """True where a value was given (not null, not blank text) but ``parsed`` is null."""
    failed = parsed.isna() & values.notna()
    if failed.any():
        blank = values[failed].map(lambda v: isinstance(v, str) and not v.strip())
        failed[blank.index[blank.to_numpy(dtype=bool)]] = False
    return failed


def _out_of_range(value: object) -> str:
    return f"{excerpt(value)} is out of the timestamp range"


def _to_text(value: object) -> str:
    return value if isinstance(value, str) else str(_json_text_if_nested(value))


def _json_text_if_nested(value: object) -> object:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict)) else value
