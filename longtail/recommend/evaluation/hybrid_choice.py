"""How the offline evaluation chooses the hybrid's settings on validation: the floor of its accuracy (the best tuned
baseline's validation NDCG@10) and, above it, the point that best reaches the long-tail targets relative to EASE,
then the most accurate; on a validation split too thin to measure that trade, the most accurate point (see
``longtail.recommend.evaluation.offline``)."""

from __future__ import annotations

from longtail.recommend.models.hybrid import SCORING_SETTINGS

# The hybrid's settings that validation chooses and the lists then serve: all of its scoring-time ones.
HYBRID_SETTINGS = SCORING_SETTINGS
# The long-tail targets, as ratios to EASE: what the hybrid's settings are chosen for (on validation).
TARGET_TAIL_RECALL_RATIO = 4.0
TARGET_COVERAGE_RATIO = 1.5
# With fewer validation users than this, the choice trades no accuracy for the tail: it is the most accurate point.
# Made on random subsets of the shared shops' validation users (``bench/thin_validation.py``), the trade lost more than
# 2% of the best baseline's test NDCG@10 on Online Retail II in 46% of draws of 50 users and 22% of 100, the most
# accurate point in 1% and none; of 200 users, 4% against none. On the other shops the two were alike.
MIN_TRADE_USERS = 200


def accuracy_floor(validation_figures: dict[str, dict], models: tuple[str, ...]) -> dict:
    """``{"model", "ndcg@10"}``: the best validation NDCG@10 among ``models`` (those of them that were evaluated)
    and whose it is; the first model on a tie."""
    evaluated = [name for name in models if name in validation_figures]
    if not evaluated:
        raise ValueError(f"none of the floor models {models} was evaluated; got {sorted(validation_figures)}")
    best = max(evaluated, key=lambda name: validation_figures[name]["ndcg@10"] or 0.0)
    return {"model": best, "ndcg@10": validation_figures[best]["ndcg@10"] or 0.0}


def choose(points: list[dict], floor: float, ease: dict, *, trade: bool = True) -> dict:
    """Among the points whose validation NDCG@10 is at least ``floor``, the one that comes closest to the long-tail
    targets against ``ease`` (its validation metrics), and of those the most accurate; where no point reaches the
    floor, or without ``trade`` (too few validation users to measure one, ``MIN_TRADE_USERS``), the most accurate
    point (the first on a tie)."""

    def attainment(point: dict) -> float:
        tail_ratio = point["tail_recall@20"] / max(ease["tail_recall@20"], 1e-6) / TARGET_TAIL_RECALL_RATIO
        coverage_ratio = point["coverage@10"] / max(ease["coverage@10"], 1e-6) / TARGET_COVERAGE_RATIO
        return min(tail_ratio, coverage_ratio, 1.0)

    accurate = [p for p in points if p["ndcg@10"] >= floor] if trade else []
    best = max(accurate or points, key=lambda p: (attainment(p), p["ndcg@10"]) if accurate else p["ndcg@10"])
    return {name: best[name] for name in HYBRID_SETTINGS}
