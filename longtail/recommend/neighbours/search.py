"""The content search of a whole catalogue: exact or FAISS, by catalogue size and device."""

from __future__ import annotations

import numpy as np

from longtail.recommend.neighbours.approximate import faiss_top_k
from longtail.recommend.neighbours.exact import exact_top_k
from longtail.recommend.neighbours.inputs import check_vectors
from longtail.validation import check_positive_int


def top_k_similarity(
    vectors: np.ndarray,
    k: int,
    *,
    method: str = "auto",
    exact_max_items: int = 200_000,
    device: str = "cpu",
    block_size: int = 4096,
    half: bool | None = None,
    faiss_index: str = "auto",
) -> tuple[np.ndarray, np.ndarray]:
    """Each item's ``k`` most similar other items by inner product (cosine for L2-normalised rows).

    ``method``: ``"exact"`` (``exact_top_k`` on ``device`` with ``block_size`` and ``half``), ``"faiss"``
    (``faiss_top_k`` with a ``faiss_index`` index, on the CPU) or ``"auto"``: exact on a CUDA device or up to
    ``exact_max_items`` items, FAISS beyond. Exact search costs ``n_items**2 * dim`` multiply-adds and each
    doubling of the catalogue quadruples it, whereas an IVF index's build and search grow about as
    ``n_items ** 1.5``: on a shared 2-core CPU (bench/similarity_scaling.py, 384 dims, k=50, two runs) exact
    took 4 to 7 minutes at 100k items (so 15 to 30 at 200k, a few on a 16-core server) against 1.3 to 2.6 for
    IVF, and an estimated 6 to 12 hours at 1M against 30 to 45 minutes. On a GPU the exact search of a million
    items is about 8e14 float16 operations, a minute or less (an estimate), so there exact is always chosen.
    Returns ``(indices, scores)`` as described in the module docstring; an item is never its own neighbour.
    """
    if method not in ("auto", "exact", "faiss"):
        raise ValueError(f"method must be 'auto', 'exact' or 'faiss', got {method!r}")
    vectors = check_vectors(vectors, "vectors")
    if method == "auto":
        small = len(vectors) <= check_positive_int(exact_max_items, "exact_max_items")
        method = "exact" if small or device.startswith("cuda") else "faiss"
    if method == "exact":
        return exact_top_k(vectors, k, block_size=block_size, device=device, half=half)
    return faiss_top_k(vectors, k, index=faiss_index)
