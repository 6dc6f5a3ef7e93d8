"""Weekly demand per item: the long table the warehouse stores, and the matrix the models work on.

Conventions (decided here, used by every demand module):

- **Demand.** Per dataset: when it has purchase events, demand is their ``quantity`` in units (a missing
  quantity counts as one unit; non-positive quantities, i.e. returns, are left out); a dataset without
  purchases counts every event as one unit (ratings and reviews as a proxy of sales). Events without ``ts``
  are left out.
- **Weeks.** UTC calendar weeks starting on ``week_start`` (Monday by default), labelled by their first day
  (tz-naive midnight). A dataset's final week is kept only when its last event falls on the week's last day,
  so a week cut short by the end of the export (Online Retail II ends on Thursday 2010-12-09) is dropped;
  the first week is kept even if the data starts mid-week.
- **Zero fill.** An item's series runs from the week of its first sale to the dataset's last complete week,
  with zeros in weeks without sales. Weeks before the first sale are not zero demand: the item was not on
  sale yet, and counting them would inflate ADI and pull the rate towards zero for every new product.
  Weeks in which the whole shop sold nothing (Online Retail's Christmas closure) stay zeros.
- **Differential privacy** (``privacy``, off by default). Each contributor (a customer; a guest checkout without
  a customer id counts as its own contributor per order, so the bound is per known customer) keeps at most
  ``privacy.max_keys_per_user`` item-weeks with at most ``max_units`` units each; every item-week of the dataset's
  grid (its items, from its first week to its last complete week) then gets OpenDP's noise
  (``longtail.privacy.dp.private_totals``), clipped at 0. An item's series starts at its first week with noisy
  units above 0. The item ids and the calendar are treated as public.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from longtail.privacy.dp import PrivacySettings, private_totals
from longtail.validation import require_columns

WEEK_STARTS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
WEEKLY_COLUMNS = ["dataset", "item_id", "week", "units"]
# The most units one contributor adds to one item-week under differential privacy (Online Retail's wholesale
# buyers order dozens; a larger bound keeps more of their units but needs more noise).
DEFAULT_MAX_UNITS = 12


def weekly_demand(
    events: pd.DataFrame,
    *,
    week_start: str = "MON",
    privacy: PrivacySettings | None = None,
    max_units: int = DEFAULT_MAX_UNITS,
) -> pd.DataFrame:
    """Units sold per item and week, zero-filled (see the module docstring for every convention).

    ``events``: cleaned events with ``dataset, item_id, event_type, ts`` (UTC) and optionally ``quantity``;
    with ``privacy`` also ``user_id`` (and ``order_id``, the contributor of a guest checkout), and the units are
    user-level differentially private, each contributor's units in an item-week clipped to ``max_units``.
    Returns ``WEEKLY_COLUMNS``: one row per item and week from the item's first sale to its dataset's last
    complete week; ``week`` is datetime64 (the week's first day), ``units`` float64 >= 0; sorted by dataset,
    item, week.
    """
    require_columns(events, ["dataset", "item_id", "event_type", "ts"] + (["user_id"] if privacy else []), "events")
    if week_start not in WEEK_STARTS:
        raise ValueError(f"week_start must be one of {WEEK_STARTS}, got {week_start!r}")
    events = events[events["ts"].notna()]
    ts = pd.to_datetime(events["ts"], utc=True).dt.tz_convert(None)
    quantity = events["quantity"] if "quantity" in events.columns else pd.Series(np.nan, index=events.index)
    frame = pd.DataFrame(
        {
            "dataset": events["dataset"].astype(str),
            "item_id": events["item_id"].astype(str),
            "purchase": (events["event_type"] == "purchase").to_numpy(),
            "day": ts.dt.normalize(),
            "units": quantity.astype(float).fillna(1.0),
            "contributor": _contributors(events) if privacy else None,
        }
    )
    frame = frame[frame["purchase"] | ~frame.groupby("dataset")["purchase"].transform("any")]
    counted = frame["purchase"] & (frame["units"] > 0)
    frame = frame[counted | ~frame["purchase"]]
    frame.loc[~frame["purchase"], "units"] = 1.0
    week_end = WEEK_STARTS[(WEEK_STARTS.index(week_start) - 1) % 7]
    frame["week"] = frame["day"].dt.to_period(f"W-{week_end}").dt.start_time
    parts = [_zero_filled(dataset, part, privacy, max_units) for dataset, part in frame.groupby("dataset", sort=True)]
    if not parts:
        return empty_weekly()
    return pd.concat(parts, ignore_index=True)


def empty_weekly() -> pd.DataFrame:
    """A ``weekly_demand`` result without rows (``week`` datetime64, ``units`` float64)."""
    return pd.DataFrame(
        {
            "dataset": pd.Series(dtype=object),
            "item_id": pd.Series(dtype=object),
            "week": pd.Series(dtype="datetime64[ns]"),
            "units": pd.Series(dtype=float),
        }
    )


def _contributors(events: pd.DataFrame) -> pd.Series:
    """Whom each event's units are bounded for: its user, or for a guest checkout its order (else the event)."""
    own = pd.Series("event:" + events.index.astype(str), index=events.index, dtype="string")
    if "order_id" in events.columns:
        own = ("order:" + events["order_id"].astype("string")).fillna(own)
    return events["user_id"].astype("string").fillna(own)


def _zero_filled(dataset: str, frame: pd.DataFrame, privacy: PrivacySettings | None, max_units: int) -> pd.DataFrame:
    last_day = frame["day"].max()
    last_week = frame["week"].max()
    if last_day < last_week + pd.Timedelta(days=6):
        last_week -= pd.Timedelta(weeks=1)
    frame = frame[frame["week"] <= last_week]
    if privacy is None:
        sold = frame.groupby(["item_id", "week"], sort=True)["units"].sum()
    else:
        sold = _private_units(frame, last_week, privacy, max_units)
        sold = sold[sold > 0]
    if sold.empty:
        return pd.DataFrame(columns=WEEKLY_COLUMNS)
    first_week = sold.reset_index().groupby("item_id", sort=True)["week"].min()
    lengths = ((last_week - first_week) // pd.Timedelta(weeks=1) + 1).to_numpy()
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    grid = pd.DataFrame(
        {
            "item_id": np.repeat(first_week.index.to_numpy(), lengths),
            "week": np.repeat(first_week.to_numpy(), lengths) + pd.to_timedelta(offsets, unit="W"),
        }
    )
    units = grid.join(sold, on=["item_id", "week"])["units"].fillna(0.0)
    return grid.assign(dataset=dataset, units=units.to_numpy())[WEEKLY_COLUMNS]


def _private_units(frame: pd.DataFrame, last_week: pd.Timestamp, privacy: PrivacySettings, max_units: int) -> pd.Series:
    """DP units of every item-week of the grid (the frame's items x its first week .. ``last_week``), indexed by
    ``item_id, week`` and sorted."""
    weeks = pd.date_range(frame["week"].min(), last_week, freq="7D")
    grid = pd.MultiIndex.from_product([np.sort(frame["item_id"].unique()), weeks], names=["item_id", "week"])
    units = private_totals(frame, grid, privacy, user_column="contributor", weight_column="units", max_weight=max_units)
    return pd.Series(units, index=grid, name="units")


def category_demand(weekly: pd.DataFrame, categories: pd.DataFrame) -> pd.DataFrame:
    """Weekly units per category: ``weekly`` (as from ``weekly_demand``) summed over the items of each
    category of ``categories`` (``item_id, category``, optionally ``dataset``). Items without a category are
    left out. Columns ``dataset, category, week, units``."""
    check_weekly(weekly)
    keys = ["dataset", "item_id"] if "dataset" in categories.columns else ["item_id"]
    labelled = weekly.merge(categories_frame(categories), on=keys, how="inner")
    summed = labelled.groupby(["dataset", "category", "week"], sort=True)["units"].sum()
    return summed.reset_index()


def check_weekly(weekly: pd.DataFrame) -> None:
    """``ValueError`` unless ``weekly`` has ``WEEKLY_COLUMNS`` and no negative ``units``."""
    require_columns(weekly, WEEKLY_COLUMNS, "weekly")
    if (weekly["units"] < 0).any():
        raise ValueError("weekly['units'] must be >= 0")


def categories_frame(categories: pd.DataFrame) -> pd.DataFrame:
    """``categories`` (``item_id, category``, optionally ``dataset``) without uncategorised rows, ids as str."""
    require_columns(categories, ["item_id", "category"], "categories")
    frame = categories.dropna(subset=["category"])
    return frame.assign(item_id=frame["item_id"].astype(str))


def for_dataset(frame: pd.DataFrame | None, dataset: str) -> pd.DataFrame | None:
    """The rows of ``dataset`` when ``frame`` has a ``dataset`` column, else ``frame`` itself (or None)."""
    if frame is None or "dataset" not in frame.columns:
        return frame
    return frame[frame["dataset"] == dataset]


@dataclass(frozen=True)
class History:
    """The weeks before an origin of the items that had sold by then.

    ``rows``: (n,) indices into the panel's items; ``units``: (n, origin) float; ``alive``: (n, origin) bool,
    True from the item's first sale on (earlier weeks are not part of its series and are zero in ``units``).
    ``memo``: the panel's (see ``Panel``), None for a history made by hand.
    """

    rows: np.ndarray
    units: np.ndarray
    alive: np.ndarray
    memo: dict | None = field(default=None, compare=False, repr=False)

    @property
    def n_weeks(self) -> int:
        return self.units.shape[1]

    def before(self, cut: int) -> History:
        """The history at the earlier origin ``cut`` (1 <= cut <= n_weeks): its first ``cut`` weeks, of the
        items that had sold by then; the same as ``panel.history(cut)``."""
        sold = self.alive[:, cut - 1]
        return History(self.rows[sold], self.units[sold, :cut], self.alive[sold, :cut], self.memo)

    def age(self) -> np.ndarray:
        """(n,) weeks from each item's first sale to the origin."""
        return self.alive.sum(1)

    def mean(self) -> np.ndarray:
        """(n,) mean weekly units of each series (its weeks from the first sale on)."""
        return self.units.sum(1) / self.age()

    def median_size(self) -> np.ndarray:
        """(n,) median of each series' non-zero weekly units (NaN for a series without any); the same numbers
        as ``np.nanmedian``, which loops over the rows in Python."""
        sold = self.units > 0
        ordered = np.sort(np.where(sold, self.units, np.inf), axis=1)
        count, rows = sold.sum(1), np.arange(len(sold))
        middle = (ordered[rows, (count - 1) // 2] + ordered[rows, count // 2]) / 2
        return np.where(count > 0, middle, np.nan)

    def naive_scales(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean squared and mean absolute one-step change of each series: (n,) each, 0 for one-week series."""
        pairs = self.alive[:, 1:] & self.alive[:, :-1]
        change = np.where(pairs, np.diff(self.units, axis=1), 0.0)
        n_pairs = np.maximum(pairs.sum(1), 1)
        return (change**2).sum(1) / n_pairs, np.abs(change).sum(1) / n_pairs


@dataclass(frozen=True)
class Panel:
    """One dataset's weekly series as a matrix: ``units`` (n_items, n_weeks) float, zero before ``start``
    (n_items,) int, the index of each item's first sale; ``weeks`` (n_weeks,) datetime64; ``item_ids``
    (n_items,) str. Items that never sold are left out.

    ``memo``: what the models derive from the history at an origin (``longtail.demand.models.features_of``), by
    origin, shared by every history of the panel: a history is a function of its panel and origin, and the backtest,
    the forecasts and the stock replays of one panel read the same weeks' features many times over."""

    item_ids: np.ndarray
    weeks: pd.DatetimeIndex
    units: np.ndarray
    start: np.ndarray
    memo: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def n_weeks(self) -> int:
        return len(self.weeks)

    @classmethod
    def from_weekly(cls, weekly: pd.DataFrame) -> Panel:
        """The panel of ``weekly`` (one dataset, as from ``weekly_demand``; weeks on one 7-day grid)."""
        weeks = pd.date_range(weekly["week"].min(), weekly["week"].max(), freq="7D")
        if not weekly["week"].isin(weeks).all():
            raise ValueError("weekly['week'] must lie on one grid of 7-day steps")
        item_codes, item_ids = pd.factorize(weekly["item_id"].astype(str), sort=True)
        week_codes = (weekly["week"] - weeks[0]) // pd.Timedelta(weeks=1)
        units = np.zeros((len(item_ids), len(weeks)))
        np.add.at(units, (item_codes, week_codes.to_numpy()), weekly["units"].to_numpy(dtype=float))
        sold = (units > 0).any(1)
        units = units[sold]
        return cls(np.asarray(item_ids)[sold], weeks, units, (units > 0).argmax(1))

    def history(self, origin: int) -> History:
        """The weeks before week index ``origin`` of the items whose first sale came before it."""
        rows = np.nonzero(self.start < origin)[0]
        alive = np.arange(origin)[None, :] >= self.start[rows, None]
        return History(rows, np.where(alive, self.units[rows, :origin], 0.0), alive, self.memo)
