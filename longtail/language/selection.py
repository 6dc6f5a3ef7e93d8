"""Which items get a generated description in this run: the uncached ones, tail first, within a budget.

Generation is the slow step (seconds per item on a CPU), so each run generates at most a budget of new texts and
leaves the rest for the next run; the least popular items, which most need a text to be found, go first.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from longtail.validation import require_columns


def select_for_generation(
    candidates: pd.DataFrame, popularity: Mapping[object, float] | pd.Series, cached_hashes: Iterable[str], budget: int
) -> pd.DataFrame:
    """The candidates to generate for now: those whose ``prompt_hash`` is not cached, least popular first, at most
    ``budget`` of them.

    ``candidates`` has ``item_id`` and ``prompt_hash`` (one row per item); ``popularity`` maps ``item_id`` to a
    count (events, purchases), items missing from it counting 0. Ties are broken by ``item_id``, so the selection
    does not depend on row order. Returns the selected rows of ``candidates`` (all its columns, fresh index).
    """
    require_columns(candidates, ["item_id", "prompt_hash"], "candidates")
    _check_budget(budget)
    if candidates["item_id"].duplicated().any():
        raise ValueError("candidates must have one row per item_id")
    counts = pd.Series(popularity, dtype="float64") if not isinstance(popularity, pd.Series) else popularity
    uncached = candidates[~candidates["prompt_hash"].isin(set(cached_hashes))]
    ordered = uncached.assign(_popularity=uncached["item_id"].map(counts).fillna(0.0).to_numpy())
    ordered = ordered.sort_values(["_popularity", "item_id"], kind="stable")
    return ordered.drop(columns="_popularity").head(budget).reset_index(drop=True)


def select_within_budget(
    candidates: pd.DataFrame, popularity: Mapping[str, pd.Series], cached_hashes: Iterable[str], budget: int
) -> pd.DataFrame:
    """``select_for_generation`` per dataset with an even share of ``budget`` (rounded up; at most ``budget`` rows
    in all, the first datasets by name filling up first).

    ``candidates`` has ``dataset``, ``item_id`` and ``prompt_hash``; ``popularity`` maps a dataset to its
    interactions per ``item_id``. Items without any interaction (in no model's catalogue yet) rank after every item
    with some, the least popular of which come first. Returns the selected rows (all columns, fresh index).
    """
    require_columns(candidates, ["dataset", "item_id", "prompt_hash"], "candidates")
    _check_budget(budget)
    if candidates.empty or budget == 0:
        return candidates.iloc[:0].reset_index(drop=True)
    cached_hashes = set(cached_hashes)
    share = math.ceil(budget / candidates["dataset"].nunique())
    parts = []
    for dataset, group in candidates.groupby("dataset"):
        counts = popularity.get(dataset, pd.Series(dtype=float))
        priority = group["item_id"].map(counts).fillna(0.0).replace(0.0, np.inf)
        ranked = pd.Series(priority.to_numpy(), index=group["item_id"])
        parts.append(select_for_generation(group, ranked, cached_hashes, share))
    return pd.concat(parts, ignore_index=True).head(budget)


def _check_budget(budget: int) -> None:
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 0:
        raise ValueError(f"budget must be a non-negative integer, got {budget!r}")
