"""Rolling-origin backtest of the system (``GlobalGBM``) against the baselines, scored by RMSSE and MASE.

At an origin only the weeks before it exist: classes, scales, priors and forecasts all come from them, and items
whose first sale comes later are not forecast.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from longtail.demand.borrowing import NeighbourPrior
from longtail.demand.classes import CLASSES
from longtail.demand.models import GLOBAL_GBM, GlobalGBM, baseline_models, season_weeks
from longtail.demand.quantiles import quantile_models
from longtail.demand.series import Panel, check_weekly, for_dataset
from longtail.validation import check_positive_int

# The central interval (%) whose coverage the backtest measures, unless told otherwise.
LEVEL = 80


def backtest_errors(
    weekly: pd.DataFrame,
    horizon: int,
    n_origins: int,
    step: int,
    *,
    categories: pd.DataFrame | None = None,
    neighbours: pd.DataFrame | None = None,
    level: int = LEVEL,
) -> pd.DataFrame:
    """Rolling-origin errors of the system and every baseline on the single dataset of ``weekly``.

    The last origin leaves exactly ``horizon`` weeks to forecast; the others step back ``step`` weeks each.
    ``categories`` and ``neighbours`` are what young items borrow from (see ``forecast_items``). Scales are
    the in-sample one-step naive errors of the weeks before the origin (mean squared for RMSSE, mean absolute
    for MASE); a series with zero scale (one training week, or constant) cannot be scored and is kept with
    ``excluded`` True and NaN errors.

    Returns one row per origin, item and model: ``origin`` (the first forecast week), ``item_id``,
    ``demand_class`` (at the origin), ``model``, ``rmsse``, ``mase``, ``excluded``, ``forecast_total`` and
    ``actual_total`` (units over the horizon) and, for the system only, ``covered`` (the total fell in its
    ``level`` interval).
    """
    check_weekly(weekly)
    if weekly["dataset"].nunique() != 1:
        raise ValueError(f"weekly must hold one dataset, got {weekly['dataset'].nunique()}")
    panel = Panel.from_weekly(weekly)
    dataset = weekly["dataset"].iloc[0]
    prior = NeighbourPrior.build(panel.item_ids, for_dataset(categories, dataset), for_dataset(neighbours, dataset))
    return panel_errors(panel, prior, horizon, n_origins, step, level)


def panel_errors(
    panel: Panel, prior: NeighbourPrior, horizon: int, n_origins: int, step: int, level: int = LEVEL
) -> pd.DataFrame:
    """``backtest_errors`` of one dataset's ``panel`` with what its young items borrow from, ``prior``."""
    horizon, step = check_positive_int(horizon, "horizon"), check_positive_int(step, "step")
    n_origins = check_positive_int(n_origins, "n_origins")
    origins = [panel.n_weeks - horizon - step * back for back in reversed(range(n_origins))]
    if origins[0] < 2:
        raise ValueError(
            f"{n_origins} origins {step} weeks apart with horizon {horizon} need more than the {panel.n_weeks} weeks"
        )
    return pd.concat([_origin_errors(panel, origin, horizon, prior, level) for origin in origins], ignore_index=True)


