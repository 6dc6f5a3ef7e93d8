"""How the hybrid's choice of settings holds up when validation evaluates few users, as on a small shop: the rules
that could choose it, on random subsets of each shop's validation users, on the inputs of a finished demo's warehouse.

    .venv/bin/python bench/thin_validation.py --home "$LONGTAIL_HOME" [--dataset uci_online_retail_ii ...]
        [--sizes 10 25 50 100 200 300] [--repeats 200]

Each dataset is split as ``recommendation_evaluation`` splits it (``evaluation_protocol``), and its validation stage
runs as the asset runs it (``tune_on_validation``): every baseline tuned on all validation users, the hybrid fitted
once. The bench then scores every point of the hybrid's grid on the test window (the hybrid refitted on the whole
training side, as ``evaluate_offline`` fits it), and the tuned baselines there.

For each size n and each of ``--repeats`` random draws of n validation users, each rule picks a point from those
users' figures alone, its floor the best floor model's NDCG@10 on the same users (the baselines keep the settings all
validation users chose, which flatters the floor a little):
- ``trade``: ``hybrid_choice.choose`` trading accuracy down to the floor for the long-tail targets;
- ``most_accurate``: ``choose`` without the trade, the most accurate point;
- ``shipped``: the trade from ``MIN_TRADE_USERS`` validation users on, the most accurate point below;
- ``fallback``: one fixed point, whatever the draw: the point whose validation NDCG@10, as a share of the floor's,
  averages best over the *other* datasets (all their validation users; the settings every grid holds), so no
  dataset's own figures choose its fallback;
- ``safe_switch``: the most accurate point where it beats the fallback on the n users by a paired one-sided 95%
  margin, else the fallback.
The printed figures are the picks' test figures: NDCG@10 as a ratio to the best tuned baseline's test NDCG@10 (its
mean over draws, its 5th percentile, and the share of draws losing more than 2%), and the mean tail recall@20 and
coverage@10. "all" is the pick on every validation user, the asset's.

2026-12-06, the demo's four shops (/tmp/fresh9 at a7fcb4b; 7 min). Share of draws losing more than 2%, trade against
most accurate (mean NDCG@10 ratio in brackets):
- Online Retail II (1,018 validation users): 50 users 46% (0.993) against 1% (1.168); 100: 22% (1.017) against 0%
  (1.183); 200: 4% (1.051) against 0% (1.195); all: 1.078 against 1.206, the trade buying coverage@10 0.415 for
  0.294 (the trade is the design: docs/evaluation.md).
- Magazine (318): 50 users 52% (0.922) against 48% (0.942); 100: 34% (0.974) against 35% (0.981); 200: 14% both.
- Instacart (430): 50 users 64% (0.911) against 58% (0.934); 100: 45% against 48% (0.948 both); 200: 31% (0.968)
  against 28% (0.974); 300: 8% against 12%.
- Amazon 5-core (83): the two rules choose alike; 10 users 66% (0.91), 25: 40% (0.96), 50: 4% (0.994).
No fixed point serves every shop: the fallback is 0.668x on Magazine (whose best points weigh ALS alone), 0.908x on
5-core, 0.968x on Instacart and 1.080x on Online Retail II, and the paired switch from it inherits its losses where
validation is thin (Magazine, 100 users: 37% of draws losing more than 2%). The rule shipped is the trade from 200
validation users on (``MIN_TRADE_USERS``); below, the most accurate point.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

# The repository root for the project's packages, and bench/ for the other benches' helpers.
sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

from baseline_budget import evaluation_inputs  # noqa: E402

from assets.recommendations import EvaluationConfig  # noqa: E402
from longtail.recommend.evaluation.datasets import evaluation_protocol  # noqa: E402
from longtail.recommend.evaluation.hybrid_choice import HYBRID_SETTINGS, MIN_TRADE_USERS, choose  # noqa: E402
from longtail.recommend.evaluation.intervals import per_user_values  # noqa: E402
from longtail.recommend.evaluation.list_scores import LIST_LENGTH, model_metrics  # noqa: E402
from longtail.recommend.evaluation.validation import (  # noqa: E402
    baseline_makers,
    full_hybrid,
    grid_metrics,
    local_als,
    quality_before,
    recency_of,
    split_events,
    tune_on_validation,
)
from longtail.recommend.item_vectors import align_vectors  # noqa: E402
from longtail.recommend.matrices import tail_items  # noqa: E402
from longtail.recommend.models import ALS, EASE, MostPopular  # noqa: E402

RULES = ("trade", "most_accurate", "shipped", "fallback", "safe_switch")
# The metrics ``choose`` reads from a point.
CHOICE_METRICS = ("ndcg@10", "tail_recall@20", "coverage@10")


def settings_key(point: dict) -> tuple:
    return tuple(float(point[name]) for name in HYBRID_SETTINGS)


class ShopGrid:
    """One dataset's hybrid grid scored per validation user and on the test window, with its floor models."""

    def __init__(self, dataset: str, inputs, config: EvaluationConfig):
        started = time.perf_counter()
        protocol = evaluation_protocol(
            inputs,
            config.test_days,
            config.min_test_share,
            dataset in config.order_number_datasets,
            config.min_evaluated_users,
        )
        settings, data_inputs = protocol.settings, protocol.data
        split = split_events(data_inputs.interactions, settings)
        data = split.build_matrices()
        tuning = tune_on_validation(
            split.train, settings, data_inputs.item_vectors, data_inputs.review_scores, ALS, lambda message: None
        )
        self.dataset, self.grid, self.floor_models = dataset, tuning.grid, settings.floor_models
        self.all_validation_pick = settings_key(tuning.chosen)
        validation = tuning.data
        tail = tail_items(validation.train)
        self.n_items = validation.train.shape[1]
        # Per point (rows) and validation user (columns): NDCG@10, tail recall@20 (NaN where the user has no tail
        # target) and the top 10.
        ndcg, tail_recall, top10 = [], [], []
        for lists in tuning.hybrid.recommend_each(validation.eval_users, LIST_LENGTH, tuning.grid):
            values = per_user_values(lists, validation.test_targets, tail)
            ndcg.append(values["ndcg@10"])
            tail_recall.append(values["tail_recall@20"])
            top10.append(lists[:, :10].astype(np.int32))
        self.ndcg, self.tail_recall, self.top10 = np.array(ndcg), np.array(tail_recall), np.array(top10)
        self.floor_values = {}
        for name in self.floor_models:
            if name in tuning.models:
                lists = tuning.models[name].recommend(validation.eval_users, LIST_LENGTH)
                values = per_user_values(lists, validation.test_targets, tail)
                self.floor_values[name] = (values["ndcg@10"], values["tail_recall@20"], lists[:, :10])
        # The test window: every grid point, and the baselines at the settings all validation users chose.
        test_vectors = align_vectors(data_inputs.item_vectors, data.item_ids)
        test_quality = quality_before(data_inputs.review_scores, split.cut, data.item_ids, settings)
        als_settings = tuning.baselines["ALS"]["chosen"]
        ease, als = EASE(tuning.l2, max_items=settings.max_items).fit(data.train), ALS(**als_settings).fit(data.train)
        hybrid = full_hybrid(tuning.l2, settings, test_vectors, test_quality, als_settings).fit(
            data.train, recency=recency_of(split, data, settings), ease=ease, als=local_als(als)
        )
        self.test = {
            settings_key(point): figures for point, figures in zip(self.grid, grid_metrics(hybrid, self.grid, data))
        }
        makers = baseline_makers(test_vectors, ALS)
        baselines = {"MostPopular": MostPopular().fit(data.train), "EASE": ease, "ALS": als}
        for name in ("ItemKNN", "RP3beta", "ContentKNN"):
            if name in makers and name in tuning.baselines:
                baselines[name] = makers[name](**tuning.baselines[name]["chosen"]).fit(data.train)
        self.baseline_test = {name: model_metrics(model, data) for name, model in baselines.items()}
        self.best_baseline = max(self.baseline_test, key=lambda name: self.baseline_test[name]["ndcg@10"] or 0.0)
        self.validation_users, self.test_users = len(validation.eval_users), len(data.eval_users)
        self.full_floor = max(
            tuning.figures[name]["ndcg@10"] or 0.0 for name in self.floor_models if name in tuning.figures
        )
        self.full_ndcg = {settings_key(point): point["ndcg@10"] for point in tuning.points}
        print(
            f"{dataset}: {self.validation_users:,} validation and {self.test_users:,} test users, "
            f"{len(self.grid)} grid points, scored in {time.perf_counter() - started:.0f} s",
            flush=True,
        )

    def coverage(self, top10: np.ndarray) -> np.ndarray:
        """Coverage@10 of each row's lists: ``top10`` ``(n_rows, n_users, 10)`` item indices, -1 pads."""
        flat = np.sort(top10.reshape(len(top10), -1), axis=1)
        distinct = (np.diff(flat, axis=1) != 0).sum(axis=1) + 1 - (flat[:, :1] < 0).any(axis=1)
        return distinct / self.n_items

    def picks(self, users: np.ndarray) -> dict[str, tuple]:
        """The ``trade`` and ``most_accurate`` picks of ``choose`` on the validation users ``users`` (column
        indices)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a draw without tail targets: its tail recall is 0
            ndcg = np.nanmean(self.ndcg[:, users], axis=1)
            tail_recall = np.nan_to_num(np.nanmean(self.tail_recall[:, users], axis=1))
        coverage = self.coverage(self.top10[:, users])
        points = [
            {**point, "ndcg@10": n, "tail_recall@20": t, "coverage@10": c}
            for point, n, t, c in zip(self.grid, ndcg, tail_recall, coverage)
        ]
        floor_ndcg = {name: np.nanmean(values[0][users]) for name, values in self.floor_values.items()}
        ease_values = self.floor_values["EASE"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            ease = {
                "ndcg@10": floor_ndcg["EASE"],
                "tail_recall@20": float(np.nan_to_num(np.nanmean(ease_values[1][users]))),
                "coverage@10": float(self.coverage(ease_values[2][None, users])[0]),
            }
        return {
            "trade": settings_key(choose(points, max(floor_ndcg.values()), ease)),
            "most_accurate": settings_key(choose(points, max(floor_ndcg.values()), ease, trade=False)),
        }

    def safe_switch(self, users: np.ndarray, reference: tuple, candidate: tuple) -> tuple:
        """``candidate`` where its NDCG@10 beats ``reference``'s on the validation users ``users`` by a paired
        one-sided 95% margin (mean difference over its standard error above 1.645), else ``reference``."""
        rows = {settings_key(point): row for row, point in enumerate(self.grid)}
        difference = self.ndcg[rows[candidate], users] - self.ndcg[rows[reference], users]
        spread = difference.std(ddof=1) / np.sqrt(len(users))
        return candidate if difference.mean() > 1.645 * spread else reference


def fallback_for(shop: ShopGrid, shops: list[ShopGrid]) -> tuple:
    """The settings whose validation NDCG@10 as a share of the floor's averages best over the other ``shops``,
    among the settings every shop's grid holds (``shop``'s own when it is the only one)."""
    others = [other for other in shops if other is not shop] or [shop]
    common = set(shop.full_ndcg).intersection(*(other.full_ndcg for other in others))
    return max(
        sorted(common),
        key=lambda key: np.mean([other.full_ndcg[key] / max(other.full_floor, 1e-9) for other in others]),
    )


def draw_picks(shop: ShopGrid, users: np.ndarray, fallback: tuple) -> dict[str, tuple]:
    """Each rule's pick on the validation users ``users``."""
    picks = shop.picks(users)
    return {
        **picks,
        "shipped": picks["trade"] if len(users) >= MIN_TRADE_USERS else picks["most_accurate"],
        "fallback": fallback,
        "safe_switch": shop.safe_switch(users, fallback, picks["most_accurate"]),
    }


