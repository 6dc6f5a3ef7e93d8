"""The validation stage of the offline evaluation: the split it runs on, and every choice made there before the test
window is scored (``tune_on_validation``), with the helpers the test stage shares (``longtail.recommend.evaluation.
offline``)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from longtail.language.item_sentiment import sentiment_quality
from longtail.recommend.evaluation.hybrid_choice import HYBRID_SETTINGS, MIN_TRADE_USERS, accuracy_floor, choose
from longtail.recommend.evaluation.list_scores import LIST_LENGTH, list_metrics, model_metrics, ndcg10
from longtail.recommend.evaluation.split import InteractionData, Split, recency_weights, temporal_split
from longtail.recommend.evaluation.tuning import BASELINE_GRIDS, tune_over_grid
from longtail.recommend.item_vectors import align_vectors
from longtail.recommend.models import (
    ALS,
    EASE,
    ContentKNN,
    ItemKNN,
    LongTailHybrid,
    MostPopular,
    Recommender,
    RP3Beta,
    tune_l2,
)


@dataclass(frozen=True)
class EvaluationSettings:
    """What the evaluation splits on, which hybrid settings it searches, and each baseline's grid.

    ``half_life`` is in days for a datetime ``time_column`` and in its own units for an ordinal one (e.g. orders
    for ``order_from_last``); ``None`` picks 30 days or 5 units. ``l2_grid`` is EASE's and ``baseline_grids`` the
    other tuned baselines' (``BASELINE_GRIDS``; ``bench/baseline_budget.py`` tunes them over wider ones).
    """

    test_days: int = 28
    min_test_share: float = 0.05
    time_column: str = "ts"
    half_life: float | None = None
    l2_grid: tuple[float, ...] = (30.0, 100.0, 200.0, 300.0, 500.0, 1000.0, 3000.0)
    baseline_grids: Mapping[str, list[dict]] = field(default_factory=lambda: BASELINE_GRIDS)
    max_items: int = 8_000  # EASE models the most popular items only beyond this (see EASE)
    recent_weights: tuple[float, ...] = (0.0, 0.3, 0.6)
    popularity_exponents: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75)
    tail_weights: tuple[float, ...] = (0.0, 0.5)
    content_weights: tuple[float, ...] = (0.0, 0.1)
    sentiment_weights: tuple[float, ...] = (0.0, 0.25, 0.5)
    history_recencies: tuple[float, ...] = (0.0, 1.0)
    als_weights: tuple[float, ...] = (0.0, 0.25, 1.0)
    # The baselines whose best validation NDCG@10 is the floor of the hybrid's choice.
    floor_models: tuple[str, ...] = ("MostPopular", "EASE", "ItemKNN", "ALS", "RP3beta", "ContentKNN")
    # Fewer validation users than this choose the hybrid's most accurate point, trading nothing for the tail.
    min_trade_users: int = MIN_TRADE_USERS
    # The privacy curve's delta and contribution bound (see ``privacy_curve``).
    dp_delta: float = 1e-6
    dp_max_items_per_user: int = 20

    def resolved_half_life(self, time: pd.Series) -> float:
        """``half_life``, or 30 days for a datetime ``time`` and 5 of its units for an ordinal one."""
        return self.half_life or (30.0 if pd.api.types.is_datetime64_any_dtype(time) else 5.0)


def split_events(events: pd.DataFrame, settings: EvaluationSettings) -> Split:
    """The last ``test_days`` as test, widened to hold at least ``min_test_share`` of the events."""
    split = temporal_split(events, settings.test_days, time_column=settings.time_column)
    if len(split.test) >= settings.min_test_share * len(events):
        return split
    time = events[settings.time_column]
    cut = time.quantile(1 - settings.min_test_share, interpolation="lower")
    is_test = (time >= cut).to_numpy()
    if is_test.all():
        raise ValueError(f"cannot hold out {settings.min_test_share:.0%} of events: they all share one time")
    return Split(train=events.loc[~is_test], test=events.loc[is_test], cut=cut)


@dataclass(frozen=True)
class ValidationTuning:
    """Every choice the validation split made, and what it made them on.

    Attributes:
        split, data: the validation split of the training side, and its matrices.
        l2, l2_scores: EASE's chosen l2, and each l2's validation NDCG@10.
        baselines: each tuned baseline's ``tune_over_grid`` record (``{"chosen", "validation_ndcg@10",
            "validation"}``).
        figures: the validation metrics (``model_metrics``) of MostPopular, EASE and each tuned baseline at its
            chosen settings; the floor is drawn from these.
        models: those models, fitted on ``data.train``; "ALS" is the ALS the hybrid weighs.
        hybrid: the hybrid fitted on ``data.train`` with every component ``grid`` uses.
        grid, points: the hybrid's grid, and each point's settings with its validation metrics.
        floor: ``{"model", "ndcg@10", "reached", "tail_trade"}``, ``tail_trade`` False where validation evaluates
            fewer than ``settings.min_trade_users`` users; chosen: the hybrid's settings chosen on ``points``.
    """

    split: Split
    data: InteractionData
    l2: float
    l2_scores: dict
    baselines: dict[str, dict]
    figures: dict[str, dict]
    models: dict[str, Recommender]
    hybrid: LongTailHybrid
    grid: list[dict]
    points: list[dict]
    floor: dict
    chosen: dict


def tune_on_validation(
    train: pd.DataFrame,
    settings: EvaluationSettings,
    item_vectors: tuple[np.ndarray, np.ndarray] | None,
    review_scores: pd.DataFrame | None,
    als: Callable[..., Recommender],
    progress: Callable[[str], None],
) -> ValidationTuning:
    """Split the training side ``train`` again in time and choose every model's settings on that validation split:
    EASE's l2 (``tune_l2``), each tuned baseline's over its grid, then the hybrid's (``hybrid_choice.choose``; the
    arguments are ``evaluate_offline``'s)."""
    split = split_events(train, settings)
    data = split.build_matrices()
    vectors = align_vectors(item_vectors, data.item_ids)
    quality = quality_before(review_scores, split.cut, data.item_ids, settings)
    progress(f"validation cut {split.cut}: {len(data.eval_users):,} users evaluated")

    progress("tuning EASE's l2 on the validation split")
    tuned: dict = {}

    def validation_ndcg(model: EASE) -> float:
        # Keeps the best model so far (on a tie the earlier, as tune_l2 chooses): the tuned EASE, fitted once.
        score = ndcg10(model, data)
        if not tuned or score > tuned["score"]:
            tuned.update(score=score, model=model)
        return score

    l2, l2_scores = tune_l2(data.train, validation_ndcg, settings.l2_grid, max_items=settings.max_items)

    progress("tuning the baselines on the validation split")
    makers = baseline_makers(vectors, als)
    tuned_baselines = {name: tune_over_grid(make, settings.baseline_grids[name], data) for name, make in makers.items()}
    baselines = {name: record for name, (record, _) in tuned_baselines.items()}

    progress("tuning the hybrid on the validation split")
    grid = hybrid_grid(settings, content=vectors is not None, sentiment=quality is not None)
    hybrid = full_hybrid(l2, settings, vectors, quality, baselines["ALS"]["chosen"]).fit(
        data.train,
        recency=recency_of(split, data, settings),
        ease=tuned["model"],
        als=local_als(tuned_baselines["ALS"][1]),
    )
    models = {
        "MostPopular": MostPopular().fit(data.train),
        "EASE": tuned["model"],
        **{name: model for name, (_, model) in tuned_baselines.items()},
    }
    if hybrid.als_ is not None:
        # The ALS the hybrid weighs: the tuned one itself, or its own where another engine's ALS (Spark's) gave the
        # settings. The floor counts it, so that the choice is the same on every engine.
        models["ALS"] = hybrid.als_
    figures = {
        "MostPopular": model_metrics(models["MostPopular"], data),
        "EASE": model_metrics(models["EASE"], data),
        **{name: record["validation"] for name, record in baselines.items()},
    }
    if models["ALS"] is not tuned_baselines["ALS"][1]:
        figures["ALS"] = model_metrics(models["ALS"], data)
    floor = accuracy_floor(figures, settings.floor_models)
    points = [{**params, **metrics} for params, metrics in zip(grid, grid_metrics(hybrid, grid, data))]
    floor["reached"] = any(point["ndcg@10"] >= floor["ndcg@10"] for point in points)
    floor["tail_trade"] = len(data.eval_users) >= settings.min_trade_users
    chosen = choose(points, floor["ndcg@10"], figures["EASE"], trade=floor["tail_trade"])
    progress(f"hybrid settings chosen on validation (floor {floor}): {chosen}")
    return ValidationTuning(split, data, l2, l2_scores, baselines, figures, models, hybrid, grid, points, floor, chosen)


