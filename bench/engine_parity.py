"""The local and the spark engine side by side: two LONGTAIL_HOMEs built from the same files (under one
LONGTAIL_ID_KEY, so both hold the same pseudonyms), one with each engine, compared table by table and figure by
figure.

    LONGTAIL_HOME=/tmp/e2e_local LONGTAIL_ID_KEY=K .venv/bin/longtail demo --data-dir DIR
    .venv/bin/longtail spark-cluster &     # prints the LONGTAIL_SPARK_* settings to export
    LONGTAIL_HOME=/tmp/e2e_spark LONGTAIL_ID_KEY=K LONGTAIL_ENGINE=spark LONGTAIL_SPARK_MASTER=... \\
        .venv/bin/longtail demo --data-dir DIR
    .venv/bin/python bench/engine_parity.py /tmp/e2e_local /tmp/e2e_spark

Prints, per table the spark engine computes (or feeds), whether its rows equal the local engine's (timestamps of
loading and scores aside: scores must agree to 1e-5), then the headline figures of each model in the largest
dataset's recommendation report on both engines, with their difference. ALS is MLlib's on Spark and implicit's
locally (``longtail.spark.als.SparkALS``): its figures differ within the stated tolerance, every other model's
must be identical.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

# table -> the columns that order its rows; a table's `score` may differ in the last float bits.
TABLES = {
    "cleaned_events": ["file_id", "source_row"],
    "cleaned_items": ["file_id", "source_row"],
    "cleaned_reviews": ["file_id", "source_row"],
    "quarantine": ["table_name", "file_id", "source_row"],
    "item_embeddings": ["dataset", "item_id"],
    "item_similarity": ["dataset", "source", "item_id", "rank"],
    "recommendation_settings": ["dataset"],
    "recommendation_lists": ["dataset", "user_id", "rank"],
}
FIGURES = ("ndcg@10", "recall@20", "tail_recall@20", "aplt@10", "coverage@10")
SCORE_TOLERANCE = 1e-5
VECTOR_TOLERANCE = 1e-5


def rows(home: Path, table: str, key: list[str]) -> pd.DataFrame | None:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        if not connection.execute("select count(*) from duckdb_tables() where table_name = ?", [table]).fetchone()[0]:
            return None
        frame = connection.execute(f'select * from "{table}"').df()
    return frame.drop(columns=["loaded_at"], errors="ignore").sort_values(key, kind="stable").reset_index(drop=True)


def compare(local: pd.DataFrame, spark: pd.DataFrame) -> str:
    """ "equal", or what differs."""
    if len(local) != len(spark):
        return f"{len(local):,} rows locally, {len(spark):,} on Spark"
    approximate = [c for c in ("score", "embedding") if c in local.columns]
    exact_local, exact_spark = local.drop(columns=approximate), spark.drop(columns=approximate)
    # Equal values, or missing on both sides (pandas' != counts two missing values as different).
    same = (exact_local == exact_spark) | (exact_local.isna() & exact_spark.isna())
    differing = int((~same).any(axis=1).sum())
    if differing:
        columns = [c for c in exact_local.columns if not same[c].all()]
        return f"{differing:,} of {len(local):,} rows differ (columns {', '.join(columns)})"
    gaps = []
    for column in approximate:
        if column == "embedding":
            gap = float(np.abs(np.stack(local[column]) - np.stack(spark[column])).max()) if len(local) else 0.0
            tolerance = VECTOR_TOLERANCE
        else:
            gap = float((local[column].astype(float) - spark[column].astype(float)).abs().max() or 0.0)
            tolerance = SCORE_TOLERANCE
        if gap > tolerance:
            return f"{column} differs by up to {gap:.2e}"
        gaps.append(f"{column} within {gap:.1e}")
    return "equal" + (f" ({', '.join(gaps)})" if gaps else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("local_home", type=Path)
    parser.add_argument("spark_home", type=Path)
    args = parser.parse_args()
    print(f"{'table':26} {'rows':>10}  local vs spark")
    for table, key in TABLES.items():
        local, spark = rows(args.local_home, table, key), rows(args.spark_home, table, key)
        if local is None or spark is None:
            print(f"{table:26} {'-':>10}  missing on {'the local' if local is None else 'the spark'} engine")
            continue
        print(f"{table:26} {len(local):>10,}  {compare(local, spark)}")
    reports = [json.loads((home / "reports" / "recommendation_evaluation.json").read_text()) for home in
               (args.local_home, args.spark_home)]  # fmt: skip
    print(f"\n{reports[0]['dataset']}: test figures, local / spark (difference)")
    print(f"{'model':16} " + " ".join(f"{figure:>26}" for figure in FIGURES))
    for model, local in reports[0]["models"].items():
        spark = reports[1]["models"][model]
        cells = [f"{local[f]:.4f} / {spark[f]:.4f} ({spark[f] - local[f]:+.4f})" for f in FIGURES]
        print(f"{model:16} " + " ".join(f"{cell:>26}" for cell in cells))
    print("\nALS chosen on validation:", [report["tuning"]["baselines"]["ALS"]["chosen"] for report in reports])


if __name__ == "__main__":
    main()
