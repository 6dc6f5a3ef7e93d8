"""What published descriptions do for the content model: tail recall with and without them, weights chosen on
validation items and reported on separate test items.

On each dataset that can be split in time (``longtail.recommend.evaluation.offline.split_events``), the items that
matter are the tail items with test targets whose catalogue description is missing, short or junk
(``longtail.language.facts.needs_description``). Each gets its published description from facts known before the
cut (``describe`` receives the cut, so review facts come only from earlier reviews), and ``ContentKNN`` is run on
the split with those items' vectors from the catalogue text alone ("without"), and with the description blended
in as ``item_embeddings`` does it (``longtail.recommend.item_vectors.blend_extra``) at each weight of ``WEIGHTS``.
Every other item keeps its stored vector, so the difference is the descriptions' doing.

The described items are split in two by a hash of their id: the weight is chosen where tail recall is highest on
the validation half, and the figures are reported on the test half. Tail recall@20 here is micro-averaged: the
share of the test targets on the items of a half that the model ranks in a user's top 20.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import AbstractContextManager

import duckdb
import numpy as np
import pandas as pd

from longtail.data.interactions import datasets_with_interactions, load_interactions
from longtail.data.warehouse import read_table, read_vectors
from longtail.language.facts import needs_description
from longtail.recommend.evaluation.offline import EvaluationSettings, split_events
from longtail.recommend.item_vectors import align_vectors, blend_extra, catalogue_text_vectors, with_replaced_rows
from longtail.recommend.matrices import tail_items
from longtail.recommend.models import ContentKNN
from longtail.recommend.text import build_item_text

K = 20
GENERATED_SOURCE = "generated"
WEIGHTS = (0.25, 0.5, 1.0, 2.0)

Describe = Callable[[str, pd.DataFrame, "pd.Timestamp | None"], pd.DataFrame]


def content_tail_recall_with_generated(
    connect: Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]],
    encode: Callable[[list[str]], np.ndarray],
    describe: Describe,
    *,
    max_items: int | None = None,
    settings: EvaluationSettings = EvaluationSettings(),
) -> dict:
    """Tail recall@20 of ``ContentKNN`` on the tail targets without usable text, without and with published text.

    Args:
        connect: opens the warehouse (with ``cleaned_items``, ``item_embeddings`` and the interactions); it is
            not held while ``describe`` runs.
        encode: texts -> unit ``float32`` vectors ``(n, dim)``, the model that made ``item_embeddings``.
        describe: ``(dataset, items, cut)`` -> ``item_id, text`` of the published descriptions of ``items``
            (cleaned item rows) from facts before ``cut`` (a UTC timestamp, or None when the dataset's time is an
            ordinal such as Instacart's order number); items it cannot describe are left out.
        max_items: how many items to describe at most per dataset (those with the most targets first); None: all.
        settings: the split (as in the offline evaluation).

    Returns:
        ``{"datasets": {dataset: figures}, "tail_recall_without_generated", "tail_recall_with_generated",
        "tail_recall_gain", "tail_recall_gain_ci95", "targets"}``: the headline figures are over the test items of
        every dataset (micro-averaged, each dataset at its own chosen weight; None when no dataset had test
        targets), the interval a paired bootstrap over test targets. Per
        dataset: ``described_items``, ``weight`` (chosen on validation), and for each of ``validation`` and
        ``test``: ``items``, ``targets``, ``hits_without`` and ``hits_by_weight``.
    """
    per_dataset = {}
    with connect() as connection:
        datasets = datasets_with_interactions(connection)
    for dataset in datasets:
        figures = _dataset_effect(connect, encode, describe, dataset, max_items, settings)
        if figures is not None:
            per_dataset[dataset] = figures
    # Per test target, hit without and with the text (at its dataset's chosen weight): pooled, and resampled
    # together for the interval of the gain.
    paired = [figures.pop("_test_hits") for figures in per_dataset.values()]
    without = np.concatenate([pair[0] for pair in paired]) if paired else np.zeros(0, dtype=bool)
    with_text = np.concatenate([pair[1] for pair in paired]) if paired else np.zeros(0, dtype=bool)
    targets = len(without)
    return {
        "datasets": per_dataset,
        "targets": targets,
        "tail_recall_without_generated": round(float(without.mean()), 5) if targets else None,
        "tail_recall_with_generated": round(float(with_text.mean()), 5) if targets else None,
        "tail_recall_gain": round(float(with_text.sum() / without.sum()), 4) if without.any() else None,
        "tail_recall_gain_ci95": _gain_interval(without, with_text),
    }


def _gain_interval(without: np.ndarray, with_text: np.ndarray, n_resamples: int = 2000, seed: int = 0):
    """95% percentile-bootstrap interval of ``with_text.sum() / without.sum()`` over test targets resampled in
    pairs; None when there are no hits without the text."""
    if not without.any():
        return None
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, len(without), size=(n_resamples, len(without)))
    base = without[rows].sum(axis=1)
    ratios = with_text[rows].sum(axis=1)[base > 0] / base[base > 0]
    low, high = np.percentile(ratios, [2.5, 97.5])
    return [round(float(low), 4), round(float(high), 4)]


def half_of(item_id: object) -> str:
    """ "validation" or "test" for an item, by the parity of the SHA-256 of its id: fixed across runs."""
    return "validation" if hashlib.sha256(str(item_id).encode()).digest()[0] % 2 == 0 else "test"


def _dataset_effect(connect, encode, describe: Describe, dataset: str, max_items, settings) -> dict | None:
    with connect() as connection:
        interactions = load_interactions(connection, dataset)
        stored = read_vectors(connection, "item_embeddings", dataset)
        items = read_table(connection, "cleaned_items", "dataset = ?", [dataset])
        item_texts = read_table(connection, "item_text", "dataset = ?", [dataset])
    if interactions.empty or items.empty or not len(stored[0]):
        return None
    # Every other item as its catalogue text alone: the stored vectors blend in text written from all reviews.
    stored = catalogue_text_vectors(stored, item_texts, encode)
    try:
        split = split_events(interactions, settings)
        data = split.build_matrices()
    except ValueError:  # too little history to split
        return None
    lacking = set(items.loc[needs_description(items)["needs_description"].to_numpy(), "item_id"])
    targets_per_item = np.asarray(data.test_targets.sum(axis=0)).ravel()
    # Hashed membership: np.isin compares object ids pairwise (15 s on Instacart's 14k ids against 45k).
    item_ids = pd.Index(data.item_ids)
    eligible = tail_items(data.train) & item_ids.isin(lacking) & (targets_per_item > 0)
    order = np.argsort(-targets_per_item * eligible, kind="stable")[: int(eligible.sum())]
    chosen = data.item_ids[order[:max_items] if max_items is not None else order]
    cut = split.cut if isinstance(split.cut, pd.Timestamp) else None
    published = describe(dataset, items[items["item_id"].isin(chosen)], cut)
    described = items[items["item_id"].isin(published["item_id"])]
    if described.empty:
        return None
    without = build_item_text(described)
    texts = build_item_text(described, extra=published.assign(source=GENERATED_SOURCE))
    ids = texts["item_id"].to_numpy()
    halves = {name: item_ids.isin([i for i in ids if half_of(i) == name]) for name in ("validation", "test")}
    recommend = _recommender(stored, ids, data)
    has_extra = texts["extra_text"].ne("").to_numpy()
    # One call: the texts with and without the published ones are mostly the same, and each is encoded once.
    vectors = np.asarray(
        encode([*texts["text"], *texts.loc[has_extra, "extra_text"], *without["text"]]), dtype=np.float32
    )
    text_vectors, extra_vectors, without_vectors = np.split(vectors, [len(texts), len(texts) + int(has_extra.sum())])
    lists_without = recommend(without_vectors)
    lists_by_weight = {}
    for weight in WEIGHTS:
        vectors = text_vectors.copy()
        vectors[has_extra] = blend_extra(text_vectors[has_extra], extra_vectors, weight)
        lists_by_weight[weight] = recommend(vectors)
    figures = {"described_items": len(ids)}
    hits = {}
    for name, focus in halves.items():
        hits[name] = {w: _target_hits(lists, data.test_targets, focus) for w, lists in lists_by_weight.items()}
        hits[name][None] = _target_hits(lists_without, data.test_targets, focus)
        figures[name] = {
            "items": int(focus.sum()),
            "targets": len(hits[name][None]),
            "hits_without": int(hits[name][None].sum()),
            "hits_by_weight": {w: int(hits[name][w].sum()) for w in WEIGHTS},
        }
    validation = figures["validation"]["hits_by_weight"]
    # Ties go to the smallest weight: the least change for the same result.
    figures["weight"] = max(WEIGHTS, key=lambda weight: (validation[weight], -weight))
    figures["_test_hits"] = (hits["test"][None], hits["test"][figures["weight"]])
    return figures


def _recommender(stored, ids: np.ndarray, data) -> Callable[[np.ndarray], np.ndarray]:
    """``vectors of ids -> (n_eval_users, K)`` lists of ``ContentKNN`` with those rows of ``stored`` replaced."""

    def recommend(vectors: np.ndarray) -> np.ndarray:
        model = ContentKNN(align_vectors(with_replaced_rows(stored, ids, vectors), data.item_ids)).fit(data.train)
        return model.recommend(data.eval_users, K)

    return recommend


def _target_hits(lists: np.ndarray, targets, focus: np.ndarray) -> np.ndarray:
    """Per test target on a ``focus`` item (users in row order, items ascending), whether it is in the user's
    list: bool ``(n_focus_targets,)``. ``lists`` are item indices ``(n_users, K)`` in the row order of
    ``targets`` (users x items)."""
    targets = targets.tocsr().sorted_indices()
    users = np.repeat(np.arange(targets.shape[0]), np.diff(targets.indptr))
    on_focus = focus[targets.indices]
    users, items = users[on_focus], targets.indices[on_focus]
    return (lists[users] == items[:, None]).any(axis=1)
