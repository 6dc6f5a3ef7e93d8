"""Are the baselines tuned as hard as the hybrid? The offline evaluation with every tuned baseline over a wide grid
(a budget as large as the hybrid's, or larger) against the shipped grids, on the inputs of a finished demo's
warehouse, both in one run: each baseline's choice, validation and test figures, and the hybrid's ratio to the best
baseline with its paired 95% interval, under each budget.

    .venv/bin/python bench/baseline_budget.py --home "$LONGTAIL_HOME" [--dataset uci_online_retail_ii ...]

The inputs are ``recommendation_evaluation``'s: the interactions, the catalogue-text item vectors (re-encoded by the
packaged encoder where a published text is blended in) and the review scores; both runs are
``evaluate_datasets`` with the asset's configuration and differ only in ``l2_grid`` and ``baseline_grids``. The
wide grids extend every shipped grid beyond each of its edges (``WIDE_L2_GRID``, ``WIDE_GRIDS``). Tuning is by
validation NDCG@10 in both runs; the test window is only scored. A wider EASE grid may change the hybrid too, whose
EASE is the tuned one: its figures are printed under both budgets.

2026-12-06, the demo's four shops, against the grids shipped until then (4 to 6 points; 111 s, the wide grids
2,320 s): every baseline choice but EASE's had sat at an edge of its grid. Wide, on Online Retail II (test NDCG@10):
EASE 0.1062 -> 0.1076 (l2 500 -> 300), ItemKNN 0.0734 -> 0.0844, RP3beta 0.0798 -> 0.0854, ALS 0.1031 -> 0.1036,
content kNN 0.0367 -> 0.0500 (k 20 -> 5; tail recall@20 0.0274 -> 0.0336); the hybrid 0.1188 -> 0.1160 and its
ratio to the best baseline 1.119 (paired 95% CI 1.025-1.215) -> 1.078 (0.989-1.170). The shipped grids were then
widened to hold every point the wide grids chose; with them the shipped run gives the wide run's reports.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# The repository root for the project's packages, and bench/ for dataset_workers' timed evaluation.
sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

from dataset_workers import timed_evaluation  # noqa: E402

from assets.recommendations import EvaluationConfig, review_scores  # noqa: E402
from longtail.data.interactions import datasets_with_interactions, load_interactions  # noqa: E402
from longtail.data.warehouse import connect, read_table, read_vectors  # noqa: E402
from longtail.recommend.evaluation.datasets import DatasetInputs  # noqa: E402
from longtail.recommend.evaluation.offline import EvaluationSettings  # noqa: E402
from longtail.recommend.evaluation.targets import TARGETS, target_comparison  # noqa: E402
from longtail.recommend.evaluation.tuning import BASELINE_GRIDS  # noqa: E402
from longtail.recommend.item_vectors import catalogue_text_vectors  # noqa: E402
from resources.models import EmbeddingModelResource  # noqa: E402

WIDE_L2_GRID = (10.0, 30.0, 50.0, 100.0, 200.0, 300.0, 500.0, 700.0, 1000.0, 1500.0, 2000.0, 3000.0, 5000.0, 10000.0)
WIDE_GRIDS = {
    "ItemKNN": [
        {"k_neighbors": k, "shrink": shrink}
        for k in (5, 10, 25, 50, 100, 200, 400, 800, 1600)
        for shrink in (0.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0)
    ],
    "ALS": [
        {"factors": factors, "regularization": regularization, "alpha": alpha}
        for factors in (64, 128, 256, 512)
        for regularization in (10.0, 30.0, 100.0, 300.0, 1000.0)
        for alpha in (1.0, 3.0, 10.0, 30.0)
    ],
    "RP3beta": [
        {"alpha": alpha, "beta": beta, "k_neighbors": k}
        for alpha in (0.1, 0.25, 0.5, 0.75, 1.0, 1.5)
        for beta in (0.0, 0.15, 0.3, 0.45, 0.6, 0.75, 0.9)
        for k in (50, 200, 800)
    ],
    "ContentKNN": [{"k_neighbors": k} for k in (5, 10, 20, 50, 100, 200, 400, 1000)],
}
SHOWN = ("ndcg@10", "recall@20", "tail_recall@20", "coverage@10")


def evaluation_inputs(warehouse_path: Path) -> dict[str, DatasetInputs]:
    """Each dataset's inputs as ``recommendation_evaluation`` reads them."""
    encoder = EmbeddingModelResource()
    with connect(str(warehouse_path), read_only=True) as connection:
        return {
            dataset: DatasetInputs(
                load_interactions(connection, dataset),
                catalogue_text_vectors(
                    read_vectors(connection, "item_embeddings", dataset),
                    read_table(connection, "item_text", "dataset = ?", [dataset]),
                    encoder.encode,
                ),
                review_scores(connection, dataset),
            )
            for dataset in datasets_with_interactions(connection)
        }


