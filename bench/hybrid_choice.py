"""The hybrid's choice on validation as it was until 2026-12-06 (the floor EASE's NDCG@10, a recency-weighted history
only, popularity exponents up to 0.5, no ALS term) against the shipped one (the floor the best tuned baseline's
NDCG@10, a binary or recency-weighted history, exponents up to 0.75, the tuned ALS's scores weighed 0, 0.25 or 1),
on the inputs of a finished demo's warehouse, both in one run.

    .venv/bin/python bench/hybrid_choice.py --home "$LONGTAIL_HOME" [--dataset amazon2018_magazine ...]

Both runs are ``evaluate_datasets`` with the asset's configuration; "before" overrides ``floor_models`` with EASE
alone, ``history_recencies`` with the recency-weighted history alone, ``popularity_exponents`` with the old grid and
``als_weights`` with 0; "shipped" keeps the defaults. For each dataset the bench prints, under each rule: the floor
(whose validation NDCG@10) and whether a hybrid grid point reached it, the chosen settings, and the test figures of
the hybrid against the best baseline on each target metric with the paired 95% interval of the ratio. Choices are
made on validation only; the test window is scored once.

2026-12-06, the demo's four shops (205 s and 246 s): on Online Retail II the same point was chosen (NDCG@10 1.078x
EASE, paired 95% CI 0.997-1.158; tail recall@20 1.716x and coverage@10 0.957x content kNN's). On Instacart
validation added the ALS at 0.25: NDCG@10 0.989x -> 1.004x EASE (0.888-1.145), coverage 0.217x -> 0.205x. On
Magazine only the ALS (weight 1) reached ALS's validation floor (0.1365): NDCG@10 1.009x -> 1.022x ALS (0.995-1.058),
tail recall 1.0x -> 0 and coverage 0.719x -> 0.258x. docs/evaluation.md reads these.
"""

from __future__ import annotations

import sys
from pathlib import Path

# The repository root for the project's packages, and bench/ for the other benches' helpers.
sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

from baseline_budget import inputs_from_arguments, interval_text  # noqa: E402
from dataset_workers import timed_evaluation  # noqa: E402

from assets.recommendations import EvaluationConfig  # noqa: E402
from longtail.recommend.evaluation.targets import TARGETS, target_comparison  # noqa: E402

RULES = {
    "before": {
        "floor_models": ("EASE",),
        "history_recencies": (1.0,),
        "popularity_exponents": (0.0, 0.25, 0.5),
        "als_weights": (0.0,),
    },
    "shipped": {},
}


def print_dataset(dataset: str, reports: dict[str, dict]) -> None:
    split = next(iter(reports.values()))["split"]
    print(f"\n== {dataset}: {split['evaluated_users']:,} users evaluated, {split['catalogue_items']:,} items")
    for rule, report in reports.items():
        tuning = report["tuning"]
        floor = tuning["hybrid_floor"]
        chosen = {name: value for name, value in tuning["hybrid"].items() if value}
        print(
            f"{rule}: floor {floor['model']}'s validation NDCG@10 {floor['ndcg@10']:.4f}, reached: {floor['reached']}"
        )
        print(f"  chosen (non-zero settings): {chosen}")
        comparison = target_comparison(report).set_index("metric")
        for metric in TARGETS:
            row = comparison.loc[metric]
            print(
                f"  test {metric}: longtail {row['longtail']:.4f}, best baseline {row['best_baseline']} "
                f"{row['baseline']:.4f}, ratio {row['ratio']:.3f} {interval_text(row['ratio_ci95'])}, met: {row['met']}"
            )


def main() -> int:
    inputs = inputs_from_arguments(__doc__.splitlines()[0])
    if inputs is None:
        return 2
    reports = {}
    for rule, overrides in RULES.items():
        seconds, reports[rule] = timed_evaluation(inputs, EvaluationConfig().workers, **overrides)
        print(f"{rule}: evaluated in {seconds:.0f} s", flush=True)
    for dataset in reports["shipped"]:
        print_dataset(dataset, {rule: by_dataset[dataset] for rule, by_dataset in reports.items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