def _origin_errors(panel: Panel, origin: int, horizon: int, prior: NeighbourPrior, level: int) -> pd.DataFrame:
    """``backtest_errors``'s rows of the week index ``origin``: point models scored by RMSSE and MASE, quantile
    models by the scaled pinball loss and their interval's coverage (the system is both)."""
    history = panel.history(origin)
    actual = panel.units[history.rows, origin : origin + horizon]
    actual_total = actual.sum(1)
    system = GlobalGBM(horizon, prior).fit(history)
    forecasts = {model.name: model.fit(history).predict(horizon) for model in baseline_models()}
    forecasts[system.name] = system.predict(horizon)
    quantiles = {model.name: model.fit(history) for model in quantile_models(horizon, interval_level=level)}
    squared_scale, absolute_scale = history.naive_scales()
    excluded = squared_scale == 0
    parts = []
    for model in [*forecasts, *(name for name in quantiles if name not in forecasts)]:
        scores = {name: np.nan for name in ("rmsse", "mase", "forecast_total", "spl", "covered")}
        if model in forecasts:
            error = actual - forecasts[model]
            with np.errstate(divide="ignore", invalid="ignore"):
                scores["rmsse"] = np.sqrt((error**2).mean(1) / squared_scale)
                scores["mase"] = np.abs(error).mean(1) / absolute_scale
            scores["forecast_total"] = forecasts[model].sum(1)
        if model in quantiles:
            fitted = quantiles[model]
            with np.errstate(divide="ignore", invalid="ignore"):
                loss = pinball_loss(actual_total, fitted.quantiles_, fitted.levels) / (horizon * absolute_scale)
            scores["spl"] = loss
            lo, hi = fitted.interval_
            scores["covered"] = (lo <= actual_total) & (actual_total <= hi)
        parts.append(
            pd.DataFrame(
                {
                    "origin": panel.weeks[origin],
                    "item_id": panel.item_ids[history.rows],
                    "demand_class": system.demand_class_,
                    "model": model,
                    "rmsse": np.where(excluded, np.nan, scores["rmsse"]),
                    "mase": np.where(excluded, np.nan, scores["mase"]),
                    "spl": np.where(excluded, np.nan, scores["spl"]),
                    "excluded": excluded,
                    "forecast_total": scores["forecast_total"],
                    "actual_total": actual_total,
                    "covered": scores["covered"],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def backtest(weekly: pd.DataFrame, horizon: int, n_origins: int, step: int, **options) -> dict:
    """The report (``backtest_report``) of ``backtest_errors(weekly, horizon, n_origins, step, **options)``
    (``options``: its ``categories``, ``neighbours`` and ``level``)."""
    errors = backtest_errors(weekly, horizon, n_origins, step, **options)
    return backtest_report(weekly, errors, horizon, step, options.get("level", LEVEL))


def backtest_report(weekly: pd.DataFrame, errors: pd.DataFrame, horizon: int, step: int, level: int = LEVEL) -> dict:
    """``{"dataset", "backtest", "system", "models"}`` from the ``errors`` that ``backtest_errors`` computed
    on ``weekly`` with ``horizon``, ``step`` and ``level``. Each scored (origin, item) pair is one series;
    ``models[name]["rmsse"|"mase"]`` holds the mean over all of them (``"all"``) and per class at the origin
    (``None`` for a class without series). ``backtest`` holds ``origins`` (ISO dates of the first forecast
    weeks), ``horizon``, ``step``, ``n_series`` (scored pairs), ``n_items`` (distinct items among them),
    ``n_excluded`` (zero-scale pairs), ``n_series_per_class``, ``seasonal_naive_weeks`` (the season each
    origin used) and ``interval`` (``level`` and the measured ``coverage`` of the system's interval of the
    horizon total). ``system`` names the system's model (``GLOBAL_GBM``). ``quantile_loss`` and ``coverage{level}``
    hold every quantile model's scaled pinball loss and interval coverage per class, and ``quantile_intervals`` the
    system's ratio to the best of them and its coverage with 95% intervals (``quantile_intervals``).
    """
    system = errors[errors["model"] == GLOBAL_GBM]
    scored = system[~system["excluded"]]
    origins = [pd.Timestamp(origin) for origin in sorted(system["origin"].unique())]
    weeks_before = [(origin - weekly["week"].min()) // pd.Timedelta(weeks=1) for origin in origins]
    return {
        "dataset": str(weekly["dataset"].iloc[0]),
        "backtest": {
            "origins": [origin.date().isoformat() for origin in origins],
            "horizon": horizon,
            "step": step,
            "n_series": len(scored),
            "n_items": int(scored["item_id"].nunique()),
            "n_excluded": int(system["excluded"].sum()),
            "n_series_per_class": {name: int((scored["demand_class"] == name).sum()) for name in CLASSES},
            "seasonal_naive_weeks": [season_weeks(n_weeks) for n_weeks in weeks_before],
            "interval": {"level": level, "coverage": float(scored["covered"].astype(bool).mean())},
        },
        "system": GLOBAL_GBM,
        "models": _model_means(errors, "rmsse", "mase"),
        "quantile_loss": {model: means["spl"] for model, means in _model_means(errors, "spl").items()},
        f"coverage{level}": {model: means["covered"] for model, means in _model_means(errors, "covered").items()},
        "quantile_intervals": quantile_intervals(errors),
    }


def quantile_intervals(errors: pd.DataFrame, n_resamples: int = 1000) -> dict[str, dict | None]:
    """Per demand class and "all": the system's scaled pinball loss over the best quantile baseline's (the lowest
    mean; ``baseline``, ``ratio``) and its coverage, each with a 95% interval (``ratio_ci95``, ``coverage_ci95``)
    from a bootstrap that resamples items (all their origins together, since an item's series at successive
    origins are alike), paired across the models; None for a class without series."""
    from longtail.stats import paired_bootstrap_means, percentile_interval

    scored = errors[~errors["excluded"] & errors["spl"].notna()].astype({"spl": float, "covered": float})
    system = scored[scored["model"] == GLOBAL_GBM].set_index(["origin", "item_id"])
    intervals = {}
    for name in ("all", *CLASSES):
        members = system.index if name == "all" else system.index[system["demand_class"] == name]
        if not len(members):
            intervals[name] = None
            continue
        part = scored.set_index(["origin", "item_id"]).loc[members].reset_index()
        losses = part.pivot_table(index="item_id", columns="model", values="spl", aggfunc="sum")
        means = part.groupby("model")["spl"].mean()
        baseline = means.drop(GLOBAL_GBM).idxmin()
        covered = part[part["model"] == GLOBAL_GBM].groupby("item_id")["covered"].agg(["sum", "count"])
        resampled = paired_bootstrap_means(
            {
                "system": losses[GLOBAL_GBM].to_numpy(),
                "baseline": losses[baseline].to_numpy(),
                "covered": covered["sum"].reindex(losses.index).to_numpy(),
                "series": covered["count"].reindex(losses.index).to_numpy(),
            },
            n_resamples=n_resamples,
        )
        intervals[name] = {
            "baseline": str(baseline),
            "ratio": float(means[GLOBAL_GBM] / means[baseline]),
            "ratio_ci95": percentile_interval(resampled["system"] / resampled["baseline"]),
            "coverage": float(covered["sum"].sum() / covered["count"].sum()),
            "coverage_ci95": percentile_interval(resampled["covered"] / resampled["series"]),
        }
    return intervals


def _model_means(errors: pd.DataFrame, *metrics: str) -> dict[str, dict[str, dict[str, float | None]]]:
    """model -> metric -> ``_class_means`` over the scored series, for the models with the first metric."""
    scored = errors[~errors["excluded"] & errors[metrics[0]].notna()]
    return {
        model: {metric: _class_means(part.astype({metric: float}), metric) for metric in metrics}
        for model, part in scored.groupby("model", sort=False)
    }


def _class_means(errors: pd.DataFrame, metric: str) -> dict[str, float | None]:
    means = {"all": float(errors[metric].mean()) if len(errors) else None}
    by_class = errors.groupby("demand_class")[metric].mean()
    return means | {name: float(by_class[name]) if name in by_class.index else None for name in CLASSES}


def backtest_table(report: dict, metric: str) -> pd.DataFrame:
    """``metric`` ("rmsse" or "mase") of ``backtest_report``'s ``report``: one row per model, the system's name
    marked " (longtail)", one column per demand class ("all" first), rounded to 4 decimals."""
    rows = [
        {"model": name + (" (longtail)" if name == report["system"] else ""), **figures[metric]}
        for name, figures in report["models"].items()
    ]
    return pd.DataFrame(rows).round(4)


def pinball_loss(actual: np.ndarray, quantiles: np.ndarray, levels) -> np.ndarray:
    """(n,) mean over ``levels`` (m,) of the pinball (quantile) loss of ``quantiles`` (n, m) for ``actual`` (n,),
    in the units of ``actual``."""
    error = actual[:, None] - quantiles
    levels = np.asarray(levels)[None, :]
    return np.maximum(levels * error, (levels - 1) * error).mean(1)
