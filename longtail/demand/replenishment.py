"""From forecasts to stock decisions: three order-up-to policies, tuned and compared by replaying the backtest
weeks, and the replenishment plan of the current week.

Every policy is a periodic-review order-up-to policy (``longtail.demand.inventory``, lost sales): at each review
an item whose inventory position is below its order-up-to level S orders up to S (the reorder point is S - 1
unit: the position at which an order is placed). S covers the protection period, the lead time plus the review
period. The policies differ in S and each has one safety knob:

- ``longtail``: the median of the system's calibrated quantile forecast of demand over the protection period
  (``longtail.demand.quantiles.QuantileGBM``, volume-weighted) plus z times its spread read as a standard
  deviation, (P90 - P50) / 1.28, or (P95 - P50) / 1.64 where P90 is the median (``system_order_up_to``);
- ``tsb_normal``: TSB's forecast over the period plus z times the std of its one-step in-sample errors times
  the square root of the period (normal safety stock);
- ``mean_std``: the mean of the last ``RECENT_WEEKS`` weeks over the period plus k times their std times the
  square root of the period.

Every knob is a safety factor on the same grid (``KNOBS``). Each policy's knob is tuned per stock group (the
demand class, or "new" for items first sold at most ``NEW_ITEM_WEEKS`` weeks before: ``stock_groups``) to the
smallest value whose replay meets the fill-rate target on the tuning weeks (the weeks before the reported ones),
then the reported weeks are replayed once with it. The plans are re-made at every backtest origin (every ``step``
weeks), from the weeks before it only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from longtail.demand.classes import CLASSES
from longtail.demand.inventory import (
    Simulation,
    mean_std_order_up_to,
    normal_order_up_to,
    replay_intervals,
    simulate,
    spread_order_up_to,
    tune_parameter,
)
from longtail.demand.models import tsb_forecast
from longtail.demand.quantiles import LEVELS, QuantileGBM
from longtail.demand.series import History, Panel
from longtail.demand.stock_groups import NEW, classes_at, stock_groups
from longtail.validation import check_positive_int

POLICIES = ("longtail", "tsb_normal", "mean_std")
SYSTEM_POLICY = "longtail"
# The safety factors each policy's tuning tries: the same grid for every policy.
KNOBS = dict.fromkeys(POLICIES, tuple(np.round(np.arange(0.0, 6.01, 0.1), 2)))
# The system's spread is the distance from its median to this quantile. On the weeks before the reported ones, the
# 95% quantile's trees, fitted on few large outcomes, put P95 at up to 6 times P90 for some items, and levels read
# above P90 (the 0.5-0.99 quantiles, an exponential tail past P95) held up to 18 times an item's replayed demand in
# stock: erratic items needed 731k units for a 93% fill rate against TSB-normal's 418k; with this rule, 420k.
# Where P90 is the median (nine protection periods in ten at the median: items that seldom sell), the spread is read
# up to P95 instead: on the Magazine shop's tuning weeks P90 alone left intermittent items short of a 95% fill rate
# at any factor (0.944 at most), and with P95 there they reach it with 2,942 units on hand (TSB-normal 3,221).
STOCK_UPPER_LEVEL, STOCK_FALLBACK_LEVEL = 0.9, 0.95
RECENT_WEEKS = 13
# No sale for this many weeks: dormant (13, a quarter) or obsolete (26, half a year: no order is suggested).
DORMANT_WEEKS = 13
OBSOLETE_WEEKS = 26


@dataclass(frozen=True)
class StockSettings:
    """``lead_time_weeks`` from order to arrival (>= 0), ``review_period_weeks`` between orders (>= 1) and the
    ``fill_rate_target`` (share of demanded units served from stock, in (0, 1))."""

    lead_time_weeks: int = 2
    review_period_weeks: int = 1
    fill_rate_target: float = 0.95

    def __post_init__(self):
        if not isinstance(self.lead_time_weeks, int) or self.lead_time_weeks < 0:
            raise ValueError(f"lead_time_weeks must be an integer >= 0, got {self.lead_time_weeks!r}")
        check_positive_int(self.review_period_weeks, "review_period_weeks")
        if not 0 < self.fill_rate_target < 1:
            raise ValueError(f"fill_rate_target must lie strictly between 0 and 1, got {self.fill_rate_target!r}")

    @property
    def protection_weeks(self) -> int:
        """The weeks an order-up-to level must cover: lead time plus review period."""
        return self.lead_time_weeks + self.review_period_weeks


def order_up_to_levels(history: History, settings: StockSettings) -> dict[str, callable]:
    """Per policy, a function from its knob to the (n,) order-up-to levels (units) of the rows of ``history``,
    planned at its end."""
    weeks = settings.protection_weeks
    quantiles = stock_quantiles(history, weeks)
    rate, fitted = tsb_forecast(history)
    sigma = np.nan_to_num(_error_std(history, fitted))
    recent = np.where(history.alive, history.units, np.nan)[:, -RECENT_WEEKS:]
    return {
        "longtail": lambda z: system_order_up_to(quantiles, z),
        "tsb_normal": lambda z: normal_order_up_to(rate, sigma, weeks, z),
        "mean_std": lambda k: mean_std_order_up_to(recent, weeks, k),
    }


def stock_quantiles(history: History, weeks: int) -> np.ndarray:
    """(n, len(LEVELS)) units: the system's quantile forecast of each item's demand over the next ``weeks`` weeks
    for stock, volume-weighted (fill rates count units) and without the interval (its models would be fitted for
    nothing)."""
    return QuantileGBM(weeks, interval_level=None, volume_weighted=True).fit(history).quantiles_


def system_order_up_to(quantiles: np.ndarray, z: float) -> np.ndarray:
    """(n,) units: the system's order-up-to level at safety factor ``z`` from ``stock_quantiles`` (n, len(LEVELS)):
    ``spread_order_up_to`` with the spread to ``STOCK_UPPER_LEVEL``, or to ``STOCK_FALLBACK_LEVEL`` where the former
    is the median."""
    median = quantiles[:, LEVELS.index(0.5)]
    upper, fallback = (quantiles[:, LEVELS.index(level)] for level in (STOCK_UPPER_LEVEL, STOCK_FALLBACK_LEVEL))
    spread = upper > median
    upper_level = np.where(spread, STOCK_UPPER_LEVEL, STOCK_FALLBACK_LEVEL)
    return spread_order_up_to(median, np.where(spread, upper, fallback), upper_level, z)


def _error_std(history: History, fitted: np.ndarray) -> np.ndarray:
    """(n,) std of each series' one-step in-sample errors (``units - fitted`` after its first week), or of the series
    itself where that leaves fewer than two errors. Series of one length at a time: each row's std then sums its own
    weeks only, in the same order as on the series alone, so that the levels do not move by a rounding."""
    lengths, n_weeks = history.age(), history.n_weeks
    sigma = np.zeros(len(lengths))
    for length in np.unique(lengths):
        rows = lengths == length
        series = history.units[rows, n_weeks - length :]
        errors = series[:, 1:] - fitted[rows, n_weeks - length + 1 :]
        sigma[rows] = np.nanstd(errors, axis=1) if length > 2 else series.std(axis=1)
    return sigma


@dataclass
class Replay:
    """The weeks from ``origins[0]`` to the end of the last origin's ``step`` weeks, replayed for the items that
    had sold before the last origin: ``rows`` (n,) panel rows, ``classes`` (n,) their stock group
    (``stock_groups``), ``demand`` (n, T) units, ``start`` (n,) the week each item enters (the first origin whose
    history holds it: an item first sold during the replay enters at the next plan, with that plan's S on hand, and
    its demand before then is left out, since no policy could have planned it), and per origin (in order) and
    policy the knob -> levels function (0 for the items that have not entered)."""

    rows: np.ndarray
    classes: np.ndarray
    demand: np.ndarray
    start: np.ndarray
    levels: list[dict[str, callable]]
    step: int
    settings: StockSettings

    @classmethod
    def build(
        cls, panel: Panel, origins: list[int], step: int, classes: np.ndarray, settings: StockSettings, end: int
    ) -> Replay:
        """The replay of ``origins`` (week indices, ``step`` apart) up to week index ``end`` (excluded), the last
        origin's plan holding from it to ``end``; ``classes`` (n_items,) every panel item's stock group at the first
        origin (``stock_groups``): the items not sold by then enter later, as ``NEW`` whatever ``classes`` says."""
        rows = panel.history(origins[-1]).rows
        first_plan = np.full(len(rows), -1)
        levels = []
        for index, origin in enumerate(origins):
            history = panel.history(origin)
            planned = np.isin(rows, history.rows)
            first_plan[planned & (first_plan < 0)] = index
            positions = np.searchsorted(history.rows, rows[planned])
            levels.append(
                {
                    name: _rows_of(level, positions, planned)
                    for name, level in order_up_to_levels(history, settings).items()
                }
            )
        start = first_plan * step
        demand = panel.units[rows, origins[0] : end] * (np.arange(end - origins[0]) >= start[:, None])
        groups = np.where(start > 0, NEW, classes[rows])
        return cls(rows, groups, demand, start, levels, step, settings)

    def simulate(self, policy: str, knobs: dict[str, float], members: np.ndarray | None = None) -> Simulation:
        """The replay of ``policy`` with ``knobs`` (stock group -> knob) for the items ``members`` (a mask; None
        for all)."""
        members = np.ones(len(self.rows), dtype=bool) if members is None else members
        return simulate(
            self.demand[members],
            self.order_up_to(policy, knobs, members),
            lead_time=self.settings.lead_time_weeks,
            review_period=self.settings.review_period_weeks,
            start=self.start[members],
        )

    def order_up_to(self, policy: str, knobs: dict[str, float], members: np.ndarray | None = None) -> np.ndarray:
        """(n_members, T) units: the level of ``policy`` in force each week for the items ``members`` (a mask;
        None for all), each origin's plan holding for ``step`` weeks and the last one's to the end; ``knobs``
        maps stock groups to knobs (``knob_of`` for the others)."""
        members = np.ones(len(self.rows), dtype=bool) if members is None else members
        classes, weeks = self.classes[members], self.demand.shape[1]
        levels = np.zeros((len(classes), weeks))
        for index, planned in enumerate(self.levels):
            until = (index + 1) * self.step if index + 1 < len(self.levels) else weeks
            for name in np.unique(classes):
                in_class = classes == name
                knob = knob_of(knobs, name, KNOBS[policy][-1])
                levels[in_class, index * self.step : until] = planned[policy](knob)[members][in_class, None]
        return levels

    def tune(self, policy: str) -> dict[str, float]:
        """Per stock group, the smallest knob of ``policy`` whose replay meets the fill-rate target."""
        knobs = {}
        for name in np.unique(self.classes):
            members = self.classes == name

            def fill_rate(knob, members=members, name=name):
                served = self.simulate(policy, {name: knob}, members)
                return served.served.sum() / max(served.demand.sum(), 1e-12)

            knobs[str(name)] = tune_parameter(KNOBS[policy], fill_rate, self.settings.fill_rate_target)
        return knobs


def untuned_knob(settings: StockSettings) -> float:
    """The safety factor where no replay tunes one: the normal quantile of the fill-rate target (the cycle service
    level of that value stands in for the fill rate)."""
    from scipy.stats import norm

    return float(norm.ppf(settings.fill_rate_target))


def knob_of(knobs: dict[str, float], name: str, default: float) -> float:
    """The knob tuned for class ``name``; for a class tuning never saw (its items all started selling later), the
    largest tuned knob (``default`` when none was tuned)."""
    return knobs[name] if name in knobs else max(knobs.values(), default=default)


def _rows_of(level, positions: np.ndarray, planned: np.ndarray):
    """knob -> (len(planned),) levels: ``level(knob)`` at ``positions`` for the ``planned`` rows, 0 for the others."""

    def levels(knob):
        out = np.zeros(len(planned))
        out[planned] = level(knob)[positions]
        return out

    return levels


def inventory_simulation(
    panel: Panel, tuning_origins: list[int], origins: list[int], step: int, classes: np.ndarray, settings: StockSettings
) -> tuple[dict, dict[str, Simulation], Replay, dict[str, dict[str, float]]]:
    """Tune every policy on ``tuning_origins`` (up to the first of ``origins``) and replay it on ``origins`` (week
    indices, ``step`` apart; up to the panel's end), per stock group: ``classes`` (n_items,) the items' demand
    classes at ``origins[0]``, what the planner knows then, and ``NEW`` for the items new at each replay's first
    origin (``stock_groups``) or first sold during it, so that the new items' knob is tuned on items that were new
    in the tuning replay.

    Returns ``(report, simulations, replay, knobs)``: ``report[policy]`` maps each stock group and "all" to
    ``Simulation.summary``'s figures plus ``knob`` (the tuned value; None for "all") and the 95% intervals
    ``fill_rate_ci95`` and ``avg_stock_ci95`` (``replay_intervals``); ``simulations[policy]`` is the reported replay;
    ``replay`` the reported ``Replay``; ``knobs[policy]`` the tuned knob of each stock group of the tuning replay,
    which the reported one may lack (the plan's new items, when no item was new in the reported replay).
    """
    tuning_groups = stock_groups(panel, tuning_origins[0], classes)
    tuning = Replay.build(panel, tuning_origins, step, tuning_groups, settings, end=origins[0])
    reported = Replay.build(panel, origins, step, stock_groups(panel, origins[0], classes), settings, end=panel.n_weeks)
    report, simulations, tuned = {}, {}, {}
    for policy in POLICIES:
        knobs = tuned[policy] = tuning.tune(policy)
        simulations[policy] = reported.simulate(policy, knobs)
        summary = simulations[policy].summary(reported.classes, target=settings.fill_rate_target)
        report[policy] = {
            name: figures | {"knob": None if name == "all" else knob_of(knobs, name, KNOBS[policy][-1])}
            for name, figures in summary.items()
        }
    for policy, by_class in replay_intervals(simulations, reported.classes).items():
        for name, intervals in by_class.items():
            report[policy][name] |= intervals
    return report, simulations, reported, tuned


def replenishment_table(
    panel: Panel, replay: Replay | None, simulation: Simulation | None, knobs: dict[str, float], settings: StockSettings
) -> pd.DataFrame:
    """The plan of the week after the panel's last: per item that has sold, ``demand_class``, ``stock_group``
    (``stock_groups``), the protection period's forecast quantiles ``p10 .. p95`` (``stock_quantiles``),
    ``safety_factor`` (its stock group's tuned knob in ``knobs``), ``order_up_to`` (the system's level at that factor,
    rounded up; 0 for obsolete items), ``reorder_point`` (order_up_to - 1), ``stock_position`` (on hand plus on order
    at the end of ``simulation``, the system's replay; there is no stock data, and items first sold after its last
    plan count as empty), ``suggested_order`` (units to order now), ``weeks_since_sale``, ``dormant`` and
    ``obsolete``."""
    history = panel.history(panel.n_weeks)
    quantiles = stock_quantiles(history, settings.protection_weeks)
    classes = classes_at(panel, panel.n_weeks)
    groups = stock_groups(panel, panel.n_weeks, classes)[history.rows]
    factor, order_up_to = np.zeros(len(history.rows)), np.zeros(len(history.rows))
    for name in np.unique(groups):
        in_group = groups == name
        knob = knob_of(knobs, name, untuned_knob(settings))
        factor[in_group] = knob
        order_up_to[in_group] = system_order_up_to(quantiles, knob)[in_group]
    weeks_since_sale = np.argmax(history.units[:, ::-1] > 0, axis=1)
    obsolete = weeks_since_sale >= OBSOLETE_WEEKS
    order_up_to = np.where(obsolete, 0.0, np.maximum(np.ceil(order_up_to - 1e-9), 0.0))
    position = np.zeros(len(history.rows))
    if simulation is not None:
        on_order = simulation.orders[:, simulation.orders.shape[1] - settings.lead_time_weeks :].sum(1)
        position[np.searchsorted(history.rows, replay.rows)] = simulation.closing_stock[:, -1] + on_order
    table = pd.DataFrame(
        {
            "item_id": panel.item_ids[history.rows],
            "demand_class": classes[history.rows],
            "stock_group": groups,
        }
    )
    for level, column in zip(LEVELS, quantiles.T):
        table[f"p{round(level * 100)}"] = column
    return table.assign(
        safety_factor=factor,
        order_up_to=order_up_to,
        reorder_point=np.maximum(order_up_to - 1, 0),
        stock_position=position,
        suggested_order=np.maximum(order_up_to - position, 0.0),
        weeks_since_sale=weeks_since_sale,
        dormant=(weeks_since_sale >= DORMANT_WEEKS) & ~obsolete,
        obsolete=obsolete,
        lead_time_weeks=settings.lead_time_weeks,
        review_period_weeks=settings.review_period_weeks,
        fill_rate_target=settings.fill_rate_target,
    )


def plan_replenishment(
    panel: Panel, horizon: int, n_origins: int, step: int, settings: StockSettings, min_training_weeks: int
) -> tuple[dict | None, pd.DataFrame, pd.DataFrame]:
    """``(report, table, stock_path)`` of one dataset's ``panel``: the replay of the backtest's ``n_origins`` origins
    (``step`` weeks apart, the last ``horizon`` weeks before the end) with every policy tuned on as many origins
    before them, and the ``replenishment_table``. Where the history is too short for both (the first tuning
    origin needs ``min_training_weeks`` weeks before it), ``report`` is None and the table uses the fill-rate
    target's normal quantile as every stock group's safety factor (``untuned_knob``), with every stock position 0.

    ``report``: ``inventory_simulation`` (policy -> class -> figures, as ``inventory_simulation``), ``settings``,
    ``tuning_origins`` and ``origins`` (ISO dates) and ``tradeoff`` (policy -> class -> one
    ``{knob, fill_rate, avg_stock}`` per knob tried, on the reported weeks: the curve the tuned point lies on).
    ``stock_path``: the system policy's replay, one row per item and week (``item_id, week, demand,
    closing_stock, order_up_to``; empty without a replay).
    """
    tuning_origins, origins = replay_origins(panel.n_weeks, horizon, n_origins, step)
    if not origins or tuning_origins[0] < min_training_weeks:
        table = replenishment_table(panel, None, None, dict.fromkeys((*CLASSES, NEW), untuned_knob(settings)), settings)
        return None, table, pd.DataFrame(columns=["item_id", "week", "demand", "closing_stock", "order_up_to"])
    classes = classes_at(panel, origins[0])
    figures, simulations, replay, knobs = inventory_simulation(panel, tuning_origins, origins, step, classes, settings)
    table = replenishment_table(panel, replay, simulations[SYSTEM_POLICY], knobs[SYSTEM_POLICY], settings)
    report = {
        "inventory_simulation": figures,
        "settings": {
            "lead_time_weeks": settings.lead_time_weeks,
            "review_period_weeks": settings.review_period_weeks,
            "fill_rate_target": settings.fill_rate_target,
        },
        "tuning_origins": [panel.weeks[origin].date().isoformat() for origin in tuning_origins],
        "origins": [panel.weeks[origin].date().isoformat() for origin in origins],
        "tradeoff": tradeoff(replay),
    }
    simulation = simulations[SYSTEM_POLICY]
    n_items, n_weeks = simulation.demand.shape
    stock_path = pd.DataFrame(
        {
            "item_id": np.repeat(panel.item_ids[replay.rows], n_weeks),
            "week": np.tile(panel.weeks[origins[0] : origins[0] + n_weeks], n_items),
            "demand": simulation.demand.ravel(),
            "closing_stock": simulation.closing_stock.ravel(),
            "order_up_to": replay.order_up_to(SYSTEM_POLICY, knobs[SYSTEM_POLICY]).ravel(),
        }
    )
    return report, table, stock_path


def replay_origins(n_weeks: int, horizon: int, n_origins: int, step: int) -> tuple[list[int], list[int]]:
    """``(tuning_origins, origins)`` week indices of a ``n_weeks``-week panel: the backtest's ``n_origins`` origins,
    ``step`` weeks apart, the last ``horizon`` weeks before the end, and as many ``n_origins * step`` weeks earlier."""
    origins = [n_weeks - horizon - step * back for back in reversed(range(n_origins))]
    return [origin - step * n_origins for origin in origins], origins


def tradeoff(replay: Replay) -> dict:
    """policy -> stock group -> ``[{knob, fill_rate, avg_stock}, ...]`` of every knob of ``KNOBS`` on ``replay``."""
    curves = {}
    for policy in POLICIES:
        curves[policy] = {}
        for name in np.unique(replay.classes):
            members = replay.classes == name
            points = []
            for knob in KNOBS[policy]:
                figures = replay.simulate(policy, {name: knob}, members).summary()["all"]
                points.append(
                    {"knob": float(knob), "fill_rate": figures["fill_rate"], "avg_stock": figures["avg_stock"]}
                )
            curves[policy][str(name)] = points
    return curves
