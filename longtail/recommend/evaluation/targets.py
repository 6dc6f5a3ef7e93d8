"""The issue's long-tail targets: longtail's hybrid against the best baseline on each metric of a report."""

from __future__ import annotations

import pandas as pd

# Each target as a multiple of the best baseline on that metric.
TARGETS = {"ndcg@10": 1.0, "tail_recall@20": 4.0, "coverage@10": 1.5}
COMPARISON_COLUMNS = ["metric", "longtail", "best_baseline", "baseline", "ratio", "target", "met"]


def target_comparison(report: dict, targets: dict[str, float] = TARGETS) -> pd.DataFrame:
    """One row per metric of ``targets`` for an ``evaluate_offline`` report.

    Columns (``COMPARISON_COLUMNS``): ``metric``; ``longtail``, the system's figure; ``best_baseline``, the
    name of the model other than the system with the highest figure (the first listed on a tie); ``baseline``,
    that figure; ``ratio``, longtail / baseline (NaN when the baseline is 0); ``target``, the factor times the
    baseline, rounded to 5 decimals; ``met``, longtail >= factor * baseline (unrounded). Missing figures count
    as 0.
    """
    models = report["models"]
    system = models[report["system"]]
    baselines = {name: figures for name, figures in models.items() if name != report["system"]}
    rows = []
    for metric, factor in targets.items():
        name, best = max(baselines.items(), key=lambda kv: kv[1].get(metric) or 0.0)
        ours, theirs = system.get(metric) or 0.0, best.get(metric) or 0.0
        rows.append(
            {
                "metric": metric,
                "longtail": ours,
                "best_baseline": name,
                "baseline": theirs,
                "ratio": ours / theirs if theirs else float("nan"),
                "target": round(factor * theirs, 5),
                "met": ours >= factor * theirs,
            }
        )
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
