"""The interactive evaluation: simulated shoppers ask for what they really bought next, and the assistant is
compared with plain search (BM25 over item text, embedding search, each also given the parsed hard filters) and
with the user's plain list.

Everything the systems see is frozen at the test cut of the recommendation evaluation (the same split): the
history, the cached lists (the hybrid refitted on the training side with the served settings, which validation
chose before the cut), popularity and the tail set, and catalogue-text vectors. Reviews, published descriptions and
neighbours are left out, as they may hold later information. BM25's ``k1`` and ``b``, then the assistant's weights
(its own lexical match with BM25's choice) are tuned on a validation split cut the same way inside the training
side, each on the same sessions.

Per system and session: ``hit@10`` (the bought item is in the top 10), ``mrr@10``, ``constraint_satisfaction``
(the share of returned items meeting the shopper's stated price bound and category) and ``tail_share`` (the share
of tail items among those returned), each with a 95% bootstrap interval over sessions, and paired intervals for the
assistant's ratios to the baselines.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, replace

import numpy as np

from longtail.serving import assistant_tuning as tuning
from longtail.serving.assistant import AssistantWeights, ShopAssistant, served_assistant
from longtail.serving.assistant_tuning import MAX_VALIDATION_SESSIONS, WORDS_PER_QUERY, K, Stage, hits
from longtail.serving.catalogue import ShopIndex
from longtail.serving.lexical import lexical_index, lexical_scores
from longtail.serving.lists import top_rows, user_list
from longtail.stats import paired_bootstrap_means

# The tail bonuses of the trade-off curve (the other weights as tuned).
TAIL_BONUSES = (0.0, 0.02, 0.05, 0.1, 0.2, 0.4, 0.8)
SEARCH_BASELINES = ("bm25", "bm25+filters", "embedding", "embedding+filters")
# "served_assistant" is the assistant as ``longtail serve`` runs it: the settings ``assistant_settings`` tuned for the
# shop on validation sessions of both regimes together (or the defaults), where "assistant" has the ones this
# evaluation tuned for the shop and the query regime.
SYSTEMS = ("assistant", "served_assistant", *SEARCH_BASELINES, "user_list")


def evaluate_interactive(
    stages: dict[str, Stage],
    *,
    served_assistant_settings: Mapping | None = None,
    regimes: Sequence[int] = WORDS_PER_QUERY,
    max_sessions: int = 300,
    seed: int = 0,
    progress: Callable[[str], None] = lambda message: None,
) -> dict:
    """The report of one shop: ``split``, and per query regime (``"1 word"``, ``"2 words"``: the title words each
    simulated query keeps, see ``simulate_sessions``) its ``tuning``, per-system ``models`` with ``ci95`` beside each
    metric, ``ratios`` of the assistant to each baseline with paired intervals, the assistant's ``tail_tradeoff``
    and ``examples`` (the first sessions with each system's top 3), for a person to read.

    Args:
        stages: the shop frozen at the validation and the test cut (``evaluation_stages``).
        served_assistant_settings: the shop's assistant settings as published (``tune_served_assistant``; None: the
            defaults), which the ``served_assistant`` system runs with.
    """
    cuts = {"cut": str(stages["test"].cut), "validation_cut": str(stages["validation"].cut)}
    progress(f"cuts: {cuts}")
    report = {"split": cuts, "regimes": {}}
    test = stages["test"]
    encode = test.encode
    served = served_assistant(test.index, encode, served_assistant_settings)
    for words in regimes:
        tuning_sessions = stages["validation"].sessions(min(max_sessions, MAX_VALIDATION_SESSIONS), words, seed)
        bm25_params, bm25_table = tuning.tune_bm25(stages["validation"].index, tuning_sessions)
        # The assistant's own lexical match takes the BM25 settings validation chose for the baseline.
        for stage in stages.values():
            stage.use_bm25(bm25_params)
        weights, assistant_table = tuning.tune_weights(stages["validation"], tuning_sessions)
        progress(f"{words} word(s): tuned on {len(tuning_sessions)} validation sessions, BM25 {bm25_params}")
        sessions = test.sessions(max_sessions, words, seed)
        # Signals do not depend on the weights: computed once, weighed with the tuned ones and along the curve.
        signals = test.signals(sessions)
        results = _run_systems(test.index, sessions, signals, weights, bm25_params, encode, served)
        regime = _report(test.index, sessions, results)
        regime["tail_tradeoff"] = _tail_tradeoff(test.index, sessions, signals, weights)
        regime["tuning"] = {
            "assistant": asdict(weights),
            "bm25": bm25_params,
            "budgets": {"assistant": len(tuning.ASSISTANT_GRID), "bm25": len(tuning.BM25_GRID)},
            "validation_sessions": len(tuning_sessions),
            "best_on_validation": {"assistant": assistant_table, "bm25": bm25_table},
        }
        report["regimes"][f"{words} word" + ("s" if words > 1 else "")] = regime
        progress(f"{words} word(s): {len(sessions)} test sessions, hit@10 {regime['models']['assistant']['hit@10']}")
    report["split"] |= {"items": len(stages["test"].index), "tail_items": int(stages["test"].index.is_tail.sum())}
    return report


def _run_systems(
    index: ShopIndex,
    sessions,
    signals,
    weights: AssistantWeights,
    bm25_params: dict,
    encode,
    served: ShopAssistant,
) -> dict:
    """Each system's returned item rows, per session (``signals``: the tuned assistant's, one per session;
    ``served``: the assistant with the server's settings, on the same index)."""
    bm25 = lexical_index(index.search_texts(), bm25_params)
    query_vectors = encode([session.query for session in sessions]) if index.vectors is not None else None
    results: dict[str, list[np.ndarray]] = {system: [] for system in SYSTEMS}
    for number, (session, signal) in enumerate(zip(sessions, signals)):
        results["assistant"].append(signal.top(weights, index.is_tail, K))
        served_signal = served.signals(session.query, session.user_id)
        results["served_assistant"].append(served_signal.top(served.weights, index.is_tail, K))
        lexical = lexical_scores(bm25, session.query, len(index))
        semantic = index.vectors @ query_vectors[number] if query_vectors is not None else np.zeros(len(index))
        for name, scores in (("bm25", lexical), ("embedding", semantic)):
            # Like the assistant, no two cards that read the same; with +filters, the same hard filters as the
            # assistant parsed (its exclusion of the user's own purchases aside).
            results[name].append(top_rows(scores, K, index.card_keys))
            allowed = np.where(index.mask(signal.filters), scores, -np.inf)
            results[f"{name}+filters"].append(top_rows(allowed, K, index.card_keys))
        plain = user_list(index, session.user_id, K)
        results["user_list"].append(np.array([index.position[item["item_id"]] for item in plain.items], np.int64))
    return results


