"""The issue's long-tail targets: longtail's hybrid against the best baseline on each metric of a report."""

from __future__ import annotations

import pandas as pd

# Each target as a multiple of the best baseline on that metric.
TARGETS = {"ndcg@10": 1.0, "tail_recall@20": 4.0, "coverage@10": 1.5}
# How low the paired 95% interval of the ratio may reach for the claim to stand: NDCG may not lose more than 2%;
# the long-tail gains must hold at the interval's lower end.
INTERVAL_FLOORS = {"ndcg@10": 0.98, "tail_recall@20": 4.0, "coverage@10": 1.5}
COMPARISON_COLUMNS = [
    "metric", "longtail", "best_baseline", "baseline", "ratio", "ratio_ci95", "target", "floor", "met",
]  # fmt: skip


def target_comparison(
    report: dict, targets: dict[str, float] = TARGETS, floors: dict[str, float] = INTERVAL_FLOORS
) -> pd.DataFrame:
    """One row per metric of ``targets`` for an ``evaluate_offline`` report.

    Columns (``COMPARISON_COLUMNS``): ``metric``; ``longtail``, the system's figure; ``best_baseline``, the
    name of the model other than the system with the highest figure (the first listed on a tie); ``baseline``,
    that figure; ``ratio``, longtail / baseline (NaN when the baseline is 0); ``ratio_ci95``, the paired 95%
    interval of that ratio from ``report["ratios"]`` (None when the report has none); ``target``, the factor
    times the baseline, rounded to 5 decimals; ``floor``, the lowest the interval may reach (``floors``); ``met``:
    longtail >= factor * baseline (unrounded), and, where there is an interval, its lower end >= the floor.
    Missing figures count as 0.
    """
    models = report["models"]
    system = models[report["system"]]
    baselines = {name: figures for name, figures in models.items() if name != report["system"]}
    rows = []
    for metric, factor in targets.items():
        name, best = max(baselines.items(), key=lambda kv: kv[1].get(metric) or 0.0)
        ours, theirs = system.get(metric) or 0.0, best.get(metric) or 0.0
        interval = ((report.get("ratios") or {}).get(name) or {}).get(metric, {}).get("ci95")
        floor = floors.get(metric, factor)
        rows.append(
            {
                "metric": metric,
                "longtail": ours,
                "best_baseline": name,
                "baseline": theirs,
                "ratio": ours / theirs if theirs else float("nan"),
                "ratio_ci95": interval,
                "target": round(factor * theirs, 5),
                "floor": floor,
                "met": ours >= factor * theirs and (interval is None or interval[0] >= floor),
            }
        )
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