def recency_of(split: Split, data: InteractionData, settings: EvaluationSettings):
    """The recency weights of ``split``'s training events as of its cut, aligned to ``data``'s matrices."""
    return recency_weights(
        split.train,
        data.user_ids,
        data.item_ids,
        as_of=split.cut,
        half_life=settings.resolved_half_life(split.train[settings.time_column]),
        time_column=settings.time_column,
    )


def quality_before(
    review_scores: pd.DataFrame | None, cut, item_ids: np.ndarray, settings: EvaluationSettings
) -> np.ndarray | None:
    """``sentiment_quality`` of ``item_ids`` from the reviews before ``cut``; None when none of them is reviewed."""
    if review_scores is None:
        return None
    earlier = review_scores[review_scores[settings.time_column] < cut]
    quality = sentiment_quality(earlier, item_ids)
    return quality if quality.any() else None


def baseline_makers(
    vectors: np.ndarray | None, als: Callable[..., Recommender]
) -> dict[str, Callable[..., Recommender]]:
    """Each tuned baseline's constructor from its grid's settings, ALS's being ``als``; ContentKNN only with item
    ``vectors``."""
    makers = {"ItemKNN": ItemKNN, "ALS": als, "RP3beta": RP3Beta}
    if vectors is not None:
        makers["ContentKNN"] = lambda **params: ContentKNN(vectors, **params)
    return makers


