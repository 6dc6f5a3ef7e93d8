"""What young items borrow from: the recent demand occurrence of their content neighbours, else of their category.

The prior weekly rate of an item is the similarity-weighted recent occurrence share (weeks with demand among the
last ``RECENT_WEEKS``) of its neighbours (else the mean over the other items of its category) times the item's
own median non-zero size; it is worth ``PRIOR_WEEKS`` weeks of the item's history. Both were chosen on the
tuning origins (``bench/demand_forecasts.py --tune``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from longtail.demand.series import History, categories_frame
from longtail.validation import require_columns

PRIOR_WEEKS = 1.0
RECENT_WEEKS = 13


@dataclass(frozen=True)
class NeighbourPrior:
    """Where each panel item borrows from: ``neighbours`` (n_items, n_items) sparse, non-negative similarity
    to other panel items, or None; ``category`` (n_items,) int codes (-1: none), or None."""

    neighbours: object
    category: np.ndarray | None

    @classmethod
    def build(
        cls, item_ids: np.ndarray, categories: pd.DataFrame | None = None, neighbours: pd.DataFrame | None = None
    ) -> NeighbourPrior:
        """The prior of the panel items ``item_ids`` (n_items,) from ``categories`` (``item_id, category``) and
        ``neighbours`` (``item_id, neighbour_id, similarity``; negative similarities count as none); rows about
        other items are ignored."""
        import scipy.sparse as sp

        index = pd.Index(item_ids)
        similarity = None
        if neighbours is not None:
            require_columns(neighbours, ["item_id", "neighbour_id", "similarity"], "neighbours")
            rows = index.get_indexer(neighbours["item_id"].astype(str))
            cols = index.get_indexer(neighbours["neighbour_id"].astype(str))
            weights = neighbours["similarity"].to_numpy(dtype=float).clip(min=0.0)
            keep = (rows >= 0) & (cols >= 0) & (rows != cols) & (weights > 0)
            shape = (len(index), len(index))
            similarity = sp.csr_matrix((weights[keep], (rows[keep], cols[keep])), shape=shape)
        codes = None
        if categories is not None:
            labels = categories_frame(categories).drop_duplicates("item_id").set_index("item_id")["category"]
            codes = pd.factorize(labels.reindex(index))[0]
        return cls(similarity, codes)

    def probability(self, rows: np.ndarray, probability: np.ndarray) -> np.ndarray:
        """The prior demand probability (n,) of the panel items ``rows`` (n,) given each one's own
        ``probability`` (n,), NaN where there is nothing to borrow from: the similarity-weighted mean over its
        neighbours among ``rows``, else the mean over the other items of its category among ``rows``."""
        prior = np.full(len(rows), np.nan)
        if self.category is not None:
            codes = self.category[rows]
            labelled = codes >= 0
            totals = np.bincount(codes[labelled], weights=probability[labelled], minlength=codes.max() + 1)
            counts = np.bincount(codes[labelled], minlength=codes.max() + 1)
            others = counts[codes[labelled]] - 1
            prior[labelled] = np.where(
                others > 0, (totals[codes[labelled]] - probability[labelled]) / np.maximum(others, 1), np.nan
            )
        if self.neighbours is not None:
            similarity = self.neighbours[rows][:, rows]
            weight = np.asarray(similarity.sum(1)).ravel()
            borrowed = (similarity @ probability) / np.where(weight > 0, weight, 1.0)
            prior = np.where(weight > 0, borrowed, prior)
        return prior

    def shrink(self, history: History, rate: np.ndarray) -> np.ndarray:
        """``rate`` (n,) units a week of the rows of ``history``, moved towards the borrowed prior rate with
        weight ``PRIOR_WEEKS / (age + PRIOR_WEEKS)``; unchanged where there is nothing to borrow from."""
        recent_units, recent_alive = history.units[:, -RECENT_WEEKS:], history.alive[:, -RECENT_WEEKS:]
        occurrence = np.where(recent_alive, recent_units > 0, np.nan)
        borrowed = self.probability(history.rows, np.nanmean(occurrence, axis=1))
        age = history.age()
        own_weight = np.where(np.isnan(borrowed), 1.0, age / (age + PRIOR_WEEKS))
        return own_weight * rate + (1 - own_weight) * np.nan_to_num(borrowed) * history.median_size()
