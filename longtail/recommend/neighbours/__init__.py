"""Item-to-item nearest neighbours: content (embedding) and collaborative (co-interaction) similarity.

Every search returns the same pair of arrays, one row per query item, best neighbour first:

- ``indices``: ``int64`` of shape ``(n_queries, k)``, neighbour item indices; ``-1`` marks a missing neighbour
  (no co-interacting item, or fewer results from an approximate index) and such padding always fills the
  end of a row;
- ``scores``: ``float32`` of the same shape, the similarity of each neighbour (``0`` where the index is -1).

``k`` is clamped to the number of candidates (``n_items - 1`` when an item may not be its own neighbour), so
a row never needs more than ``n_items - 1`` columns. Memory is ``O(n_items * k)`` for the results plus a
bounded working block: no function here ever holds an ``n_items x n_items`` matrix.

Where each search lives: ``exact`` (tiled torch matrix products, CPU or CUDA), ``approximate`` (FAISS flat, IVF
and HNSW indexes, and their recall against an exact search), ``collaborative`` (cosine of co-interactions);
``similarity`` turns neighbour lists into sparse similarity matrices and table rows (and stored rows back into
a matrix) and blends two sources;
``search.top_k_similarity`` chooses between exact and FAISS search by catalogue size and device; ``sources``
gives every item its neighbours from each source.

``torch`` and ``faiss`` are imported inside the functions that need them: importing this package is cheap
and works where only one of them is installed.
"""

from __future__ import annotations

from longtail.recommend.neighbours.approximate import INDEX_KINDS, build_faiss_index, faiss_top_k, recall_against
from longtail.recommend.neighbours.collaborative import collaborative_top_k, rp3beta_top_k
from longtail.recommend.neighbours.exact import exact_top_k
from longtail.recommend.neighbours.search import top_k_similarity
from longtail.recommend.neighbours.similarity import (
    SOURCES,
    blend_neighbours,
    neighbour_matrix,
    neighbour_table,
    neighbours_to_csr,
)
from longtail.recommend.neighbours.sources import ItemNeighbours, item_neighbours

__all__ = [
    "INDEX_KINDS",
    "ItemNeighbours",
    "SOURCES",
    "blend_neighbours",
    "build_faiss_index",
    "collaborative_top_k",
    "exact_top_k",
    "faiss_top_k",
    "item_neighbours",
    "neighbour_matrix",
    "neighbour_table",
    "neighbours_to_csr",
    "recall_against",
    "rp3beta_top_k",
    "top_k_similarity",
]
