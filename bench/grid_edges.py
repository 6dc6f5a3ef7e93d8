"""Do the baselines' grids bracket their choices? The offline evaluation with the shipped grids, then, for each
dataset, again with every grid extended one step past each edge its shipped choice sat at (``past_edges``), both
in one run on the inputs of a finished demo's warehouse: each baseline's choice and best validation NDCG@10 under
both, its test figures, and the hybrid's ratio to the best baseline with its paired 95% interval.

    .venv/bin/python bench/grid_edges.py --home "$LONGTAIL_HOME" [--dataset uci_online_retail_ii ...]

A choice at the largest or smallest value its grid tried (the tuning table's ``at_grid_edge``) may only mean that
the grid stopped too early: the step past it is where a better setting would be. The inputs are
``recommendation_evaluation``'s (as ``bench/baseline_budget.py`` reads them). Tuning is by validation NDCG@10 in
both runs; the test window is only scored. EASE's ``l2`` is extended as the baselines' settings are; the hybrid's
own grid is not.
"""

from __future__ import annotations

import sys
from pathlib import Path

# The repository root for the project's packages, and bench/ for baseline_budget's inputs and printing.
sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

from baseline_budget import evaluated, inputs_from_arguments, print_dataset  # noqa: E402

from longtail.recommend.evaluation.offline import EvaluationSettings  # noqa: E402
from longtail.recommend.evaluation.tuning import BASELINE_GRIDS, past_edges  # noqa: E402


def extended_grids(report: dict) -> tuple[tuple, dict]:
    """``(l2_grid, baseline_grids)``: the shipped grids, each with the points past the edges that ``report``'s
    choices sat at."""
    tuning = report["tuning"]
    l2_points = [{"l2": l2} for l2 in EvaluationSettings.l2_grid]
    l2_grid = EvaluationSettings.l2_grid + tuple(
        point["l2"] for point in past_edges(l2_points, {"l2": tuning["ease_l2"]})
    )
    grids = {
        name: grid + past_edges(grid, tuning["baselines"][name]["chosen"]) if name in tuning["baselines"] else grid
        for name, grid in BASELINE_GRIDS.items()
    }
    return l2_grid, grids


def main() -> int:
    inputs = inputs_from_arguments(__doc__.splitlines()[0])
    if inputs is None:
        return 2
    shipped = evaluated(inputs, EvaluationSettings.l2_grid, BASELINE_GRIDS, "shipped")
    for dataset, report in shipped.items():
        l2_grid, grids = extended_grids(report)
        added = {
            "EASE": [{"l2": l2} for l2 in l2_grid[len(EvaluationSettings.l2_grid) :]],
            **{name: grids[name][len(BASELINE_GRIDS[name]) :] for name in grids},
        }
        added = {name: points for name, points in added.items() if points}
        if not added:
            print(f"\n== {dataset}: every shipped grid brackets its choice")
            continue
        print(f"\n== {dataset}: points past the edges: {added}")
        extended = evaluated({dataset: inputs[dataset]}, l2_grid, grids, f"{dataset} extended")
        print_dataset(dataset, report, extended[dataset], label="extended")
    return 0


if __name__ == "__main__":
    sys.exit(main())
