"""The baselines' tuning: their grids, the search over one, and the table of what each model's tuning chose,
from its budget, and whether a choice sits at the edge of its grid."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from longtail.recommend.evaluation.list_scores import model_metrics, ndcg10, rounded
from longtail.recommend.evaluation.split import InteractionData
from longtail.recommend.models import Recommender
from longtail.recommend.models.hybrid import UNIT_WEIGHTS
from longtail.recommend.models.neighbour_model import NeighbourModel

# Every baseline with settings is tuned on the validation split, by NDCG@10, over its grid; their sizes are the
# budgets that report["tuning"]["budgets"] records beside the hybrid's. The grids were first drawn from the models'
# published settings and Online Retail's validation window (see each model's docstring). Many choices then sat at a
# grid's edge, so every grid was widened past each edge (14 to 126 points per model, ``bench/baseline_budget.py``):
# these grids hold every point that the wide grids chose on validation on the four shared shops, and a step past
# ContentKNN's, which chose its wide grid's smallest k.
BASELINE_GRIDS = {
    "ItemKNN": [
        {"k_neighbors": k, "shrink": shrink}
        for k in (10, 25, 50, 200, 400, 1600)
        for shrink in (0.0, 5.0, 20.0, 50.0, 200.0)
    ],
    "ALS": [
        {"factors": factors, "regularization": regularization, "alpha": alpha}
        for factors, regularization, alpha in (
            (64, 3.0, 1.0),
            (64, 10.0, 1.0),
            (256, 10.0, 1.0),
            (256, 30.0, 3.0),
            (256, 100.0, 10.0),
            (256, 300.0, 30.0),
            (512, 30.0, 3.0),
        )  # fmt: skip
    ],
    "RP3beta": [
        {"alpha": alpha, "beta": beta, "k_neighbors": k}
        for alpha in (0.1, 0.25, 0.5, 1.0)
        for beta in (0.0, 0.3, 0.6)
        for k in (50, 200, 800)
    ],
    "ContentKNN": [{"k_neighbors": k} for k in (1, 2, 5, 10, 20, 100)],
}


TUNING_COLUMNS = ["model", "budget", "chosen", "validation_ndcg@10", "at_grid_edge"]


def tuning_table(report: dict) -> pd.DataFrame:
    """One row per tuned model of an ``evaluate_offline`` report (EASE, each tuned baseline, the system).

    Columns (``TUNING_COLUMNS``): ``model``; ``budget``, the grid points tried on validation; ``chosen``, the
    settings chosen, as text ("l2=500"); ``validation_ndcg@10``, the chosen settings' validation NDCG@10 (a
    baseline's best; the system's choice may trade some for the tail); ``at_grid_edge``, the settings whose
    chosen value is the smallest or largest its grid tried, where it tried more than one ("factors (max)"): a wider
    grid might find better settings there. A bound of the setting itself is no edge: every setting tuned here is a
    weight, a count or a strength that cannot go below 0, and the hybrid's ``UNIT_WEIGHTS`` cannot go above 1.
    """
    tuning = report["tuning"]
    points = {
        "EASE": [{"l2": float(l2), "ndcg@10": figure} for l2, figure in tuning["ease_l2_validation_ndcg@10"].items()],
        **{name: tuned["validation_ndcg@10"] for name, tuned in tuning["baselines"].items() if name != "EASE"},
        report["system"]: tuning["hybrid_validation"],
    }
    chosen = {
        **{name: tuned["chosen"] for name, tuned in tuning["baselines"].items()},
        report["system"]: tuning["hybrid"],
    }
    rows = []
    for model, grid in points.items():
        settings = chosen[model]
        rows.append(
            {
                "model": model,
                "budget": tuning["budgets"][model],
                "chosen": ", ".join(f"{name}={value:g}" for name, value in settings.items()),
                "validation_ndcg@10": next(p["ndcg@10"] for p in grid if _is_point(p, settings)),
                "at_grid_edge": ", ".join(_edges(settings, grid)),
            }
        )
    return pd.DataFrame(rows, columns=TUNING_COLUMNS)


def floor_text(report: dict) -> str:
    """One sentence on the accuracy floor of the system's choice in an ``evaluate_offline`` report: whose
    validation NDCG@10 it was, and whether a point of the system's grid reached it; or, where validation evaluated
    too few users to trade accuracy for the tail (a report before that rule traded always), that it did not."""
    floor = report["tuning"]["hybrid_floor"]
    if not floor.get("tail_trade", True):
        outcome = (
            f"not used: {report['split']['validation_users']:,} validation users are too few to trade accuracy for "
            "the tail, so the most accurate point was chosen"
        )
    elif floor["reached"]:
        outcome = "reached: the choice is among the points at least this accurate"
    else:
        outcome = "not reached by any point: the most accurate point was chosen"
    return f"{report['system']}'s floor: {floor['model']}'s validation NDCG@10 {floor['ndcg@10']:.4f}, {outcome}."


def _is_point(point: dict, settings: dict) -> bool:
    return all(point[name] == value for name, value in settings.items())


def _edges(settings: dict, grid: list[dict]) -> list[str]:
    return [f"{name} ({side})" for name, side, _ in _edge_settings(settings, grid)]


def _edge_settings(settings: dict, grid: list[dict]) -> list[tuple[str, str, float]]:
    """``(name, "max" or "min", beyond)`` for each setting whose chosen value is the largest or smallest its grid
    tried (see ``tuning_table``); ``beyond`` is the value one step further out, the step being the grid's last one
    there: geometric (512 after 256 gives 1024; 30 before 100 gives 9), or additive from a neighbour of 0 (0.5
    after 0 gives 1)."""
    edges = []
    for name, value in settings.items():
        tried = sorted({point[name] for point in grid})
        if len(tried) == 1:
            continue
        if value == tried[-1] and not (name in UNIT_WEIGHTS and value == 1):
            edges.append((name, "max", value * value / tried[-2] if tried[-2] > 0 else 2 * value))
        elif value == tried[0] and value != 0:
            edges.append((name, "min", value * value / tried[1]))
    return edges


def past_edges(grid: list[dict], chosen: dict) -> list[dict]:
    """The points one step past each edge of ``grid`` at which ``chosen`` sits (the edges ``tuning_table`` names):
    for each such setting, ``chosen`` with that setting moved one step further out (``_edge_settings``), and, where
    several settings sit at an edge, one point with all of them moved together (ALS's regularization and alpha are
    best raised together). Integer settings stay integers of at least 1. Empty where every chosen value is inside
    its grid or at a bound of the setting itself: then the grid brackets the choice."""
    moved = {}
    for name, _, beyond in _edge_settings(chosen, grid):
        is_integer = isinstance(chosen[name], (int, np.integer)) and not isinstance(chosen[name], bool)
        moved[name] = max(int(round(beyond)), 1) if is_integer else beyond
    points = [{**chosen, name: value} for name, value in moved.items()]
    if len(moved) > 1:
        points.append({**chosen, **moved})
    return [point for point in points if point not in grid]


def tune_over_grid(
    make: Callable[..., Recommender], grid: list[dict], validation: InteractionData
) -> tuple[dict, Recommender]:
    """``({"chosen", "validation_ndcg@10", "validation"}, model)``: the point of ``grid`` whose model, fitted on the
    validation split's training side, has the best validation NDCG@10 (the first on a tie), every point's figure,
    the chosen model's validation metrics (``model_metrics``), and the chosen model itself, fitted."""
    models = fitted_each(make, grid, validation.train)
    figures = [ndcg10(model, validation) for model in models]
    best = int(np.argmax(figures))
    tuning = {
        "chosen": dict(grid[best]),
        "validation_ndcg@10": [{**params, "ndcg@10": rounded(figure)} for params, figure in zip(grid, figures)],
        "validation": model_metrics(models[best], validation),
    }
    return tuning, models[best]


def fitted_each(make: Callable[..., Recommender], grid: list[dict], X) -> list[Recommender]:
    """``make(**params).fit(X)`` for each point of ``grid``, in order. Points of a ``NeighbourModel`` that differ
    only in ``k_neighbors`` share one neighbour search (``NeighbourModel.fit_each_k``): the same models, in a third
    less of Instacart's evaluation time (137 s against 206 s)."""
    if not (isinstance(make, type) and issubclass(make, NeighbourModel)):
        return [make(**params).fit(X) for params in grid]
    fitted: dict[int, Recommender] = {}
    groups: dict[tuple, list[int]] = {}
    for position, params in enumerate(grid):
        others = tuple(sorted((name, value) for name, value in params.items() if name != "k_neighbors"))
        groups.setdefault(others, []).append(position)
    for others, positions in groups.items():
        model = make(**dict(others))  # at its default k, for the points that do not set one
        ks = [grid[position].get("k_neighbors", model.k_neighbors) for position in positions]
        fitted.update(zip(positions, model.fit_each_k(X, ks)))
    return [fitted[position] for position in range(len(grid))]
