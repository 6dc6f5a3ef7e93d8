"""What generated descriptions do for the content model: tail recall with and without them, on one split.

The items that matter are the tail items among the test targets whose catalogue description is missing, short or
junk (``longtail.language.facts.needs_description``). On the dataset with the most test targets on such items,
up to ``max_items`` of them (those with the most targets first) get a generated description, and ``ContentKNN`` is run
on the same split: with their vectors from the catalogue text alone ("without"), and with the accepted generated
description blended in as ``item_embeddings`` does it (``longtail.recommend.item_vectors.embed_item_texts``; "with"),
also at the other weights of ``WEIGHTS`` so that the choice of ``EXTRA_TEXT_WEIGHT`` can be checked. Every other
item keeps its stored vector from ``item_embeddings``, so the difference is the generated text's doing. Tail
recall@20 is measured over the targets on those items only.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import duckdb
import numpy as np
import pandas as pd

from longtail.data.interactions import datasets_with_interactions, load_interactions
from longtail.data.warehouse import read_table, read_vectors
from longtail.language.facts import needs_description
from longtail.recommend.embedding import EXTRA_TEXT_WEIGHT
from longtail.recommend.evaluation.metrics import evaluate
from longtail.recommend.evaluation.offline import EvaluationSettings, split_events
from longtail.recommend.evaluation.split import InteractionData
from longtail.recommend.item_vectors import align_vectors, blend_extra
from longtail.recommend.matrices import item_popularity, tail_items
from longtail.recommend.models import ContentKNN
from longtail.recommend.text import build_item_text

K = 20
GENERATED_SOURCE = "generated"
WEIGHTS = (0.25, 0.5, 1.0)


def content_tail_recall_with_generated(
    connect: Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]],
    encode: Callable[[list[str]], np.ndarray],
    describe: Callable[[str, pd.DataFrame], pd.DataFrame],
    *,
    max_items: int,
    settings: EvaluationSettings = EvaluationSettings(),
) -> dict:
    """Tail recall@20 of ``ContentKNN`` over the tail targets without usable text, without and with generated text.

    Args:
        connect: opens the warehouse (with ``cleaned_items``, ``item_embeddings`` and the interactions); it is
            not held while ``describe`` runs, which may write to it.
        encode: texts -> unit ``float32`` vectors ``(n, dim)``, the model that made ``item_embeddings``.
        describe: ``(dataset, items)`` -> ``item_id, text`` of the accepted generated descriptions of ``items`` (cleaned
            item rows); items it cannot describe are left out.
        max_items: how many items to describe at most.
        settings: the split (as in the offline evaluation).

    Returns:
        ``{"dataset", "tail_recall_without_generated", "tail_recall_with_generated", "generated_weight",
        "tail_recall_by_generated_weight", "described_items", "targets", "evaluated_users",
        "candidates_by_dataset"}``; the figures are None when no dataset has a tail target without usable text.
        "with" is at ``generated_weight`` (``EXTRA_TEXT_WEIGHT``), and ``tail_recall_by_generated_weight`` maps each
        weight of ``WEIGHTS`` to its figure. ``candidates_by_dataset[d]`` is the number of test targets on such
        items per dataset.
    """
    splits, candidates = {}, {}
    with connect() as connection:
        for dataset in datasets_with_interactions(connection):
            found = _candidates(connection, dataset, settings)
            if found is not None:
                splits[dataset] = found
                candidates[dataset] = int(found[2].sum())
    result = {"dataset": None, "tail_recall_without_generated": None, "tail_recall_with_generated": None}
    result["candidates_by_dataset"] = candidates
    dataset = max(candidates, key=candidates.get, default=None)
    if dataset is None or candidates[dataset] == 0:
        return result
    data, items, targets_per_item = splits[dataset]
    chosen = np.argsort(-targets_per_item, kind="stable")[: min(max_items, int((targets_per_item > 0).sum()))]
    chosen_items = items[items["item_id"].isin(data.item_ids[chosen])]
    generated = describe(dataset, chosen_items)
    described = chosen_items[chosen_items["item_id"].isin(generated["item_id"])]
    with connect() as connection:
        stored = read_vectors(connection, "item_embeddings", dataset)
    without = build_item_text(described)
    texts = build_item_text(described, extra=generated.assign(source=GENERATED_SOURCE))
    ids = texts["item_id"].to_numpy()
    focus = np.isin(data.item_ids, ids)
    popularity = item_popularity(data.train)

    def tail_recall(vectors: np.ndarray) -> float:
        model = ContentKNN(align_vectors(_replaced(stored, ids, vectors), data.item_ids)).fit(data.train)
        recall = evaluate(model.recommend(data.eval_users, K), data.test_targets, focus, popularity, ks=(K,))
        return round(float(recall[f"tail_recall@{K}"]), 5)

    text_vectors = np.asarray(encode(texts["text"].tolist()), dtype=np.float32)
    has_extra = texts["extra_text"].ne("").to_numpy()
    extra_vectors = np.asarray(encode(texts.loc[has_extra, "extra_text"].tolist()), dtype=np.float32)
    by_weight = {}
    for weight in sorted({*WEIGHTS, EXTRA_TEXT_WEIGHT}):
        vectors = text_vectors.copy()
        vectors[has_extra] = blend_extra(text_vectors[has_extra], extra_vectors, weight)
        by_weight[weight] = tail_recall(vectors)
    return {
        **result,
        "tail_recall_without_generated": tail_recall(np.asarray(encode(without["text"].tolist()), dtype=np.float32)),
        "tail_recall_with_generated": by_weight[EXTRA_TEXT_WEIGHT],
        "generated_weight": EXTRA_TEXT_WEIGHT,
        "tail_recall_by_generated_weight": by_weight,
        "dataset": dataset,
        "described_items": int(focus.sum()),
        "targets": int(data.test_targets[:, focus].nnz),
        "evaluated_users": len(data.eval_users),
    }


def _candidates(connection, dataset: str, settings: EvaluationSettings):
    """``(split matrices, cleaned items, test targets per item on tail items without usable text)``, or None when
    the dataset cannot be split or has no embeddings."""
    interactions = load_interactions(connection, dataset)
    if interactions.empty or not len(read_vectors(connection, "item_embeddings", dataset)[0]):
        return None
    try:
        data: InteractionData = split_events(interactions, settings).build_matrices()
    except ValueError:  # too little history to split
        return None
    items = read_table(connection, "cleaned_items", "dataset = ?", [dataset])
    if items.empty:
        return None
    lacking = set(items.loc[needs_description(items)["needs_description"].to_numpy(), "item_id"])
    eligible = tail_items(data.train) & np.isin(data.item_ids, list(lacking))
    targets_per_item = np.asarray(data.test_targets.sum(axis=0)).ravel() * eligible
    return data, items, targets_per_item


def _replaced(vectors: tuple[np.ndarray, np.ndarray], ids: np.ndarray, replacement: np.ndarray):
    """``(ids, matrix)`` with the rows of ``ids`` replaced by ``replacement`` (ids not stored are ignored)."""
    stored_ids, matrix = vectors
    matrix = matrix.copy()
    rows = pd.Index(stored_ids).get_indexer(ids)
    known = rows >= 0
    matrix[rows[known]] = replacement[known]
    return stored_ids, matrix
