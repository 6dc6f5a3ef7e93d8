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

from longtail.data.interactions import ORDER_FROM_LAST, load_interactions, with_orders_from_last
from longtail.data.warehouse import read_table, read_vectors
from longtail.recommend.evaluation.offline import EvaluationSettings, split_events
from longtail.recommend.item_vectors import catalogue_text_vectors
from longtail.recommend.serving import serve_recommendations
from longtail.serving.assistant import AssistantWeights, ShopAssistant
from longtail.serving.catalogue import ShopIndex
from longtail.serving.lexical import lexical_index, lexical_scores
from longtail.serving.lists import top_rows
from longtail.serving.shop_tables import shop_tables
from longtail.serving.simulated_sessions import SimulatedSession, simulate_sessions

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
# BM25, the strongest baseline, chose the largest k1 or b of a narrower grid (k1 up to 2, b up to 0.9) in every regime.
# Offered more, it takes b = 1 (its maximum) in two regimes and k1 = 5 on Online Retail's 1-word queries (10 is
# offered too), and its test hit@10 rose (Instacart 1 word 0.280 -> 0.300, Online Retail with filters 0.567 -> 0.573).
BM25_GRID = [{"k1": k1, "b": b} for k1 in (0.6, 0.9, 1.2, 1.5, 2.0, 3.0, 5.0, 10.0) for b in (0.3, 0.6, 0.75, 0.9, 1.0)]


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
) -> dict:
    """The settings ``longtail serve`` uses for the shop (``served_assistant``'s ``tuned``): BM25 and then the
    weights tuned on the validation ``stage``'s sessions of every query regime together, since a server cannot
    tell a browsing shopper from one who nearly names the item.

    Returns ``weights`` and ``bm25`` (the settings), ``cut``, ``validation_sessions``, the validation ``hit@10`` and
    ``mrr@10`` of the tuned settings and of the defaults (``defaults``), and the best rows of each grid
    (``best_on_validation``).
    """
    sessions = [session for words in regimes for session in stage.sessions(max_sessions, words, seed)]
    bm25, bm25_table = tune_bm25(stage.index, sessions)
    stage.use_bm25(bm25)
    weights, assistant_table = tune_weights(stage, sessions)
    defaults = ShopAssistant(stage.index, stage.encode)
    default_rows = [
        defaults.signals(s.query, s.user_id).top(defaults.weights, stage.index.is_tail, K) for s in sessions
    ]
    default_hit, default_mrr = hits(default_rows, sessions)
    return {
        "weights": asdict(weights),
        "bm25": bm25,
        "cut": str(stage.cut),
        "validation_sessions": len(sessions),
        "hit@10": assistant_table[0]["hit@10"],
        "mrr@10": assistant_table[0]["mrr@10"],
        "defaults": {"hit@10": round(default_hit, 4), "mrr@10": round(default_mrr, 4)},
        "best_on_validation": {"assistant": assistant_table, "bm25": bm25_table},
    }


def hits(rows_per_session: list[np.ndarray], sessions: list[SimulatedSession]) -> tuple[float, float]:
    """Mean hit@10 and mrr@10."""
    ranks = [np.flatnonzero(rows[:K] == session.target) for rows, session in zip(rows_per_session, sessions)]
    return float(np.mean([len(r) > 0 for r in ranks])), float(np.mean([1 / (r[0] + 1) if len(r) else 0 for r in ranks]))


def tune_weights(stage: Stage, sessions) -> tuple[AssistantWeights, list[dict]]:
    """The grid point with the best validation hit@10 (then MRR, then the earlier, simpler point), and the best
    rows of the grid. Each session's signals are computed once; each grid point only weighs them."""
    signals = stage.signals(sessions)
    table = []
    for weights in ASSISTANT_GRID:
        rows = [signal.top(weights, stage.index.is_tail, K) for signal in signals]
        hit, mrr = hits(rows, sessions)
        table.append({**asdict(weights), "hit@10": round(hit, 4), "mrr@10": round(mrr, 4)})
    best, top = _ranked(table, 10)
    return ASSISTANT_GRID[best], top


def tune_bm25(index: ShopIndex, sessions) -> tuple[dict, list[dict]]:
    """BM25's ``k1`` and ``b`` with the best validation hit@10 of ``BM25_GRID``, and the best rows of the grid."""
    table = []
    for params in BM25_GRID:
        bm25 = lexical_index(index.search_texts(), params)
        rows = [top_rows(lexical_scores(bm25, session.query, len(index)), K, index.card_keys) for session in sessions]
        hit, mrr = hits(rows, sessions)
        table.append({**params, "hit@10": round(hit, 4), "mrr@10": round(mrr, 4)})
    best, top = _ranked(table, 5)
    return BM25_GRID[best], top


def _ranked(table: list[dict], rows: int) -> tuple[int, list[dict]]:
    """The index of the best grid point (validation hit@10, then MRR, then the earlier, simpler point) and the
    first ``rows`` rows of ``table`` in that order, the chosen one first."""
    order = sorted(range(len(table)), key=lambda i: (-table[i]["hit@10"], -table[i]["mrr@10"], i))
    return order[0], [table[i] for i in order[:rows]]
