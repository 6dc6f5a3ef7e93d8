"""Tuning the shop assistant on simulated sessions from a shop frozen at a cut: BM25's ``k1`` and ``b``, then the
assistant's ``AssistantWeights`` (with BM25's choice for its own lexical match), each on the same sessions.

``evaluation_stages`` freezes a shop at the validation cut and at the test cut of the recommendation evaluation's
split; ``tune_served_assistant`` chooses the settings ``longtail serve`` uses on the validation stage alone, and the
interactive evaluation tunes one setting per query regime the same way before it scores the test stage.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict

import duckdb
import numpy as np
import pandas as pd
from scipy.stats import binomtest

from longtail.data.interactions import ORDER_FROM_LAST, load_interactions, with_orders_from_last
from longtail.data.warehouse import read_table, read_vectors
from longtail.recommend.evaluation.offline import EvaluationSettings, split_events
from longtail.recommend.item_vectors import catalogue_text_vectors
from longtail.recommend.serving import serve_recommendations
from longtail.serving.assistant import AssistantWeights, ShopAssistant
from longtail.serving.catalogue import ShopIndex
from longtail.serving.lexical import DEFAULT_BM25, lexical_index, lexical_scores
from longtail.serving.lists import top_rows
from longtail.serving.shop_tables import shop_tables
from longtail.serving.simulated_sessions import SimulatedSession, simulate_sessions
from longtail.stats import paired_bootstrap_means, percentile_interval

K = 10
# A shop's shoppers are simulated when at least this share of its items has a title to write queries from.
MIN_TITLED_SHARE = 0.5
# Title words a simulated query keeps: 1 names the kind of thing (a browsing shopper, whose history has to tell which
# of many matches they mean), 2 nearly name the item (a shopper who knows what they want).
WORDS_PER_QUERY = (1, 2)
# Validation sessions hold every signal over every item in memory while the grid is searched (Instacart: 50k items).
MAX_VALIDATION_SESSIONS = 200
# A wider assistant grid (user taste up to 1.6, cached list up to 1.0: 300 points) gave the same test hit@10 within
# noise on 2026-12-03 (Online Retail 0.617 -> 0.620 and 0.923 -> 0.923, Instacart 0.363 -> 0.370 and 0.690 -> 0.670),
# again at its new edges: 200 validation sessions cannot tell those weights apart, so the smaller grid stays.
ASSISTANT_GRID = [
    AssistantWeights(lexical=lexical, user=user, cached=cached, tail=tail)
    for lexical, user, cached, tail in itertools.product((0.0, 0.25, 0.5, 1.0), (0.0, 0.3, 0.6), (0.0, 0.1, 0.3),
                                                          (0.0, 0.02, 0.1))
]  # fmt: skip
WEIGHTS_POINTS = [asdict(weights) for weights in ASSISTANT_GRID]
# BM25, the strongest baseline, chose the largest k1 or b of a narrower grid (k1 up to 2, b up to 0.9) in every regime.
# Offered more, it takes b = 1 (its maximum) in two regimes and k1 = 5 on Online Retail's 1-word queries (10 is
# offered too), and its test hit@10 rose (Instacart 1 word 0.280 -> 0.300, Online Retail with filters 0.567 -> 0.573).
BM25_GRID = [{"k1": k1, "b": b} for k1 in (0.6, 0.9, 1.2, 1.5, 2.0, 3.0, 5.0, 10.0) for b in (0.3, 0.6, 0.75, 0.9, 1.0)]


# Folds of the check that tuning the served settings pays, and the one-sided significance it needs
# (``tune_served_assistant``).
CHECK_FOLDS = 5
CHECK_SIGNIFICANCE = 0.025


class CannotSimulate(ValueError):
    """A shop whose shoppers cannot be simulated; the message says why."""


def stage_inputs(
    connection: duckdb.DuckDBPyConnection, dataset: str, encode: Callable[[Sequence[str]], np.ndarray]
) -> dict:
    """The keyword arguments of ``evaluation_stages`` for ``dataset``, read from the warehouse: its interactions,
    catalogue, catalogue-text vectors (``encode`` embeds texts the stored vectors lack) and served recommendation
    settings. Raises ``CannotSimulate`` where the shop has no served settings or too few titled items."""
    chosen = read_table(connection, "recommendation_settings", "dataset = ?", [dataset])
    if not len(chosen):
        raise CannotSimulate("no served recommendation settings")
    items = read_table(connection, "cleaned_items", "dataset = ?", [dataset])
    if not len(items) or items["title"].notna().mean() < MIN_TITLED_SHARE:
        raise CannotSimulate(f"fewer than {MIN_TITLED_SHARE:.0%} of its items have a title to write queries from")
    settings = json.loads(chosen["settings"].iloc[0])
    return {
        "interactions": load_interactions(connection, dataset),
        "items": items,
        "item_vectors": catalogue_text_vectors(
            read_vectors(connection, "item_embeddings", dataset),
            read_table(connection, "item_text", "dataset = ?", [dataset]),
            encode,
        ),
        "served_settings": settings,
        "encode": encode,
        # The split of recommendation_evaluation: by each user's orders where it chose its settings so.
        "order_numbers": settings.get("time_column") == ORDER_FROM_LAST,
    }


class Stage:
    """The shop frozen at a ``split``'s cut, between its ``train`` and ``test``: its index (the hybrid refitted on
    ``train``), the assistant being tuned (its BM25 set by ``use_bm25``), and sessions from ``test``'s new
    purchases."""

    def __init__(self, split, items, item_vectors, served_settings, encode):
        train, test = split.train, split.test
        if not len(train) or not len(test):
            raise ValueError("too little history to split for the interactive evaluation")
        lists = serve_recommendations(train, served_settings, item_vectors=item_vectors, items=items).lists
        self.index = ShopIndex("evaluation", shop_tables(train, items, lists, item_vectors=item_vectors))
        self.cut = split.cut
        self.encode = encode
        self.assistant = ShopAssistant(self.index, encode)
        self.use_categories = "category" in items and bool(items["category"].notna().any())
        seen = set(zip(train["user_id"], train["item_id"]))
        self.new_purchases = test[[pair not in seen for pair in zip(test["user_id"], test["item_id"])]]

    def use_bm25(self, params: dict) -> None:
        self.assistant = ShopAssistant(self.index, self.encode, bm25_params=params)

    def signals(self, sessions: list[SimulatedSession]) -> list:
        return [self.assistant.signals(session.query, session.user_id) for session in sessions]

    def sessions(self, max_sessions: int, words_per_query: int, seed: int = 0) -> list[SimulatedSession]:
        """Up to ``max_sessions`` simulated sessions whose queries keep ``words_per_query`` title words
        (``simulate_sessions``; the category is stated where the shop has categories)."""
        sessions = simulate_sessions(
            self.index,
            self.new_purchases,
            max_sessions=max_sessions,
            words_per_query=words_per_query,
            use_categories=self.use_categories,
            seed=seed,
        )
        if not sessions:
            raise ValueError("no purchase of a new item by a known user after the cut: nothing to simulate")
        return sessions


def evaluation_stages(
    interactions: pd.DataFrame,
    items: pd.DataFrame,
    *,
    item_vectors: tuple[np.ndarray, np.ndarray] | None,
    served_settings: dict,
    encode: Callable[[Sequence[str]], np.ndarray],
    order_numbers: bool = False,
    names: Sequence[str] = ("validation", "test"),
) -> dict[str, Stage]:
    """The shop frozen at the validation cut and at the test cut (``names`` of ``"validation"``, ``"test"``), split as
    the recommendation evaluation splits it.

    Args:
        interactions: ``user_id, item_id, ts`` (and ``order_number`` with ``order_numbers``) of one shop.
        items: the catalogue (``item_id, title, category, price, description``).
        item_vectors: ``(ids, vectors)`` of catalogue text only (``catalogue_text_vectors``).
        served_settings: the hybrid's served settings (``longtail.recommend.serving.served_settings``).
        encode: the encoder of ``item_vectors``.
        order_numbers: split by each user's last order (next basket) instead of the last 28 days.
    """
    if order_numbers:
        interactions = with_orders_from_last(interactions)
        settings = EvaluationSettings(test_days=1, min_test_share=0.0, time_column=ORDER_FROM_LAST)
    else:
        settings = EvaluationSettings()
    test = split_events(interactions, settings)
    splits = {"test": test, "validation": split_events(test.train, settings)}
    return {name: Stage(splits[name], items, item_vectors, served_settings, encode) for name in names}


def tune_served_assistant(
    stage: Stage,
    *,
    regimes: Sequence[int] = WORDS_PER_QUERY,
    max_sessions: int = MAX_VALIDATION_SESSIONS,
    seed: int = 0,
    folds: int = CHECK_FOLDS,
) -> dict:
    """The settings ``longtail serve`` uses for the shop (``served_assistant``'s ``tuned``): BM25 and then the
    weights tuned on the validation ``stage``'s sessions of every query regime together, since a server cannot
    tell a browsing shopper from one who nearly names the item; or the defaults, where tuning is not shown to pay.

    Whether it pays is checked on the same sessions, by ``folds``-fold cross-validation of the tuning itself: each
    fold's sessions are scored with the settings tuned on the other folds, against the defaults. The tuned settings
    are served only where they find the target in significantly more of the sessions where the two differ than the
    defaults do (McNemar's exact test, one-sided, p < ``CHECK_SIGNIFICANCE``): the best of 40 BM25 settings and then
    of 108 weights, chosen on a few hundred sessions, beats the defaults on those sessions by chance alone (on Online
    Retail, by 3 sessions of 400), and the exact test stays valid on a small shop's few sessions, where a bootstrap
    interval is too narrow (three wins in three sessions give one of [1, 1]).

    Returns ``weights`` and ``bm25`` (the served settings), ``cut``, ``validation_sessions``, the served settings'
    validation ``hit@10`` and ``mrr@10``, the defaults' (``defaults``), the tuned settings with their validation
    figures (``tuned``), the check (``tuning_check``: ``folds``, the out-of-fold ``hit@10`` and the defaults'
    ``defaults_hit@10``, their ``gain`` with its paired bootstrap ``gain_ci95``, the sessions only the tuned settings
    (``wins``) or only the defaults (``losses``) hit, the test's ``p_value`` and ``adopted``), and the best rows of
    each grid (``best_on_validation``).
    """
    sessions = [session for words in regimes for session in stage.sessions(max_sessions, words, seed)]
    return served_choice(SettingsSearch(stage, sessions), folds, seed)


def served_choice(search: SettingsSearch, folds: int = CHECK_FOLDS, seed: int = 0) -> dict:
    """``tune_served_assistant``'s record, of the settings ``search`` finds best on all its sessions."""
    bm25, weights, bm25_table, assistant_table = search.best(np.arange(len(search.sessions)))
    check = search.check(folds, seed)
    tuned = {
        "weights": asdict(ASSISTANT_GRID[weights]),
        "bm25": BM25_GRID[bm25],
        "hit@10": assistant_table[0]["hit@10"],
        "mrr@10": assistant_table[0]["mrr@10"],
    }
    default_hit, default_rr = search.defaults.mean(axis=1)
    defaults = {"hit@10": round(float(default_hit), 4), "mrr@10": round(float(default_rr), 4)}
    served = tuned if check["adopted"] else {"weights": asdict(AssistantWeights()), "bm25": dict(DEFAULT_BM25),
                                             **defaults}  # fmt: skip
    return {
        **served,
        "cut": str(search.stage.cut),
        "validation_sessions": len(search.sessions),
        "defaults": defaults,
        "tuned": tuned,
        "tuning_check": check,
        "best_on_validation": {"assistant": assistant_table, "bm25": bm25_table},
    }


def published_settings(chosen: dict) -> dict:
    """The settings a shop is served with (``served_assistant``'s ``tuned``) of ``tune_served_assistant``'s record, or
    of its ``tuned`` part: the ``weights`` and ``bm25``."""
    return {key: chosen[key] for key in ("weights", "bm25")}


class SettingsSearch:
    """Every session's hit@10 and reciprocal rank under every BM25 setting and, once some subset of the sessions
    chose a BM25 setting, under every weights of ``ASSISTANT_GRID`` with it: so that choosing on any subset of the
    sessions (``best``) only averages them."""

    def __init__(self, stage: Stage, sessions: list[SimulatedSession]):
        self.stage, self.sessions = stage, sessions
        self.bm25 = bm25_figures(stage.index, sessions)
        self._weights: dict[int, np.ndarray] = {}
        assistant = ShopAssistant(stage.index, stage.encode)
        rows = [assistant.signals(s.query, s.user_id).top(assistant.weights, stage.index.is_tail, K) for s in sessions]
        self.defaults = session_figures(rows, sessions)  # the defaults' (2, sessions)

    def weights_with(self, bm25: int) -> np.ndarray:
        """``weights_figures`` with ``BM25_GRID[bm25]``."""
        if bm25 not in self._weights:
            self.stage.use_bm25(BM25_GRID[bm25])
            self._weights[bm25] = weights_figures(self.stage, self.sessions)
        return self._weights[bm25]

    def best(self, among: np.ndarray) -> tuple[int, int, list[dict], list[dict]]:
        """The BM25 setting and then the weights with the best hit@10 (then MRR, then the earlier, simpler point)
        on the sessions ``among`` (positions), and the best rows of each grid there."""
        bm25, bm25_table = _ranked(_table(BM25_GRID, self.bm25[:, :, among]), 5)
        weights, weights_table = _ranked(_table(WEIGHTS_POINTS, self.weights_with(bm25)[:, :, among]), 10)
        return bm25, weights, bm25_table, weights_table

    def check(self, folds: int, seed: int, among: np.ndarray | None = None) -> dict:
        """Cross-validation of the tuning against the defaults on the sessions ``among`` (positions; all where
        None), as ``tune_served_assistant`` runs it."""
        among = np.arange(len(self.sessions)) if among is None else np.asarray(among)
        default_hit = self.defaults[0, among]
        fold = np.random.default_rng(seed).permutation(len(among)) % folds
        out_of_fold = default_hit.copy()  # a session no other fold can tune for (a lone one) shows no gain
        for held_out in range(folds):
            held = fold == held_out
            if held.any() and not held.all():
                bm25, weights, _, _ = self.best(among[~held])
                out_of_fold[held] = self.weights_with(bm25)[weights, 0, among[held]]
        gain = out_of_fold - default_hit
        wins, losses = int((gain > 0).sum()), int((gain < 0).sum())
        p_value = binomtest(wins, wins + losses, alternative="greater").pvalue if wins + losses else 1.0
        interval = percentile_interval(paired_bootstrap_means({"gain": gain}, seed=seed)["gain"])
        return {
            "folds": folds,
            "hit@10": round(float(out_of_fold.mean()), 4),
            "defaults_hit@10": round(float(default_hit.mean()), 4),
            "gain": round(float(gain.mean()), 4),
            "gain_ci95": [round(value, 4) for value in interval],
            "wins": wins,
            "losses": losses,
            "p_value": round(float(p_value), 4),
            "adopted": bool(p_value < CHECK_SIGNIFICANCE),
        }


def session_figures(rows_per_session: list[np.ndarray], sessions: list[SimulatedSession]) -> np.ndarray:
    """``(2, len(sessions))``: each session's hit@10 (0 or 1) and reciprocal rank of its target in the top 10 (0
    where missing)."""
    ranks = [np.flatnonzero(rows[:K] == session.target) for rows, session in zip(rows_per_session, sessions)]
    return np.array([[float(len(r) > 0) for r in ranks], [1 / (r[0] + 1) if len(r) else 0.0 for r in ranks]])


def hits(rows_per_session: list[np.ndarray], sessions: list[SimulatedSession]) -> tuple[float, float]:
    """Mean hit@10 and mrr@10."""
    hit, rr = session_figures(rows_per_session, sessions).mean(axis=1)
    return float(hit), float(rr)


def tune_weights(stage: Stage, sessions) -> tuple[AssistantWeights, list[dict]]:
    """The grid point with the best validation hit@10 (then MRR, then the earlier, simpler point), and the best
    rows of the grid."""
    best, top = _ranked(_table(WEIGHTS_POINTS, weights_figures(stage, sessions)), 10)
    return ASSISTANT_GRID[best], top


def tune_bm25(index: ShopIndex, sessions) -> tuple[dict, list[dict]]:
    """BM25's ``k1`` and ``b`` with the best validation hit@10 of ``BM25_GRID``, and the best rows of the grid."""
    best, top = _ranked(_table(BM25_GRID, bm25_figures(index, sessions)), 5)
    return BM25_GRID[best], top


def weights_figures(stage: Stage, sessions) -> np.ndarray:
    """``(len(ASSISTANT_GRID), 2, len(sessions))``: ``session_figures`` of the stage's assistant with each weights
    of the grid. Each session's signals are computed once; each grid point only weighs them."""
    signals = stage.signals(sessions)
    return np.array(
        [
            session_figures([signal.top(weights, stage.index.is_tail, K) for signal in signals], sessions)
            for weights in ASSISTANT_GRID
        ]
    )


def bm25_figures(index: ShopIndex, sessions) -> np.ndarray:
    """``(len(BM25_GRID), 2, len(sessions))``: ``session_figures`` of BM25 search with each setting of the grid."""
    figures = []
    for params in BM25_GRID:
        bm25 = lexical_index(index.search_texts(), params)
        rows = [top_rows(lexical_scores(bm25, session.query, len(index)), K, index.card_keys) for session in sessions]
        figures.append(session_figures(rows, sessions))
    return np.array(figures)


def _table(grid: list[dict], figures: np.ndarray) -> list[dict]:
    """Each point of ``grid`` with its mean ``hit@10`` and ``mrr@10`` of ``figures`` (``(points, 2, sessions)``),
    rounded as reported."""
    means = figures.mean(axis=2)
    return [{**point, "hit@10": round(float(hit), 4), "mrr@10": round(float(rr), 4)} for point, (hit, rr) in
            zip(grid, means)]  # fmt: skip


def _ranked(table: list[dict], rows: int) -> tuple[int, list[dict]]:
    """The index of the best grid point (validation hit@10, then MRR, then the earlier, simpler point) and the
    first ``rows`` rows of ``table`` in that order, the chosen one first."""
    order = sorted(range(len(table)), key=lambda i: (-table[i]["hit@10"], -table[i]["mrr@10"], i))
    return order[0], [table[i] for i in order[:rows]]
