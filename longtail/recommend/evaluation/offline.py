"""The offline evaluation: longtail's hybrid against the baselines, on one split, in one run.

Protocol: one global temporal cut (the last ``test_days``, widened until the test side holds at least
``min_test_share`` of events, so sparse datasets still have something to test), full ranking over the training
catalogue, new-item targets, seen items excluded. Hyper-parameters are chosen on a validation split carved from
the training side the same way (its last ``test_days``); the test window is never used for tuning:

- EASE's l2 by validation NDCG@10 (``tune_l2``), and every other baseline with settings (ItemKNN, ALS, RP3beta,
  ContentKNN) by validation NDCG@10 over its grid (``BASELINE_GRIDS``; the budgets are in ``report["tuning"]``);
- the hybrid's settings (review sentiment, the history's recency weighting and the weight of the tuned ALS's
  scores included) by a constrained choice.
  The accuracy floor is the best tuned baseline's validation NDCG@10 (of ``floor_models``: all of them by
  default, MostPopular included). Among the grid points at least that accurate, those that best reach the
  long-tail targets relative to EASE, the model the hybrid is built on (tail recall@20 4x, coverage@10 1.5x;
  attainment ``min(tail ratio / 4, coverage ratio / 1.5, 1)``), and among those the most accurate. If no point
  reaches the floor, the most accurate point (``report["tuning"]["hybrid_floor"]`` says whose floor it was and
  whether a point reached it). Attainment is not measured against the best baseline on each metric, as the
  targets are judged: on every shared shop no point reaches content kNN's coverage 1.5x on validation, so that
  attainment never saturates and the choice spends all accuracy down to the floor for a little coverage (on
  Online Retail II, test NDCG@10 1.035x EASE with a paired interval down to 0.943, coverage 0.99x content kNN's,
  against 1.078x and 0.96x; ``bench/hybrid_choice.py`` and docs/evaluation.md).

Every model is then refitted on the whole training side and scored on the test window. Item sentiment is
computed from the reviews written before each cut only, so no review from the test window informs a model.
``privacy_curve`` gives MostPopular's NDCG@10 and tail recall@20 on user-level differentially private counts
at each epsilon of ``privacy_curve.EPSILONS`` (``longtail.recommend.evaluation.privacy_curve``).
Each headline metric gets a 95% bootstrap interval over the evaluated users (``metric_ci95`` beside it), and the
system's ratio to each baseline a paired one (``ratios``; ``longtail.recommend.evaluation.intervals``).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from longtail.language.item_sentiment import sentiment_quality
from longtail.recommend.evaluation.hybrid_choice import HYBRID_SETTINGS, accuracy_floor, choose
from longtail.recommend.evaluation.intervals import bootstrap_intervals
from longtail.recommend.evaluation.list_scores import (
    LIST_LENGTH,
    list_metrics,
    model_metrics,
    ndcg10,
    timed_metrics,
)
from longtail.recommend.evaluation.privacy_curve import privacy_curve
from longtail.recommend.evaluation.split import InteractionData, Split, recency_weights, temporal_split
from longtail.recommend.evaluation.tuning import BASELINE_GRIDS, tune_over_grid
from longtail.recommend.item_vectors import align_vectors
from longtail.recommend.matrices import tail_items
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

SYSTEM = "longtail_hybrid"


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
    # The privacy curve's delta and contribution bound (see ``privacy_curve``).
    dp_delta: float = 1e-6
    dp_max_items_per_user: int = 20


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


def evaluate_offline(
    events: pd.DataFrame,
    *,
    dataset: str,
    item_vectors: tuple[np.ndarray, np.ndarray] | None = None,
    review_scores: pd.DataFrame | None = None,
    settings: EvaluationSettings = EvaluationSettings(),
    progress: Callable[[str], None] = lambda message: None,
    als: Callable[..., Recommender] = ALS,
) -> dict:
    """Run every model on one split of ``events`` and return the report (see the module docstring).

    Args:
        events: interactions with ``user_id``, ``item_id`` and ``settings.time_column``.
        dataset: name written into the report.
        item_vectors: optional ``(item_ids, vectors)``, ids ``(n,)`` and a ``(n, dim)`` matrix, e.g. the item
            embeddings; without them the content baseline and the content term of the hybrid are left out.
        review_scores: optional reviews with ``item_id``, ``score`` in [-1, 1] and ``settings.time_column``;
            with them the hybrid may weigh item sentiment (``sentiment_weights``), and the report's
            ``sentiment_effect`` gives the test figures of the chosen hybrid at each sentiment weight.
        progress: called with a line of text at each stage.
        als: the ALS baseline's constructor, called with a point of ``settings.baseline_grids["ALS"]``: ``ALS`` here, or
            the Spark engine's ``functools.partial(SparkALS, spark=spark)``. The hybrid's ALS term is the local
            ``ALS`` either way (as served), with the settings this baseline's tuning chose.

    Returns:
        ``{"dataset", "split", "system", "models": {name: metrics}, "ratios", "tuning", "tradeoff",
        "sentiment_effect", "privacy_curve", "seconds"}``; metrics are those of
        ``longtail.recommend.evaluation.evaluate`` at 10 and
        20, ``<metric>_ci95`` intervals of the headline ones, plus ``seconds`` (fit and recommend); ``ratios`` maps
        each baseline to ``{metric: {"ratio", "ci95"}}`` of the system against it.
    """
    started = time.perf_counter()
    split = split_events(events, settings)
    data = split.build_matrices()
    validation_split = split_events(split.train, settings)
    validation = validation_split.build_matrices()
    half_life = settings.half_life or (
        30.0 if pd.api.types.is_datetime64_any_dtype(events[settings.time_column]) else 5.0
    )
    progress(
        f"split at {split.cut}: {data.train.shape[0]:,} users x {data.train.shape[1]:,} items in training, "
        f"{len(data.eval_users):,} users evaluated; validation cut {validation_split.cut}"
    )

    def recency(part: Split, matrices: InteractionData):
        return recency_weights(
            part.train,
            matrices.user_ids,
            matrices.item_ids,
            as_of=part.cut,
            half_life=half_life,
            time_column=settings.time_column,
        )

    validation_vectors = align_vectors(item_vectors, validation.item_ids)
    test_vectors = align_vectors(item_vectors, data.item_ids)
    validation_quality = _quality_before(review_scores, validation_split.cut, validation.item_ids, settings)
    test_quality = _quality_before(review_scores, split.cut, data.item_ids, settings)

    progress("tuning EASE's l2 on the validation split")
    tuned: dict = {}

    def validation_ndcg(model: EASE) -> float:
        # Keeps the best model so far (on a tie the earlier, as tune_l2 chooses): the tuned EASE, fitted once.
        score = ndcg10(model, validation)
        if not tuned or score > tuned["score"]:
            tuned.update(score=score, model=model)
        return score

    best_l2, l2_scores = tune_l2(validation.train, validation_ndcg, settings.l2_grid, max_items=settings.max_items)
    ease_validation = model_metrics(tuned["model"], validation)

    progress("tuning the baselines on the validation split")
    makers = _baseline_makers(validation_vectors, als)
    grids = settings.baseline_grids
    tuned_baselines = {name: tune_over_grid(make, grids[name], validation) for name, make in makers.items()}
    baseline_tuning = {name: tuning for name, (tuning, _) in tuned_baselines.items()}

    progress("tuning the hybrid on the validation split")
    hybrid_grid = _grid(settings, content=validation_vectors is not None, sentiment=validation_quality is not None)
    als_settings = baseline_tuning["ALS"]["chosen"]
    base = _full_hybrid(best_l2, settings, validation_vectors, validation_quality, als_settings).fit(
        validation.train,
        recency=recency(validation_split, validation),
        ease=tuned.pop("model"),
        als=_local(tuned_baselines["ALS"][1]),
    )
    validation_figures = {
        "MostPopular": model_metrics(MostPopular().fit(validation.train), validation),
        "EASE": ease_validation,
        **{name: tuned_baseline["validation"] for name, tuned_baseline in baseline_tuning.items()},
    }
    if base.als_ is not None and base.als_ is not tuned_baselines["ALS"][1]:
        # Another engine's ALS (Spark's) gave the settings; the floor is the ALS the hybrid weighs, so that the
        # choice is the same on every engine.
        validation_figures["ALS"] = model_metrics(base.als_, validation)
    floor = accuracy_floor(validation_figures, settings.floor_models)
    validation_points = [
        {**params, **figures} for params, figures in zip(hybrid_grid, _grid_metrics(base, hybrid_grid, validation))
    ]
    floor["reached"] = any(point["ndcg@10"] >= floor["ndcg@10"] for point in validation_points)
    chosen = choose(validation_points, floor["ndcg@10"], ease_validation)
    progress(f"hybrid settings chosen on validation (floor {floor}): {chosen}")
    test_makers = _baseline_makers(test_vectors, als)
    models = {
        "MostPopular": MostPopular(),
        "ItemKNN": test_makers["ItemKNN"](**baseline_tuning["ItemKNN"]["chosen"]),
        "EASE": EASE(best_l2, max_items=settings.max_items),
        "ALS": test_makers["ALS"](**baseline_tuning["ALS"]["chosen"]),
        "RP3beta": test_makers["RP3beta"](**baseline_tuning["RP3beta"]["chosen"]),
    }
    if "ContentKNN" in test_makers and "ContentKNN" in baseline_tuning:
        models["ContentKNN"] = test_makers["ContentKNN"](**baseline_tuning["ContentKNN"]["chosen"])
    results, fit_seconds, lists = {}, {}, {}
    for name, model in models.items():
        progress(f"fitting {name}")
        fit_started = time.perf_counter()
        model.fit(data.train)
        fit_seconds[name] = time.perf_counter() - fit_started
        results[name], lists[name] = timed_metrics(model, data, fit_seconds[name])
    progress(f"fitting {SYSTEM}")
    test_recency = recency(split, data)
    fit_started = time.perf_counter()
    hybrid = _full_hybrid(best_l2, settings, test_vectors, test_quality, als_settings)
    hybrid.fit(data.train, recency=test_recency, ease=models["EASE"], als=_local(models["ALS"]))
    # The hybrid's EASE (and the local ALS) are the baselines', fitted once: their fit times count for both.
    shared = fit_seconds["EASE"] + (fit_seconds["ALS"] if hybrid.als_ is models["ALS"] else 0.0)
    hybrid_seconds = time.perf_counter() - fit_started + shared
    results[SYSTEM], lists[SYSTEM] = timed_metrics(hybrid.with_settings(**chosen), data, hybrid_seconds)
    progress(f"bootstrap intervals over {len(data.eval_users):,} users")
    intervals, ratios = bootstrap_intervals(lists, data.test_targets, tail_items(data.train), SYSTEM)
    for name, by_metric in intervals.items():
        results[name].update({f"{metric}_ci95": interval for metric, interval in by_metric.items()})
    tradeoff_grid = _tradeoff_grid(settings, chosen)
    tradeoff = [
        {**params, **figures} for params, figures in zip(tradeoff_grid, _grid_metrics(hybrid, tradeoff_grid, data))
    ]
    sentiment_grid = [
        {**chosen, "sentiment_weight": weight}
        for weight in (settings.sentiment_weights if test_quality is not None else ())
    ]
    sentiment_effect = [
        {"sentiment_weight": point["sentiment_weight"], **figures}
        for point, figures in zip(sentiment_grid, _grid_metrics(hybrid, sentiment_grid, data))
    ]
    progress("MostPopular on differentially private counts")
    dp_curve = privacy_curve(data, delta=settings.dp_delta, max_items_per_user=settings.dp_max_items_per_user)
    tail = tail_items(data.train)
    return {
        "dataset": dataset,
        "split": {
            "time_column": settings.time_column,
            "cut": str(split.cut),
            "test_days": settings.test_days,
            "train_events": len(split.train),
            "test_events": len(split.test),
            "train_users": int(data.train.shape[0]),
            "catalogue_items": int(data.train.shape[1]),
            "evaluated_users": len(data.eval_users),
            "test_targets": int(data.test_targets.nnz),
            "tail_items_share": float(tail.mean()),
            "cold_test_users": data.cold_users,
            "unknown_item_pairs": data.dropped_unknown_items,
            "validation_cut": str(validation_split.cut),
            "validation_users": len(validation.eval_users),
            "reviewed_items": 0 if test_quality is None else int(np.count_nonzero(test_quality)),
        },
        "system": SYSTEM,
        "models": results,
        "ratios": ratios,
        "tuning": {
            "ease_l2_validation_ndcg@10": {str(k): v for k, v in l2_scores.items()},
            "ease_l2": best_l2,
            "ease_validation": ease_validation,
            "half_life": half_life,
            "hybrid": chosen,
            "hybrid_floor": floor,
            "hybrid_validation": validation_points,
            "budgets": {
                SYSTEM: len(hybrid_grid),
                "EASE": len(settings.l2_grid),
                **{name: len(grids[name]) for name in baseline_tuning},
            },
            "baselines": {"EASE": {"chosen": {"l2": best_l2}}, **baseline_tuning},
        },
        "tradeoff": tradeoff,
        "sentiment_effect": sentiment_effect,
        "privacy_curve": dp_curve,
        "settings": asdict(settings),
        "seconds": round(time.perf_counter() - started, 1),
    }


def _baseline_makers(
    vectors: np.ndarray | None, als: Callable[..., Recommender]
) -> dict[str, Callable[..., Recommender]]:
    """Each tuned baseline's constructor from its grid's settings, ALS's being ``als``; ContentKNN only with item
    ``vectors``."""
    makers = {"ItemKNN": ItemKNN, "ALS": als, "RP3beta": RP3Beta}
    if vectors is not None:
        makers["ContentKNN"] = lambda **params: ContentKNN(vectors, **params)
    return makers


def _quality_before(
    review_scores: pd.DataFrame | None, cut, item_ids: np.ndarray, settings: EvaluationSettings
) -> np.ndarray | None:
    """``sentiment_quality`` of ``item_ids`` from the reviews before ``cut``; None when none of them is reviewed."""
    if review_scores is None:
        return None
    earlier = review_scores[review_scores[settings.time_column] < cut]
    quality = sentiment_quality(earlier, item_ids)
    return quality if quality.any() else None


def _local(als: Recommender) -> ALS | None:
    """``als`` where it is the local ``ALS``, the hybrid's own ALS term (as served), else None: an ALS of another
    engine (Spark's) only gives the settings, with which the hybrid fits its own."""
    return als if isinstance(als, ALS) else None


def _full_hybrid(
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


def _grid(settings: EvaluationSettings, *, content: bool, sentiment: bool) -> list[dict]:
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


def _tradeoff_grid(settings: EvaluationSettings, chosen: dict) -> list[dict]:
    """The chosen point with popularity exponent and tail weight varied: accuracy against tail exposure."""
    return [
        {**chosen, "popularity_exponent": exponent, "tail_weight": weight}
        for exponent in (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8)
        for weight in (0.0, 0.5, 0.8)
    ]


def _grid_metrics(hybrid: LongTailHybrid, grid: list[dict], data: InteractionData) -> list[dict]:
    """The metrics of the fitted ``hybrid`` at each point of ``grid`` (scoring-time settings), its components
    scoring the users once for all points."""
    return [list_metrics(lists, data) for lists in hybrid.recommend_each(data.eval_users, LIST_LENGTH, grid)]
