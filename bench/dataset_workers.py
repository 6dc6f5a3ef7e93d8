"""The datasets of a step one at a time against ``--workers`` at a time, in threads, in the same run, on the inputs
of a finished demo's warehouse; printed as a ratio per step, with a check that the outputs are the same.

    .venv/bin/python bench/dataset_workers.py --home "$LONGTAIL_HOME" [--workers 2] [--step evaluation|lists]

Steps: ``evaluation`` (``recommendation_evaluation``'s ``evaluate_datasets``) and ``lists``
(``recommendation_lists``' ``serve_recommendations`` per dataset, through ``longtail.parallel.run_largest_first``).
The evaluation's inputs are the asset's except the item vectors, which are the stored ``item_embeddings`` rather
than re-encoded catalogue text (the encoding is the same in both runs and is not what is compared). Its reports must
be equal but for the models' ``seconds``, which count the shared cores, and the privacy curve, whose OpenDP noise
differs from run to run anyway; the lists must be equal row for row.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

# The repository root for the project's packages, and bench/ for demand_speed's comparison of nested reports.
sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

from demand_speed import differences  # noqa: E402

from assets.recommendations import EvaluationConfig, RecommendationListsConfig, list_jobs, review_scores  # noqa: E402
from longtail.data.interactions import datasets_with_interactions, load_interactions  # noqa: E402
from longtail.data.warehouse import connect, read_vectors  # noqa: E402
from longtail.parallel import run_largest_first  # noqa: E402
from longtail.recommend.evaluation.datasets import DatasetInputs, evaluate_datasets  # noqa: E402
from longtail.recommend.serving import recommend_locally  # noqa: E402


def evaluation_inputs(warehouse_path: Path) -> dict[str, DatasetInputs]:
    with connect(str(warehouse_path), read_only=True) as connection:
        return {
            dataset: DatasetInputs(
                load_interactions(connection, dataset),
                read_vectors(connection, "item_embeddings", dataset),
                review_scores(connection, dataset),
            )
            for dataset in datasets_with_interactions(connection)
        }


def comparable(value):
    """``value`` without the entries that differ from run to run whatever the workers: every ``seconds``, and the
    privacy curve, whose OpenDP noise cannot be seeded."""
    if isinstance(value, dict):
        return {key: comparable(item) for key, item in value.items() if key not in ("seconds", "privacy_curve")}
    if isinstance(value, list):
        return [comparable(item) for item in value]
    return value


def timed_evaluation(inputs: dict[str, DatasetInputs], workers: int, **overrides) -> tuple[float, dict]:
    """Seconds and reports of ``evaluate_datasets`` as the asset configures it, ``workers`` datasets at a time;
    ``overrides`` (``EvaluationSettings`` fields, such as ``l2_grid``) replace the shipped settings."""
    config = EvaluationConfig()
    started = time.perf_counter()
    evaluations = evaluate_datasets(
        inputs,
        test_days=config.test_days,
        min_test_share=config.min_test_share,
        order_number_datasets=config.order_number_datasets,
        workers=workers,
        overrides=overrides,
    )
    return time.perf_counter() - started, evaluations.reports


def timed_lists(warehouse_path: Path, workers: int) -> tuple[float, dict]:
    with connect(str(warehouse_path), read_only=True) as connection:
        jobs, sizes = list_jobs(connection, RecommendationListsConfig(), None, recommend_locally)
    started = time.perf_counter()
    served = run_largest_first(jobs, sizes, workers)
    seconds = time.perf_counter() - started
    return seconds, {dataset: future.result().lists for dataset, future in served.items()}


def lists_differences(before: dict, after: dict) -> list[str]:
    return [f"lists of {dataset} differ" for dataset in before if not before[dataset].equals(after.get(dataset))]


def compare(step: str, run, differ, workers: int) -> bool:
    """Time ``run(1)`` and ``run(workers)``, print both and their ratio; whether the outputs are the same."""
    serial_seconds, serial = run(1)
    print(f"{step}: one at a time {serial_seconds:.1f} s")
    parallel_seconds, parallel = run(workers)
    print(f"{step}: {workers} at a time {parallel_seconds:.1f} s")
    print(
        f"{step}: ratio {parallel_seconds / serial_seconds:.2f}x the time ({serial_seconds / parallel_seconds:.2f}x "
        "faster)"
    )
    changed = differ(serial, parallel)
    print(f"{step}: outputs equal (but for seconds and the privacy curve): {not changed}")
    for line in sorted(changed)[:40]:
        print(f"  {line}")
    return not changed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="LONGTAIL_HOME of a finished demo")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--step", choices=("evaluation", "lists"), action="append", help="default: both")
    args = parser.parse_args()
    warehouse_path = args.home / "warehouse.duckdb"
    steps = args.step or ["evaluation", "lists"]
    same = True
    if "evaluation" in steps:
        inputs = evaluation_inputs(warehouse_path)
        sizes = ", ".join(f"{dataset} {len(data.interactions):,}" for dataset, data in inputs.items())
        print(f"datasets (interactions): {sizes}")
        same &= compare(
            "evaluation",
            lambda workers: timed_evaluation(inputs, workers),
            lambda a, b: differences(comparable(a), comparable(b), "reports"),
            args.workers,
        )
    if "lists" in steps:
        same &= compare("lists", lambda workers: timed_lists(warehouse_path, workers), lists_differences, args.workers)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
