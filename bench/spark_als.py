"""MLlib's ALS (``longtail.spark.als.SparkALS``) against the local ALS at every point of its grid, on Online Retail II.

    LONGTAIL_DATA_DIR=../shared/data .venv/bin/python bench/spark_als.py [--master local[2]] [--points 0,1,2,3]

The 28-day test window of ``bench/recommendation_baselines.py``. For each point of ``BASELINE_GRIDS["ALS"]`` it fits
the local ALS with seeds 0, 1 and 2 and ``SparkALS`` with seed 0, and prints NDCG@10 and Recall@20 of each, MLlib's
``regParam``, the seconds each fit took, and Spark's relative difference to the local seeds' mean. It prints the
LAPACK that MLlib's Cholesky solves use: the system's ``liblapack.so.3`` (``JNILAPACK``) where one is installed, else
pure Java (``F2jLAPACK``). Both gave the same figures here; with OpenBLAS installed, 256 factors took 610 s against
484 s for Java's (``local[2]``, beside another Spark job), and 64 factors 39 s against 51 s: no reason to require it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from longtail.recommend.evaluation import evaluate, temporal_split
from longtail.recommend.evaluation.tuning import BASELINE_GRIDS
from longtail.recommend.matrices import item_popularity, tail_items
from longtail.recommend.models.als import ALS
from longtail.spark.als import SparkALS
from longtail.spark.session import spark_session

sys.path.insert(0, str(Path(__file__).parent))
from recommendation_baselines import FILE, cleaned_purchases  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--master", default="local[2]", help="Spark master URL")
    parser.add_argument("--points", default="0,1,2,3", help="indices into BASELINE_GRIDS['ALS']")
    args = parser.parse_args()
    data_dir = os.environ.get("LONGTAIL_DATA_DIR")
    if not data_dir:
        parser.error("set LONGTAIL_DATA_DIR to the shared data folder")
    data = temporal_split(cleaned_purchases(Path(data_dir) / FILE), test_days=28).build_matrices()
    X = data.train
    tail, popularity = tail_items(X), item_popularity(X)
    print(f"train {X.shape[0]} users x {X.shape[1]} items, {X.nnz} cells; {len(data.eval_users)} users evaluated")
    spark = spark_session(args.master, config={"spark.driver.memory": "6g"})
    netlib = spark._jvm.dev.ludovic.netlib
    lapack, blas = (kind.getInstance().getClass().getSimpleName() for kind in (netlib.lapack.LAPACK, netlib.blas.BLAS))
    print(f"the driver's LAPACK: {lapack}, BLAS: {blas}")

    def figures(model) -> np.ndarray:
        found = evaluate(model.recommend(data.eval_users, 20), data.test_targets, tail, popularity)
        return np.array([found["ndcg@10"], found["recall@20"]])

    print("factors, regularization, alpha | NDCG@10, Recall@20: local seeds 0-2 | Spark seed 0 | Spark / local mean")
    for index in (int(point) for point in args.points.split(",")):
        params = BASELINE_GRIDS["ALS"][index]
        started = time.perf_counter()
        local = np.array([figures(ALS(**params, random_state=seed).fit(X)) for seed in (0, 1, 2)])
        local_seconds = (time.perf_counter() - started) / 3
        started = time.perf_counter()
        model = SparkALS(**params, spark=spark).fit(X)
        spark_seconds = time.perf_counter() - started
        on_spark = figures(model)
        ratio = on_spark / local.mean(axis=0)
        print(
            f"{params['factors']}, {params['regularization']:g}, {params['alpha']:g} | "
            f"{' '.join(f'({n:.4f}, {r:.4f})' for n, r in local)} ({local_seconds:.1f} s a fit) | "
            f"({on_spark[0]:.4f}, {on_spark[1]:.4f}) regParam {model.reg_param_:.4f} ({spark_seconds:.0f} s) | "
            f"{ratio[0]:.3f} {ratio[1]:.3f}",
            flush=True,
        )
    spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