def _tail_tradeoff(index: ShopIndex, sessions, signals, tuned: AssistantWeights) -> list[dict]:
    """Test hit@10 and tail share of the assistant at each of ``TAIL_BONUSES``, its other weights as tuned: what
    reaching further into the tail costs in accuracy (reported, never used to choose)."""
    curve = []
    for bonus in TAIL_BONUSES:
        weights = replace(tuned, tail=bonus)
        rows = [signal.top(weights, index.is_tail, K) for signal in signals]
        hit, _ = hits(rows, sessions)
        tail = np.mean([index.is_tail[r].mean() for r in rows if len(r)])
        curve.append({"tail_bonus": bonus, "hit@10": round(hit, 4), "tail_share": round(float(tail), 4)})
    return curve


def _report(index: ShopIndex, sessions, results: dict[str, list[np.ndarray]]) -> dict:
    values = {system: _per_session(index, sessions, rows) for system, rows in results.items()}
    models, resampled = {}, {}
    for system, by_metric in values.items():
        means = paired_bootstrap_means({metric: _filled(array) for metric, array in by_metric.items()})
        resampled[system] = means
        models[system] = {}
        for metric, array in by_metric.items():
            models[system][metric] = _round(np.nanmean(array)) if np.isfinite(array).any() else None
            models[system][f"{metric}_ci95"] = [_round(v) for v in np.percentile(means[metric], [2.5, 97.5])]
    ratios = {}
    for baseline in (*SEARCH_BASELINES, "user_list"):
        ratios[baseline] = {}
        for metric in ("hit@10", "tail_share"):
            ours, theirs = resampled["assistant"][metric], resampled[baseline][metric]
            point, valid = models[baseline][metric], theirs > 0
            ratios[baseline][metric] = {
                "ratio": _round(models["assistant"][metric] / point) if point else None,
                "ci95": [_round(v) for v in np.percentile(ours[valid] / theirs[valid], [2.5, 97.5])]
                if valid.any()
                else None,
            }
    return {
        "split": {"sessions": len(sessions), "items": len(index), "tail_items": int(index.is_tail.sum())},
        "models": models,
        "ratios": ratios,
        "best_search_baseline": max(SEARCH_BASELINES, key=lambda name: models[name]["hit@10"] or 0.0),
        "examples": [_example(index, session, results, number) for number, session in enumerate(sessions[:20])],
    }


def _per_session(index: ShopIndex, sessions, rows_per_session: list[np.ndarray]) -> dict[str, np.ndarray]:
    hits, reciprocal, satisfied, tail = [], [], [], []
    for session, rows in zip(sessions, rows_per_session):
        rows = rows[:K]
        position = np.flatnonzero(rows == session.target)
        hits.append(float(len(position) > 0))
        reciprocal.append(1.0 / (position[0] + 1) if len(position) else 0.0)
        # NaN when nothing was returned: an empty answer neither meets nor breaks a constraint.
        satisfied.append(float(index.mask(session.constraints)[rows].mean()) if len(rows) else np.nan)
        tail.append(float(index.is_tail[rows].mean()) if len(rows) else np.nan)
    return {
        "hit@10": np.array(hits),
        "mrr@10": np.array(reciprocal),
        "constraint_satisfaction": np.array(satisfied),
        "tail_share": np.array(tail),
    }


def _filled(array: np.ndarray) -> np.ndarray:
    """NaN cases (empty answers) take the mean of the others, so that resamples stay comparable."""
    return np.where(np.isfinite(array), array, np.nanmean(array) if np.isfinite(array).any() else 0.0)


def _example(index: ShopIndex, session, results, number: int) -> dict:
    return {
        "user_id": session.user_id,
        "query": session.query,
        "bought": str(index.titles[session.target]),
        **{
            system: [str(index.titles[row]) for row in per_session[number][:3]]
            for system, per_session in results.items()
        },
    }


def _round(value: float) -> float:
    return round(float(value), 4)
