"""Syntetos-Boylan demand classes (Syntetos, Boylan and Croston 2005).

ADI = weeks in the series / weeks with demand; CV^2 = squared coefficient of variation of the non-zero weekly
demands (population variance, so an item with a single sale has CV^2 = 0). Smooth (ADI < 1.32, CV^2 < 0.49),
erratic (ADI < 1.32), intermittent (CV^2 < 0.49), lumpy (otherwise). A series starts at the item's first sale
(see ``longtail.demand.series``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from longtail.demand.series import History, Panel, check_weekly

CLASSES = ("smooth", "erratic", "intermittent", "lumpy")
ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49
CLASS_COLUMNS = ["dataset", "item_id", "n_weeks", "n_demand_weeks", "adi", "cv2", "demand_class"]


def classify_demand(weekly: pd.DataFrame) -> pd.DataFrame:
    """ADI, CV^2 and Syntetos-Boylan class of every item of ``weekly`` (as from ``weekly_demand``; leading
    zero weeks are ignored, items that never sold are left out). Columns ``CLASS_COLUMNS``: ``n_weeks`` and
    ``n_demand_weeks`` are counts of weeks, ``adi`` weeks per demand week, ``cv2`` unitless."""
    check_weekly(weekly)
    parts = []
    for dataset, part in weekly.groupby("dataset", sort=True):
        panel = Panel.from_weekly(part)
        classes = classify(panel.history(panel.n_weeks))
        parts.append(classes.assign(dataset=dataset, item_id=panel.item_ids))
    return pd.concat(parts, ignore_index=True)[CLASS_COLUMNS] if parts else pd.DataFrame(columns=CLASS_COLUMNS)


def classify(history: History) -> pd.DataFrame:
    """``n_weeks, n_demand_weeks, adi, cv2, demand_class`` of each history row (n rows, in its order)."""
    n_weeks = history.age()
    demand = history.units > 0
    n_demand = demand.sum(1)
    sizes = np.where(demand, history.units, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        cv2 = np.nanvar(sizes, axis=1) / np.nanmean(sizes, axis=1) ** 2
    adi = n_weeks / n_demand
    frequent, steady = adi < ADI_CUTOFF, cv2 < CV2_CUTOFF
    demand_class = np.select([frequent & steady, frequent, steady], CLASSES[:3], CLASSES[3])
    return pd.DataFrame(
        {"n_weeks": n_weeks, "n_demand_weeks": n_demand, "adi": adi, "cv2": cv2, "demand_class": demand_class}
    )


def class_counts(classes: pd.DataFrame) -> pd.DataFrame:
    """Items per dataset (rows) and demand class (columns, the classes present) of ``classify_demand``'s table."""
    return classes.groupby(["dataset", "demand_class"]).size().unstack(fill_value=0).reset_index()
