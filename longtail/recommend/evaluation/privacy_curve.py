"""What user-level differential privacy costs the popularity ranking: MostPopular fitted on DP counts
(``longtail.privacy.dp``) at several epsilons, scored on the evaluation's test split.

MostPopular is the model whose lists are a function of the counts alone, so its figures are what a published DP
popularity ranking (and the "popular now" list) keeps of the exact one. The hybrid is left out: its lists come
from each user's own history through EASE, which DP counts would not make private.
"""

from __future__ import annotations

import numpy as np

from longtail.privacy.dp import PrivacySettings
from longtail.recommend.evaluation.intervals import per_user_values
from longtail.recommend.evaluation.split import InteractionData
from longtail.recommend.matrices import tail_items
from longtail.recommend.models import MostPopular
from longtail.stats import bootstrap_mean_interval

EPSILONS = (0.5, 1.0, 2.0, 4.0, 8.0)
# Noise draws averaged per epsilon: OpenDP's noise cannot be seeded, so one draw would make a noisy curve.
N_DRAWS = 5
CURVE_METRICS = ("ndcg@10", "tail_recall@20")
LIST_LENGTH = 20


def privacy_curve(
    data: InteractionData,
    *,
    delta: float,
    max_items_per_user: int,
    epsilons: tuple[float, ...] = EPSILONS,
    n_draws: int = N_DRAWS,
) -> list[dict]:
    """One row per epsilon (the exact, non-private MostPopular first, ``epsilon`` None): ``epsilon, delta,
    max_items_per_user, draws`` and, for each of ``CURVE_METRICS``, its value and ``<metric>_ci95``.

    Each user's figure is averaged over ``n_draws`` DP fits (contribution-bound sample seed and noise draw
    ``0..n_draws-1``), then the metric is the mean over the users who count for it (as ``evaluate``) with a
    95% percentile bootstrap interval over those users (``longtail.stats.bootstrap_mean_interval``).
    """
    tail = tail_items(data.train)
    rows = [_point(data, tail, [MostPopular()], epsilon=None, delta=None, max_items_per_user=None)]
    for epsilon in epsilons:
        privacy = PrivacySettings(epsilon, delta, max_items_per_user)
        models = [MostPopular(privacy, seed=draw) for draw in range(n_draws)]
        rows.append(_point(data, tail, models, epsilon=epsilon, delta=delta, max_items_per_user=max_items_per_user))
    return rows


def _point(data: InteractionData, tail: np.ndarray, models: list[MostPopular], **settings) -> dict:
    draws = [
        per_user_values(model.fit(data.train).recommend(data.eval_users, LIST_LENGTH), data.test_targets, tail)
        for model in models
    ]
    row = {**settings, "draws": len(models)}
    for metric in CURVE_METRICS:
        per_user = np.mean([draw[metric] for draw in draws], axis=0)
        counted = per_user[np.isfinite(per_user)]
        row[metric] = round(float(counted.mean()), 5) if len(counted) else None
        row[f"{metric}_ci95"] = [round(bound, 5) for bound in bootstrap_mean_interval(counted)]
    return row
