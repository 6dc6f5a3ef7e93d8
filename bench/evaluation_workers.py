"""The offline evaluation of every dataset one at a time against ``--workers`` at a time, in the same run, on the
inputs of a finished demo's warehouse; printed as a ratio, with a check that the reports are the same.

    .venv/bin/python bench/evaluation_workers.py --home "$LONGTAIL_HOME" [--workers 2]

The inputs are those of ``recommendation_evaluation`` except the item vectors, which are the stored
``item_embeddings`` rather than re-encoded catalogue text (the encoding is the same in both runs and is not what is
compared). The reports must be equal but for the models' ``seconds``, which count the shared cores, and the privacy
curve, whose OpenDP noise differs from run to run anyway.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

# The repository root for the project's packages, and bench/ for demand_speed's comparison of nested reports.
sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

from demand_speed import differences  # noqa: E402

from assets.recommendations import EvaluationConfig, review_scores  # noqa: E402
from longtail.data.interactions import datasets_with_interactions, load_interactions  # noqa: E402
from longtail.data.warehouse import connect, read_vectors  # noqa: E402
from longtail.recommend.evaluation.datasets import DatasetInputs, evaluate_datasets  # noqa: E402


def load_inputs(warehouse_path: Path) -> dict[str, DatasetInputs]:
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


def timed_evaluation(inputs: dict[str, DatasetInputs], workers: int) -> tuple[float, dict]:
    config = EvaluationConfig()
    started = time.perf_counter()
    evaluations = evaluate_datasets(
        inputs,
        test_days=config.test_days,
        min_test_share=config.min_test_share,
        order_number_datasets=config.order_number_datasets,
        workers=workers,
    )
    return time.perf_counter() - started, evaluations.reports


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="LONGTAIL_HOME of a finished demo")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    inputs = load_inputs(args.home / "warehouse.duckdb")
    sizes = ", ".join(f"{dataset} {len(data.interactions):,}" for dataset, data in inputs.items())
    print(f"datasets (interactions): {sizes}")
    serial_seconds, serial = timed_evaluation(inputs, workers=1)
    print(f"one at a time: {serial_seconds:.1f} s")
    parallel_seconds, parallel = timed_evaluation(inputs, workers=args.workers)
    print(f"{args.workers} at a time: {parallel_seconds:.1f} s")
    print(f"ratio: {parallel_seconds / serial_seconds:.2f}x the time ({serial_seconds / parallel_seconds:.2f}x faster)")
    changed = differences(comparable(serial), comparable(parallel), "reports")
    print(f"reports equal but for seconds and the privacy curve: {not changed}")
    for line in sorted(changed)[:40]:
        print(f"  {line}")
    return 0 if not changed else 1


if __name__ == "__main__":
    sys.exit(main())
