"""Periodic-review, lost-sales inventory simulation, and the order-up-to levels of three stocking policies.

Every array is in units (of stock or demand) per item; weeks are the columns. A policy sets an order-up-to
level S per item and week; ``simulate`` replays the demand against it and reports what was served, what was
lost and how much stock was held, so that policies can be compared at the same fill rate; ``replay_intervals``
gives the 95% intervals of those figures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from longtail.validation import check_positive_int

# S - IP a hair above a whole number through float round-off must not order one extra unit.
_ROUND_OFF = 1e-9


@dataclass(frozen=True, eq=False)
class Simulation:
    """The outcome of ``simulate``, every field (n, T) in units: ``demand`` per item and week, ``served`` (the
    rest was lost), ``closing_stock`` on hand at the end of each week, ``orders`` placed each week (0 if none)."""

    demand: np.ndarray
    served: np.ndarray
    closing_stock: np.ndarray
    orders: np.ndarray

    def fill_rate(self) -> np.ndarray:
        """(n,) share of each item's demand that was served; NaN for an item without demand."""
        total = self.demand.sum(1)
        return np.divide(self.served.sum(1), total, out=np.full(len(total), np.nan), where=total > 0)

    def summary(self, groups: np.ndarray | None = None, target: float | None = None) -> dict:
        """Per group label of ``groups`` ((n,) labels; None: no groups), then ``"all"``, a dict: ``fill_rate``
        total served / total demand (units-weighted; None without demand), ``target`` as given, ``avg_stock``
        the weekly mean of the group's total closing stock (units), ``stockout_weeks`` item-weeks with lost
        demand, ``orders`` item-weeks with an order, ``items`` the number of items."""
        n_items = self.demand.shape[0]
        parts = {}
        if groups is not None:
            groups = np.asarray(groups)
            if groups.shape != (n_items,):
                raise ValueError(f"groups must have shape ({n_items},), got {groups.shape}")
            for label in np.unique(groups):
                # Python labels as keys: numpy scalars from a typed array, objects as they are from object arrays.
                parts[label.item() if isinstance(label, np.generic) else label] = groups == label
        parts["all"] = np.ones(n_items, dtype=bool)
        return {label: self._group_summary(members, target) for label, members in parts.items()}

    def _group_summary(self, members: np.ndarray, target: float | None) -> dict:
        demand, served = self.demand[members], self.served[members]
        total = demand.sum()
        return {
            "fill_rate": float(served.sum() / total) if total > 0 else None,
            "target": None if target is None else float(target),
            "avg_stock": float(self.closing_stock[members].sum(0).mean()) if demand.shape[1] else 0.0,
            "stockout_weeks": int((demand - served > 0).sum()),
            "orders": int((self.orders[members] > 0).sum()),
            "items": int(members.sum()),
        }


