"""Exact inner-product nearest neighbours, in tiles with torch (CPU or CUDA)."""

from __future__ import annotations

import numpy as np

from longtail.recommend.neighbours.inputs import query_plan
from longtail.validation import check_positive_int


def exact_top_k(
    vectors: np.ndarray,
    k: int,
    *,
    queries: np.ndarray | None = None,
    rows: np.ndarray | None = None,
    block_size: int = 4096,
    base_block_size: int = 32_768,
    device: str = "cpu",
    exclude_self: bool = True,
    half: bool | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact inner-product top-``k`` neighbours, computed with torch in tiles.

    Scores are ``query @ vector`` inner products: cosine similarities when the rows are L2-normalised.

    Parameters
    ----------
    vectors : float array of shape (n_items, dim)
        The base: every row is a candidate neighbour. Must be finite.
    k : int >= 1
        Neighbours per query, clamped to the number of candidates (``n_items - 1`` with self exclusion).
    queries : float array of shape (n_queries, dim), optional
        External query vectors (for example new items). Self exclusion does not apply to them.
    rows : 1-D int array, optional
        Search only these rows of ``vectors`` (default: every row). Exclusive with ``queries``.
    block_size, base_block_size : int
        Queries and base rows per tile: a tile's scores are a ``block_size x base_block_size`` matrix
        (512 MiB in float32 at the defaults, half that in float16), so working memory does not grow with
        ``n_items``. Each tile keeps its ``k`` best per query, merged into the running top-``k``.
    device : str
        Torch device, ``"cpu"`` or ``"cuda"`` (``"cuda:1"``...). The base is copied there once.
    exclude_self : bool
        When the queries are rows of ``vectors`` (``queries`` is None), row ``i`` is never its own
        neighbour; identical duplicates of it still are.
    half : bool, optional
        Compute in float16: the default on CUDA (tensor cores, half the memory; scores accurate to about 1e-3,
        so near-ties may swap places), float32 otherwise (float16 matrix products are slow on CPUs). Requires
        scores within float16's range, which L2-normalised rows guarantee.

    Returns
    -------
    indices : int64 array of shape (n_queries, min(k, candidates))
    scores : float32 array of the same shape, best first.
    """
    import torch

    block_size = check_positive_int(block_size, "block_size")
    base_block_size = check_positive_int(base_block_size, "base_block_size")
    base, k, query_source, rows, self_ids, n_queries = query_plan(vectors, k, queries, rows, exclude_self)
    torch_device = torch.device(device)
    half = torch_device.type == "cuda" if half is None else bool(half)
    if half:
        _check_half_range(base, query_source)
    dtype = torch.float16 if half else torch.float32

    indices = np.full((n_queries, k), -1, dtype=np.int64)
    scores = np.zeros((n_queries, k), dtype=np.float32)
    if k == 0 or n_queries == 0:
        return indices, scores
    base_t = torch.from_numpy(base).to(torch_device, dtype)
    with torch.inference_mode():
        for start in range(0, n_queries, block_size):
            stop = min(start + block_size, n_queries)
            block = query_source[start:stop] if rows is None else query_source[rows[start:stop]]
            block_t = torch.from_numpy(block).to(torch_device, dtype)
            block_self = None if self_ids is None else torch.from_numpy(self_ids[start:stop]).to(torch_device)
            best_scores, best_indices = _tiled_top_k(block_t, base_t, k, base_block_size, block_self)
            indices[start:stop] = best_indices.cpu().numpy()
            scores[start:stop] = best_scores.float().cpu().numpy()
    return indices, scores


def _tiled_top_k(block, base, k: int, base_block_size: int, self_ids):
    """Top-``k`` of ``block @ base.T`` per row, one ``base_block_size`` slice of the base at a time."""
    import torch

    best_scores = best_indices = None
    for start in range(0, base.shape[0], base_block_size):
        stop = min(start + base_block_size, base.shape[0])
        tile = block @ base[start:stop].T
        if self_ids is not None:
            local = self_ids - start
            hit = (local >= 0) & (local < stop - start)
            tile[hit.nonzero().ravel(), local[hit]] = float("-inf")
        tile_scores, tile_indices = torch.topk(tile, min(k, stop - start), dim=1)
        # Free the tile now: `tile = ...` in the next iteration would otherwise hold two tiles at once.
        del tile
        tile_indices += start
        if best_scores is not None:
            tile_scores = torch.cat([best_scores, tile_scores], dim=1)
            tile_indices = torch.cat([best_indices, tile_indices], dim=1)
            tile_scores, position = torch.topk(tile_scores, min(k, tile_scores.shape[1]), dim=1)
            tile_indices = tile_indices.gather(1, position)
        best_scores, best_indices = tile_scores, tile_indices
    return best_scores, best_indices


def _check_half_range(base: np.ndarray, queries: np.ndarray) -> None:
    """Reject inputs whose inner products could overflow float16, by the bound |q . v| <= |q| |v|."""
    base_norm = np.sqrt(np.einsum("ij,ij->i", base, base).max())
    query_norm = base_norm if queries is base else np.sqrt(np.einsum("ij,ij->i", queries, queries).max(initial=0.0))
    if base_norm * query_norm > np.finfo(np.float16).max:
        raise ValueError("half=True needs |query| * |vector| within float16's range: L2-normalise, or half=False")
