"""What user-level differential privacy costs the popularity ranking on Online Retail II: MostPopular on exact counts
against MostPopular on DP counts at each epsilon, on the offline evaluation's own split, in one run.

    LONGTAIL_DATA_DIR=../shared/data .venv/bin/python bench/privacy_curve.py

Prints NDCG@10 and tail recall@20 with 95% bootstrap intervals over users (each user's figure the mean of five DP
fits: OpenDP's noise cannot be seeded), and each epsilon's NDCG@10 as a ratio to the exact counts'.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from recommendation_baselines import FILE, cleaned_purchases  # noqa: E402

from longtail.recommend.evaluation.offline import EvaluationSettings, split_events  # noqa: E402
from longtail.recommend.evaluation.privacy_curve import privacy_curve  # noqa: E402


def main() -> int:
    events = cleaned_purchases(Path(os.environ["LONGTAIL_DATA_DIR"]) / FILE)
    settings = EvaluationSettings()
    data = split_events(events, settings).build_matrices()
    started = time.perf_counter()
    rows = privacy_curve(data, delta=settings.dp_delta, max_items_per_user=settings.dp_max_items_per_user)
    print(
        f"{data.train.shape[0]:,} users x {data.train.shape[1]:,} items in training, {len(data.eval_users):,} "
        f"evaluated; delta {settings.dp_delta}, at most {settings.dp_max_items_per_user} items per user; "
        f"curve in {time.perf_counter() - started:.1f} s"
    )
    exact = rows[0]["ndcg@10"]
    interval = "95% interval"
    print(f"{'epsilon':>8} {'NDCG@10':>8} {interval:>18} {'ratio':>6} {'tail recall@20':>15} {interval:>18}")
    for row in rows:
        ndcg, tail = row["ndcg@10_ci95"], row["tail_recall@20_ci95"]
        print(
            f"{row['epsilon'] or 'exact':>8} {row['ndcg@10']:>8.4f} {ndcg[0]:>8.4f} - {ndcg[1]:<7.4f} "
            f"{row['ndcg@10'] / exact:>6.2f} {row['tail_recall@20']:>15.4f} {tail[0]:>8.4f} - {tail[1]:<7.4f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