def simulate(
    demand: np.ndarray,
    order_up_to: np.ndarray,
    *,
    lead_time: int,
    review_period: int,
    initial_stock: np.ndarray | None = None,
    start: np.ndarray | None = None,
) -> Simulation:
    """Replay ``demand`` (n, T) units per item and week against the order-up-to levels ``order_up_to`` (n, T)
    units, the level S in force each week, with lost sales; vectorised over items, one step per week.

    Week t: (1) orders due at t arrive into on-hand stock; (2) if t is a review week (t % ``review_period`` ==
    0) the inventory position IP = on hand + on order (placed, not yet arrived) is compared with S[:, t], and
    if IP < S the whole units ceil(S - IP) are ordered, due at t + ``lead_time`` (with ``lead_time`` 0 they
    arrive at once, before the week's demand); (3) the demand is served from on hand, served = min(on hand,
    demand), the rest is lost; what is left is the week's closing stock. Orders due after week T-1 never arrive.

    ``start`` (n,) the week each item enters (default 0: every item from week 0): before it the item holds and orders
    nothing and its demand must be 0. ``initial_stock`` (n,) the units on hand as an item enters (nothing on order);
    default ceil(S) of its entry week.
    """
    demand = _nonnegative(demand, "demand", ndim=2)
    order_up_to = _nonnegative(order_up_to, "order_up_to", ndim=2)
    if order_up_to.shape != demand.shape:
        raise ValueError(f"order_up_to must have the shape of demand {demand.shape}, got {order_up_to.shape}")
    lead_time = _nonnegative_int(lead_time, "lead_time")
    review_period = check_positive_int(review_period, "review_period")
    n_items, n_weeks = demand.shape
    start = np.zeros(n_items, dtype=int) if start is None else _entry_weeks(start, demand)
    if initial_stock is None and n_weeks:
        entering_stock = np.ceil(order_up_to[np.arange(n_items), np.minimum(start, n_weeks - 1)])
    elif initial_stock is None:
        entering_stock = np.zeros(n_items)
    else:
        entering_stock = _nonnegative(initial_stock, "initial_stock", ndim=1)
        if entering_stock.shape != (n_items,):
            raise ValueError(f"initial_stock must have shape ({n_items},), got {entering_stock.shape}")
    on_hand = np.where(start == 0, entering_stock, 0.0)

    served, closing, orders = (np.zeros((n_items, n_weeks)) for _ in range(3))
    # Units due per week; weeks from T on are the orders that never arrive.
    due = np.zeros((n_items, n_weeks + lead_time))
    on_order = np.zeros(n_items)
    for week in range(n_weeks):
        if week:
            on_hand = np.where(start == week, entering_stock, on_hand)
        # Ordering before receiving gives the same IP (arrivals due now count as on order until received) and
        # lets a lead-time-0 order arrive in the same step as every other.
        if week % review_period == 0:
            gap = np.where(start <= week, order_up_to[:, week] - (on_hand + on_order), 0.0)
            order = np.where(gap > 0, np.maximum(np.ceil(gap - _ROUND_OFF), 0.0), 0.0)
            orders[:, week] = order
            due[:, week + lead_time] += order
            on_order += order
        on_hand = on_hand + due[:, week]
        on_order -= due[:, week]
        served[:, week] = np.minimum(on_hand, demand[:, week])
        on_hand = on_hand - served[:, week]
        closing[:, week] = on_hand
    return Simulation(demand=demand, served=served, closing_stock=closing, orders=orders)


def normal_order_up_to(rate: np.ndarray, sigma: np.ndarray, periods: int, z: float) -> np.ndarray:
    """(n,) units: S = periods * rate + z * sigma * sqrt(periods), clipped at 0, for ``rate`` (n,) units a week
    (e.g. TSB's forecast), ``sigma`` (n,) units a week (the std of its one-step in-sample errors), ``periods``
    the protection period in weeks (lead time + review period) and the safety factor ``z``."""
    rate = _finite(rate, "rate", ndim=1)
    sigma = _nonnegative(sigma, "sigma", ndim=1)
    if sigma.shape != rate.shape:
        raise ValueError(f"sigma must have the shape of rate {rate.shape}, got {sigma.shape}")
    periods = check_positive_int(periods, "periods")
    return np.maximum(periods * rate + float(z) * sigma * np.sqrt(periods), 0.0)


def mean_std_order_up_to(recent_units: np.ndarray, periods: int, k: float) -> np.ndarray:
    """(n,) units: S = periods * mean + k * std * sqrt(periods), clipped at 0, where mean and std (population)
    are over the weeks of ``recent_units`` (n, w) units a week. NaN weeks (before the item's first sale) are
    left out; an item with no week left gets 0. ``periods`` is the protection period in weeks."""
    recent_units = np.asarray(recent_units, dtype=float)
    if recent_units.ndim != 2:
        raise ValueError(f"recent_units must be 2-D (items, weeks), got shape {recent_units.shape}")
    known = ~np.isnan(recent_units)
    if np.isinf(recent_units).any() or (recent_units[known] < 0).any():
        raise ValueError("recent_units must be finite and >= 0 (NaN allowed for weeks before the first sale)")
    periods = check_positive_int(periods, "periods")
    # By hand rather than nanmean/nanstd, which warn on the all-NaN rows of items that have not sold yet.
    count = known.sum(1)
    values = np.where(known, recent_units, 0.0)
    mean = np.divide(values.sum(1), count, out=np.zeros(len(count)), where=count > 0)
    squares = np.where(known, (recent_units - mean[:, None]) ** 2, 0.0).sum(1)
    std = np.sqrt(np.divide(squares, count, out=np.zeros(len(count)), where=count > 0))
    return np.maximum(periods * mean + float(k) * std * np.sqrt(periods), 0.0)


