"""Every dataset's offline evaluation in one run, and the two tables the warehouse keeps of it: each model's
figures, and the settings that ``longtail.recommend.serving`` then serves."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from longtail.data.interactions import ORDER_FROM_LAST, with_orders_from_last
from longtail.parallel import run_largest_first
from longtail.recommend.evaluation.intervals import INTERVAL_METRICS
from longtail.recommend.evaluation.list_scores import REPORTED
from longtail.recommend.evaluation.offline import EvaluationSettings, evaluate_offline, split_events
from longtail.recommend.models import ALS
from longtail.recommend.models.base import Recommender
from longtail.recommend.serving import served_settings


@dataclass(frozen=True)
class DatasetInputs:
    """One dataset's evaluation inputs: ``interactions`` (``user_id, item_id, ts``, and ``order_id`` where
    orders are known), optional item vectors ``(item_ids, (n, dim) matrix)`` and optional ``review_scores``
    (``item_id, ts, score``)."""

    interactions: pd.DataFrame
    item_vectors: tuple[np.ndarray, np.ndarray] | None = None
    review_scores: pd.DataFrame | None = None


@dataclass(frozen=True)
class DatasetEvaluations:
    """``reports``: dataset -> ``evaluate_offline`` report; ``not_evaluated``: dataset -> why (e.g. too little
    history to split)."""

    reports: dict[str, dict]
    not_evaluated: dict[str, str]

    def model_figures(self) -> pd.DataFrame:
        """One row per dataset and model: ``dataset, model``, the ``REPORTED`` metrics, the 95% interval of each of
        ``INTERVAL_METRICS`` as text ("0.1012-0.1388"), and ``seconds``."""
        return pd.DataFrame(
            [
                {
                    "dataset": dataset,
                    "model": model,
                    **{name: figures.get(name) for name in REPORTED},
                    **{f"{name}_ci95": _interval_text(figures.get(f"{name}_ci95")) for name in INTERVAL_METRICS},
                    "seconds": figures.get("seconds"),
                }
                for dataset, report in self.reports.items()
                for model, figures in report["models"].items()
            ]
        )

    def settings(self) -> pd.DataFrame:
        """``dataset, settings``: the JSON of ``served_settings`` of each evaluated dataset."""
        return pd.DataFrame(
            [{"dataset": dataset, "settings": json.dumps(served_settings(r))} for dataset, r in self.reports.items()],
            columns=["dataset", "settings"],
        )


def _interval_text(interval: list[float] | None) -> str | None:
    return f"{interval[0]:.4f}-{interval[1]:.4f}" if interval else None


# A global cut that evaluates fewer users than this tells nothing apart (the 5-core shop's evaluated 5): such a shop
# is evaluated on each user's last visits instead, as the next-basket protocol does.
MIN_EVALUATED_USERS = 50


def evaluate_datasets(
    inputs: Mapping[str, DatasetInputs],
    *,
    test_days: int = 28,
    min_test_share: float = 0.05,
    order_number_datasets: Collection[str] = (),
    min_evaluated_users: int = MIN_EVALUATED_USERS,
    progress: Callable[[str], None] = lambda message: None,
    als: Callable[..., Recommender] = ALS,
    workers: int = 1,
    overrides: Mapping[str, Any] = MappingProxyType({}),
) -> DatasetEvaluations:
    """``evaluate_offline`` of each dataset on its own split (``test_days``, ``min_test_share``).

    The datasets of ``order_number_datasets`` (e.g. Instacart, whose timestamps are reconstructed while the order
    sequence is real) are evaluated by the next-basket protocol on each user's order sequence
    (``next_basket_orders``): each user's last order is the test and the one before it the validation, a user's
    first order never, whatever ``test_days``; a global cut on the order number kept 42 of Instacart's 593 users.
    So is a dataset whose global cut would evaluate fewer than ``min_evaluated_users`` users, each distinct time of
    a user (a day, in review files) an order; its report's ``split["global_cut_users"]`` says how many the cut
    evaluated. Their reviews are not weighed, as reviews have no order number. A dataset that cannot be evaluated
    (``ValueError``, such as too little history to split) is reported in ``not_evaluated`` and the others still
    run. ``progress`` gets a line per stage, prefixed with the dataset. ``als`` is the ALS baseline's constructor
    (``evaluate_offline``'s). ``overrides`` replace ``EvaluationSettings``' defaults other than the split's, such as
    the grids (``l2_grid``, ``baseline_grids``) or the baselines whose accuracy is the hybrid's floor
    (``floor_models``).

    ``workers`` datasets are evaluated at a time, in threads, the largest first; the reports are the same as one at
    a time (every random draw is seeded per model), only the models' ``seconds`` count the shared cores. Threads
    suffice because the heavy kernels (BLAS, sparse products, implicit's solver, FAISS) release the GIL, while a
    single evaluation leaves a third of two cores idle in its Python and single-threaded stretches
    (``bench/dataset_workers.py``).
    """
    outcomes = run_largest_first(
        {
            dataset: partial(
                _evaluate_dataset,
                dataset,
                inputs[dataset],
                test_days,
                min_test_share,
                dataset in order_number_datasets,
                min_evaluated_users,
                progress,
                als,
                overrides,
            )
            for dataset in inputs
        },
        {dataset: len(data.interactions) for dataset, data in inputs.items()},
        workers,
    )
    reports, not_evaluated = {}, {}
    for dataset in inputs:
        try:
            reports[dataset] = outcomes[dataset].result()
        except ValueError as error:
            not_evaluated[dataset] = str(error)
    return DatasetEvaluations(reports, not_evaluated)


def _evaluate_dataset(
    dataset: str,
    data: DatasetInputs,
    test_days: int,
    min_test_share: float,
    by_order_number: bool,
    min_evaluated_users: int,
    progress: Callable[[str], None],
    als: Callable[..., Recommender],
    overrides: Mapping[str, Any],
) -> dict:
    protocol = evaluation_protocol(data, test_days, min_test_share, by_order_number, min_evaluated_users, overrides)
    time_column = protocol.settings.time_column
    progress(f"{dataset}: evaluating on {len(protocol.data.interactions):,} interactions ({time_column} as time)")
    report = evaluate_offline(
        protocol.data.interactions,
        dataset=dataset,
        item_vectors=protocol.data.item_vectors,
        review_scores=protocol.data.review_scores,
        settings=protocol.settings,
        progress=lambda message: progress(f"{dataset}: {message}"),
        als=als,
    )
    if protocol.global_cut_users is not None:
        report["split"]["global_cut_users"] = protocol.global_cut_users
    return report


@dataclass(frozen=True)
class EvaluationProtocol:
    """What one dataset is evaluated on: its inputs (by the next-basket protocol, interactions numbered by order
    and no reviews), the settings that split them, and, where a thin global cut sent it to the next-basket
    protocol, how many users that cut evaluated (else None)."""

    data: DatasetInputs
    settings: EvaluationSettings
    global_cut_users: int | None


def evaluation_protocol(
    data: DatasetInputs,
    test_days: int,
    min_test_share: float,
    by_order_number: bool,
    min_evaluated_users: int,
    overrides: Mapping[str, Any] = MappingProxyType({}),
) -> EvaluationProtocol:
    """The protocol ``evaluate_datasets`` evaluates ``data`` by (its arguments): a global cut, or the next-basket
    protocol where ``by_order_number`` or where the cut would evaluate fewer than ``min_evaluated_users``."""
    settings = EvaluationSettings(test_days=test_days, min_test_share=min_test_share, time_column="ts", **overrides)
    if not by_order_number:
        global_cut_users = len(split_events(data.interactions, settings).build_matrices().eval_users)
        if global_cut_users >= min_evaluated_users:
            return EvaluationProtocol(data, settings, None)
    else:
        global_cut_users = None
    # Next basket: each user's last order is the test, the one before it the validation.
    return EvaluationProtocol(
        DatasetInputs(next_basket_orders(data.interactions), data.item_vectors, None),
        EvaluationSettings(test_days=1, min_test_share=0.0, time_column=ORDER_FROM_LAST, **overrides),
        global_cut_users,
    )


def next_basket_orders(interactions: pd.DataFrame) -> pd.DataFrame:
    """``with_orders_from_last``, with each user's first order numbered at most -2: nothing before it could predict
    it, so it is never the test order (0) or the validation order (-1) but training data on both sides. A user with
    one order counts in training instead of as a cold test user: 1,249 of the 5-core shop's 1,397 reviewers, whose
    reviews would otherwise be left out of every model the evaluation fits. Every Instacart user has three orders or
    more, so its split is the same."""
    numbered = with_orders_from_last(interactions)
    order = numbered[ORDER_FROM_LAST]
    first = order.groupby(numbered["user_id"], sort=False).transform("min")
    return numbered.assign(**{ORDER_FROM_LAST: order.where(order != first, np.minimum(first, -2))})
