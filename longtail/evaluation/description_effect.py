"""What generated descriptions do for the content model: tail recall with and without them, on one split.

Only the vectors of items that received an accepted generated description differ between the two runs: "without"
embeds their catalogue text alone (what ``item_text`` held before generation), "with" uses the stored
``item_embeddings`` (catalogue text plus the generated description). Every other item keeps its stored vector,
so the difference is the generated text's doing.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import numpy as np
import pandas as pd

from longtail.embedding import align_vectors
from longtail.evaluation.metrics import evaluate
from longtail.evaluation.offline import EvaluationSettings, split_events
from longtail.evaluation.split import item_popularity, tail_items
from longtail.interactions import load_interactions
from longtail.recommenders import ContentKNN
from longtail.text import build_item_text
from longtail.warehouse import read_table, read_vectors, table_exists

K = 20


def content_tail_recall_with_generated(
    connection: duckdb.DuckDBPyConnection,
    encode: Callable[[list[str]], np.ndarray],
    *,
    test_days: int = 28,
    min_test_share: float = 0.05,
) -> dict:
    """Tail recall@20 of ``ContentKNN`` over the tail targets that had no usable text, without and with their
    generated descriptions, per dataset (one global temporal split each, as in the offline evaluation).

    Args:
        connection: the warehouse, with ``cleaned_items``, ``generated_descriptions``, ``item_embeddings`` and
            the interactions.
        encode: texts -> unit ``float32`` vectors ``(n, dim)``, the model that made ``item_embeddings``.

    Returns:
        ``{"tail_recall_without_generated", "tail_recall_with_generated", "dataset", "by_dataset"}``: the
        headline pair is that of the dataset with the most such targets (None when no dataset has one);
        ``by_dataset[d]`` holds both figures, ``targets`` (test targets on generated tail items),
        ``generated_items`` and ``evaluated_users``, or ``skipped`` with the reason.
    """
    by_dataset = {}
    generated = (
        read_table(connection, "generated_descriptions", "accepted")
        if table_exists(connection, "generated_descriptions")
        else pd.DataFrame(columns=["dataset", "item_id"])
    )
    for dataset, rows in generated.groupby("dataset"):
        by_dataset[dataset] = _effect_on_dataset(
            connection, dataset, set(rows["item_id"]), encode, test_days, min_test_share
        )
    scored = {d: figures for d, figures in by_dataset.items() if figures.get("targets")}
    main = max(scored, key=lambda d: scored[d]["targets"], default=None)
    return {
        "dataset": main,
        "tail_recall_without_generated": scored[main]["tail_recall_without_generated"] if main else None,
        "tail_recall_with_generated": scored[main]["tail_recall_with_generated"] if main else None,
        "by_dataset": by_dataset,
    }


def _effect_on_dataset(connection, dataset: str, generated_ids: set, encode, test_days: int, min_share: float) -> dict:
    interactions = load_interactions(connection, dataset)
    stored = read_vectors(connection, "item_embeddings", dataset)
    if interactions.empty or not len(stored[0]):
        return {"skipped": "no interactions or no embeddings"}
    try:
        split = split_events(interactions, EvaluationSettings(test_days=test_days, min_test_share=min_share))
    except ValueError as error:
        return {"skipped": str(error)}
    data = split.build_matrices()
    items = read_table(connection, "cleaned_items", "dataset = ?", [dataset])
    generated_items = items[items["item_id"].isin(generated_ids)]
    catalogue_only = build_item_text(generated_items)
    without = _replaced(stored, catalogue_only["item_id"].to_numpy(), encode(catalogue_only["text"].tolist()))
    focus = tail_items(data.train) & np.isin(data.item_ids, list(generated_ids))
    popularity = item_popularity(data.train)
    targets = int(data.test_targets[:, focus].nnz)
    figures = {"generated_items": len(generated_ids), "evaluated_users": len(data.eval_users), "targets": targets}
    for name, vectors in (("without", without), ("with", stored)):
        model = ContentKNN(align_vectors(vectors, data.item_ids)).fit(data.train)
        recommended = model.recommend(data.eval_users, K)
        recall = evaluate(recommended, data.test_targets, focus, popularity, ks=(K,))[f"tail_recall@{K}"]
        figures[f"tail_recall_{name}_generated"] = None if not targets else round(float(recall), 5)
    return figures


def _replaced(vectors: tuple[np.ndarray, np.ndarray], ids: np.ndarray, replacement: np.ndarray):
    """``(ids, matrix)`` with the rows of ``ids`` replaced by ``replacement`` (ids not stored are ignored)."""
    stored_ids, matrix = vectors
    matrix = matrix.copy()
    rows = pd.Index(stored_ids).get_indexer(ids)
    known = rows >= 0
    matrix[rows[known]] = replacement[known]
    return stored_ids, matrix