def spread_order_up_to(median: np.ndarray, upper: np.ndarray, upper_level, z: float) -> np.ndarray:
    """(n,) units: S = median + z * sigma, clipped at 0, where sigma = (upper - median) / Phi^-1(``upper_level``) reads
    the spread of a quantile forecast of the demand over the protection period as a normal standard deviation:
    ``median`` (n,) and ``upper`` (n,) units are its 50% and ``upper_level`` quantiles, upper >= median;
    ``upper_level`` is one level in (0.5, 1) or one per item, (n,). The safety factor ``z`` is then on the scale of
    the normal policies' (z = 0: the median)."""
    from scipy.stats import norm

    median = _finite(median, "median", ndim=1)
    upper = _finite(upper, "upper", ndim=1)
    if upper.shape != median.shape:
        raise ValueError(f"upper must have the shape of median {median.shape}, got {upper.shape}")
    if (upper < median).any():
        raise ValueError("upper must be >= median for every item")
    levels = np.broadcast_to(np.asarray(upper_level, dtype=float), median.shape)
    if not ((levels > 0.5) & (levels < 1)).all():
        raise ValueError(f"upper_level must lie in (0.5, 1), got {upper_level!r}")
    sigma = (upper - median) / norm.ppf(levels)
    return np.maximum(median + float(z) * sigma, 0.0)


def _entry_weeks(start, demand: np.ndarray) -> np.ndarray:
    """``start`` checked as (n,) whole weeks in [0, T] of ``demand`` (n, T), with no demand before an item's."""
    start = np.asarray(start)
    n_items, n_weeks = demand.shape
    if start.shape != (n_items,) or not np.issubdtype(start.dtype, np.integer):
        raise ValueError(f"start must be ({n_items},) whole week indices, got {start.dtype} {start.shape}")
    if (start < 0).any() or (start > n_weeks).any():
        raise ValueError(f"start must lie in [0, {n_weeks}]")
    if (demand[np.arange(n_weeks) < start[:, None]] > 0).any():
        raise ValueError("demand must be 0 before an item's start week")
    return start


def replay_intervals(simulations: dict[str, Simulation], classes: np.ndarray, n_resamples: int = 1000) -> dict:
    """policy -> class (and "all") -> ``{"fill_rate_ci95", "avg_stock_ci95"}``: 95% intervals from a bootstrap
    over the items (n,), paired across the policies (one resample of items serves all), of the fill rate and of the
    average units on hand; None where the class had no demand."""
    from longtail.stats import paired_bootstrap_means, percentile_interval

    intervals = {policy: {} for policy in simulations}
    for name in [*np.unique(classes), "all"]:
        members = np.ones(len(classes), dtype=bool) if name == "all" else classes == name
        demand = next(iter(simulations.values())).demand[members].sum(1)
        values = {"demand": demand}
        for policy, simulation in simulations.items():
            values[f"served {policy}"] = simulation.served[members].sum(1)
            values[f"stock {policy}"] = simulation.closing_stock[members].mean(1)
        resampled = paired_bootstrap_means(values, n_resamples=n_resamples)
        for policy in simulations:
            with np.errstate(divide="ignore", invalid="ignore"):
                fill = resampled[f"served {policy}"] / resampled["demand"]
            stock = resampled[f"stock {policy}"] * members.sum()
            intervals[policy][str(name)] = {
                "fill_rate_ci95": percentile_interval(fill) if demand.sum() > 0 else None,
                "avg_stock_ci95": percentile_interval(stock),
            }
    return intervals


def tune_parameter(candidates: Iterable[float], fill_rate_of: Callable[[float], float], target: float) -> float:
    """The smallest of ``candidates`` whose ``fill_rate_of(candidate)`` (the achieved fill rate, assumed
    non-decreasing in the candidate) is >= ``target``; the largest candidate if none reaches it. Candidates are
    tried in increasing order and the search stops at the first that meets the target."""
    candidates = sorted(float(candidate) for candidate in candidates)
    if not candidates:
        raise ValueError("candidates must not be empty")
    target = float(target)
    if not 0 < target <= 1:
        raise ValueError(f"target must be a fill rate in (0, 1], got {target}")
    for candidate in candidates:
        # A NaN fill rate (no demand) compares False and so never meets the target.
        if fill_rate_of(candidate) >= target:
            return candidate
    return candidates[-1]


def _finite(values, name: str, ndim: int) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    if values.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {values.shape}")
    if not np.isfinite(values).all():
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return values


def _nonnegative(values, name: str, ndim: int) -> np.ndarray:
    values = _finite(values, name, ndim)
    if (values < 0).any():
        raise ValueError(f"{name} must be >= 0, got minimum {values.min()}")
    return values


def _nonnegative_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
    return int(value)


def _probability(value, name: str) -> float:
    value = float(value)
    if not 0 < value < 1:
        raise ValueError(f"{name} must be in (0, 1), got {value}")
    return value
