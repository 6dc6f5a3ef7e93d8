"""Small weekly demand tables for the demand tests."""

import numpy as np
import pandas as pd

MONDAY = pd.Timestamp("2024-01-01")


def weekly_frame(series: dict[str, list[float]], dataset: str = "shop") -> pd.DataFrame:
    """Weekly demand rows from ``item -> units per week``, every series starting on MONDAY."""
    rows = [
        (dataset, item, MONDAY + pd.Timedelta(weeks=week), float(units))
        for item, values in series.items()
        for week, units in enumerate(values)
    ]
    return pd.DataFrame(rows, columns=["dataset", "item_id", "week", "units"])


def poisson_weekly(rng: np.random.Generator, n_items: int, n_weeks: int, rates: tuple[float, float]) -> pd.DataFrame:
    """``n_items`` items ``item0, item1, ...`` selling Poisson units for ``n_weeks`` weeks from MONDAY, each at a
    rate drawn uniformly from ``rates``."""
    return weekly_frame(
        {f"item{i}": list(rng.poisson(rng.uniform(*rates), n_weeks).astype(float)) for i in range(n_items)}
    )


def final_history(series: dict[str, list[float]]):
    """``(panel, history)`` of ``weekly_frame(series)``: its panel and the history at its end."""
    from longtail.demand.series import Panel

    panel = Panel.from_weekly(weekly_frame(series))
    return panel, panel.history(panel.n_weeks)
