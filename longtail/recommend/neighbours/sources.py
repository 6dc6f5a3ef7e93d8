"""Every item's neighbours from the three sources that ``item_similarity`` stores: content (cosine of the item
embeddings), collaborative (cosine of co-interactions) and their blend."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from longtail.data.interactions import interaction_matrix
from longtail.recommend.neighbours.collaborative import collaborative_top_k
from longtail.recommend.neighbours.search import top_k_similarity
from longtail.recommend.neighbours.similarity import (
    blend_neighbours,
    neighbour_matrix,
    neighbour_table,
    neighbours_to_csr,
)


@dataclass(frozen=True)
class ItemNeighbours:
    """``table``: ``neighbour_table`` rows of every source; ``content_search_seconds``: the time the content
    search took (the costly part on large catalogues)."""

    table: pd.DataFrame
    content_search_seconds: float


def item_neighbours(
    item_ids: np.ndarray,
    vectors: np.ndarray,
    interactions: pd.DataFrame,
    *,
    collaborative: pd.DataFrame | None = None,
    k: int = 50,
    content_weight: float = 0.5,
    method: str = "auto",
    exact_max_items: int = 200_000,
    device: str = "cpu",
) -> ItemNeighbours:
    """The ``k`` nearest neighbours of each of ``item_ids`` by each source.

    Args:
        item_ids: ``(n_items,)`` the catalogue; ``vectors``: its ``(n_items, dim)`` embeddings, row for row.
        interactions: ``user_id, item_id`` rows; interactions with items outside ``item_ids`` are left out.
        collaborative: the "collaborative" rows (``neighbour_table`` columns) when another engine computed them
            from ``interactions`` (``longtail.spark.neighbours.collaborative_neighbours``); by default computed
            here.
        k: neighbours per item and source. content_weight: the content share of the blend (see
            ``blend_neighbours``). method, exact_max_items, device: the content search (see ``top_k_similarity``).

    Returns:
        The "collaborative" rows, and with more than one item the "content" and "blended" rows too.
    """
    n_items = len(item_ids)
    started = time.perf_counter()
    content = None
    if n_items > 1:
        found = top_k_similarity(
            vectors, min(k, n_items - 1), method=method, exact_max_items=exact_max_items, device=device
        )
        content = neighbours_to_csr(*found, n_items)
    search_seconds = time.perf_counter() - started
    if collaborative is None:
        matrix = interaction_matrix(interactions, item_ids=item_ids).matrix
        collaborative_matrix = neighbours_to_csr(*collaborative_top_k(matrix, k), n_items)
        collaborative = neighbour_table(item_ids, collaborative_matrix, "collaborative")
    else:
        collaborative_matrix = neighbour_matrix(collaborative, item_ids)
        if collaborative_matrix is None:  # no item shares a user with another
            collaborative_matrix = sp.csr_matrix((n_items, n_items), dtype=np.float32)
    parts = [collaborative]
    if content is not None:
        blended = blend_neighbours(content, collaborative_matrix, content_weight, k)
        parts += [neighbour_table(item_ids, content, "content"), neighbour_table(item_ids, blended, "blended")]
    return ItemNeighbours(pd.concat(parts, ignore_index=True), search_seconds)