def local_als(als: Recommender) -> ALS | None:
    """``als`` where it is the local ``ALS``, the hybrid's own ALS term (as served), else None: an ALS of another
    engine (Spark's) only gives the settings, with which the hybrid fits its own."""
    return als if isinstance(als, ALS) else None


def full_hybrid(
    l2: float,
    settings: EvaluationSettings,
    vectors: np.ndarray | None,
    quality: np.ndarray | None,
    als_settings: dict,
) -> LongTailHybrid:
    """A hybrid with every component the grid may use; ``with_settings`` then switches settings without refitting."""
    return LongTailHybrid(
        l2=l2,
        max_items=settings.max_items,
        recent_weight=max(settings.recent_weights),
        item_vectors=vectors,
        content_weight=max(settings.content_weights) if vectors is not None else 0.0,
        item_quality=quality,
        als_weight=max(settings.als_weights),
        als_settings=als_settings,
    )


def hybrid_grid(settings: EvaluationSettings, *, content: bool, sentiment: bool) -> list[dict]:
    """The hybrid's settings that validation tries: every combination of ``settings``' values, content and
    sentiment weights only where the shop has item vectors and reviews."""
    values = (
        settings.recent_weights,
        settings.popularity_exponents,
        settings.tail_weights,
        settings.content_weights if content else (0.0,),
        settings.sentiment_weights if sentiment else (0.0,),
        settings.history_recencies,
        settings.als_weights,
    )
    points = [dict(zip(HYBRID_SETTINGS, point)) for point in itertools.product(*values)]
    # With als_weight 1 the EASE terms weigh nothing: other recency settings would only repeat the same lists.
    first = (settings.recent_weights[0], settings.history_recencies[0])
    return [p for p in points if p["als_weight"] < 1 or (p["recent_weight"], p["history_recency"]) == first]


def grid_metrics(hybrid: LongTailHybrid, grid: list[dict], data: InteractionData) -> list[dict]:
    """The metrics of the fitted ``hybrid`` at each point of ``grid`` (scoring-time settings), its components
    scoring the users once for all points."""
    return [list_metrics(lists, data) for lists in hybrid.recommend_each(data.eval_users, LIST_LENGTH, grid)]