def evaluated(inputs: dict[str, DatasetInputs], l2_grid: tuple, baseline_grids: dict, label: str) -> dict:
    seconds, reports = timed_evaluation(
        inputs, EvaluationConfig().workers, l2_grid=l2_grid, baseline_grids=baseline_grids
    )
    print(f"{label} grids: evaluated in {seconds:.0f} s", flush=True)
    return reports


def best_validation(report: dict, model: str) -> float:
    tuning = report["tuning"]
    if model == "EASE":
        return max(tuning["ease_l2_validation_ndcg@10"].values())
    return max(point["ndcg@10"] for point in tuning["baselines"][model]["validation_ndcg@10"])


def print_dataset(dataset: str, shipped: dict, wide: dict, label: str = "wide") -> None:
    """The two runs' tuning and figures for ``dataset``: each baseline's budget, choice and best validation NDCG@10,
    its test figures, the hybrid's, and the targets' ratios; ``label`` names the second run."""
    split = shipped["split"]
    print(f"\n== {dataset}: {split['evaluated_users']:,} users evaluated, {split['catalogue_items']:,} items")
    budgets = shipped["tuning"]["budgets"], wide["tuning"]["budgets"]
    print(f"the hybrid's budget: {budgets[0][shipped['system']]} points (both runs)")
    print(f"model       | budget   | chosen: shipped -> {label} | validation NDCG@10 | test " + " | ".join(SHOWN))
    for model in budgets[0]:
        if model == shipped["system"]:
            continue
        chosen = [report["tuning"]["baselines"][model]["chosen"] for report in (shipped, wide)]
        figures = " | ".join(
            f"{shipped['models'][model][metric]:.4f} -> {wide['models'][model][metric]:.4f}" for metric in SHOWN
        )
        print(
            f"{model:<11} | {budgets[0][model]:>3} -> {budgets[1][model]:<3} | {chosen[0]} -> {chosen[1]} | "
            f"{best_validation(shipped, model):.4f} -> {best_validation(wide, model):.4f} | {figures}"
        )
    system = " | ".join(
        f"{shipped['models'][shipped['system']][metric]:.4f} -> {wide['models'][wide['system']][metric]:.4f}"
        for metric in SHOWN
    )
    print(f"{shipped['system']} (chosen {shipped['tuning']['hybrid']} -> {wide['tuning']['hybrid']}): {system}")
    comparisons = [target_comparison(report).set_index("metric") for report in (shipped, wide)]
    for metric in TARGETS:
        rows = [comparison.loc[metric] for comparison in comparisons]
        print(
            f"  {metric}: best baseline {rows[0]['best_baseline']} {rows[0]['baseline']:.4f} -> "
            f"{rows[1]['best_baseline']} {rows[1]['baseline']:.4f}; the hybrid's ratio "
            f"{rows[0]['ratio']:.3f} {interval_text(rows[0]['ratio_ci95'])} -> {rows[1]['ratio']:.3f} "
            f"{interval_text(rows[1]['ratio_ci95'])}; target met: {rows[0]['met']} -> {rows[1]['met']}"
        )


def interval_text(interval) -> str:
    return f"({interval[0]:.3f}-{interval[1]:.3f})" if interval else "(no interval)"


def inputs_from_arguments(description: str) -> dict[str, DatasetInputs] | None:
    """The evaluation inputs of ``--home``'s warehouse, of the ``--dataset``s named (every dataset by default); None,
    after saying why, when a named dataset has no interactions there."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--home", type=Path, required=True, help="LONGTAIL_HOME of a finished demo")
    parser.add_argument("--dataset", action="append", help="default: every dataset with interactions")
    args = parser.parse_args()
    inputs = evaluation_inputs(args.home / "warehouse.duckdb")
    if not args.dataset:
        return inputs
    unknown = sorted(set(args.dataset) - set(inputs))
    if unknown:
        print(f"no interactions for {', '.join(unknown)} in {args.home}; have {', '.join(sorted(inputs))}")
        return None
    return {dataset: inputs[dataset] for dataset in args.dataset}


def main() -> int:
    inputs = inputs_from_arguments(__doc__.splitlines()[0])
    if inputs is None:
        return 2
    shipped = evaluated(inputs, EvaluationSettings.l2_grid, BASELINE_GRIDS, "shipped")
    wide = evaluated(inputs, WIDE_L2_GRID, WIDE_GRIDS, "wide")
    for dataset in shipped:
        print_dataset(dataset, shipped[dataset], wide[dataset])
    return 0


if __name__ == "__main__":
    sys.exit(main())