def print_shop(shop: ShopGrid, fallback: tuple, sizes: list[int], repeats: int, rng) -> None:
    best = shop.baseline_test[shop.best_baseline]
    print(
        f"\n== {shop.dataset}: best baseline on test {shop.best_baseline}: NDCG@10 {best['ndcg@10']:.4f}, tail "
        f"recall@20 {best['tail_recall@20']:.4f}, coverage@10 {best['coverage@10']:.4f}; fallback "
        f"{dict(zip(HYBRID_SETTINGS, fallback))}"
    )
    print(
        "n users | rule          | NDCG@10 / best baseline's: mean, 5th pct, draws losing >2% | tail recall@20 | "
        "coverage@10"
    )
    for n in [*sizes, "all"]:
        if n != "all" and n >= shop.validation_users:
            continue
        if n == "all":
            draws = [draw_picks(shop, np.arange(shop.validation_users), fallback)]
            same = draws[0]["shipped"] == shop.all_validation_pick
            print(f"    (the bench's choice on all users is the evaluation's: {same})")
        else:
            draws = [
                draw_picks(shop, rng.choice(shop.validation_users, n, replace=False), fallback) for _ in range(repeats)
            ]
        for rule in RULES:
            figures = [shop.test[draw[rule]] for draw in draws]
            ndcg = np.array([f["ndcg@10"] for f in figures]) / best["ndcg@10"]
            print(
                f"{n!s:>7} | {rule:<13} | {ndcg.mean():.3f}, {np.percentile(ndcg, 5):.3f}, "
                f"{(ndcg < 0.98).mean():.0%} | {np.mean([f['tail_recall@20'] for f in figures]):.4f} | "
                f"{np.mean([f['coverage@10'] for f in figures]):.4f}"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="LONGTAIL_HOME of a finished demo")
    parser.add_argument("--dataset", action="append", help="default: every dataset with interactions")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 25, 50, 100, 200, 300])
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    inputs = evaluation_inputs(args.home / "warehouse.duckdb")
    config = EvaluationConfig()
    shops = [ShopGrid(dataset, inputs[dataset], config) for dataset in args.dataset or sorted(inputs)]
    rng = np.random.default_rng(0)
    for shop in shops:
        print_shop(shop, fallback_for(shop, shops), args.sizes, args.repeats, rng)
    return 0


if __name__ == "__main__":
    sys.exit(main())
