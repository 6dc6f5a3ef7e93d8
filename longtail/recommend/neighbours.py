"""Item-to-item nearest neighbours: content (embedding) and collaborative (co-interaction) similarity.

Every search returns the same pair of arrays, one row per query item, best neighbour first:

- ``indices``: ``int64`` of shape ``(n_queries, k)``, neighbour item indices; ``-1`` marks a missing neighbour
  (no co-interacting item, or fewer results from an approximate index) and such padding always fills the
  end of a row;
- ``scores``: ``float32`` of the same shape, the similarity of each neighbour (``0`` where the index is -1).

``k`` is clamped to the number of candidates (``n_items - 1`` when an item may not be its own neighbour), so
a row never needs more than ``n_items - 1`` columns. Memory is ``O(n_items * k)`` for the results plus a
bounded working block: no function here ever holds an ``n_items x n_items`` matrix.

``torch`` and ``faiss`` are imported inside the functions that need them: importing this module is cheap
and works where only one of them is installed.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import scipy.sparse as sp

from longtail.validation import check_positive_int

INDEX_KINDS = ("auto", "flat", "ivf", "hnsw")
SOURCES = ("content", "collaborative", "blended")
# Queries per FAISS search call: bounds the copy of the query vectors taken for ``rows`` and the (block, k + 1)
# temporaries, whatever the number of queries.
_FAISS_QUERY_BLOCK = 65_536


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
    base, k, query_source, rows, self_ids, n_queries = _query_plan(vectors, k, queries, rows, exclude_self)
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


def build_faiss_index(
    vectors: np.ndarray,
    *,
    index: str = "auto",
    flat_max_items: int = 50_000,
    nlist: int | None = None,
    train_size: int | None = None,
    hnsw_m: int = 32,
    ef_construction: int = 80,
    seed: int = 0,
):
    """A FAISS inner-product index holding ``vectors`` (float, shape ``(n_items, dim)``), ready to search.

    ``index``:

    - ``"flat"``: brute force (exact), fine up to some tens of thousands of items;
    - ``"ivf"``: ``IVF{nlist},Flat``: k-means cells, a query scans the ``nprobe`` nearest cells. ``nlist``
      defaults to ``4 * sqrt(n_items)``, capped at ``n_items // 39`` (FAISS wants 39 training points per
      cell); k-means (10 iterations) trains on ``train_size`` rows drawn with ``seed`` (default
      ``min(n_items, 40 * nlist)``), which bounds the training cost at large ``n_items``. The index stores a
      copy of the vectors.
    - ``"hnsw"``: ``IndexHNSWFlat`` with ``hnsw_m`` links per node; the highest recall per query time but
      the slowest to build (insertion is about ``ef_construction`` distance computations per link level).
    - ``"auto"``: ``"flat"`` up to ``flat_max_items`` items, ``"ivf"`` beyond.
    """
    import faiss

    base = _check_vectors(vectors, "vectors")
    if index not in INDEX_KINDS:
        raise ValueError(f"index must be one of {INDEX_KINDS}, got {index!r}")
    n_items, dim = base.shape
    if index == "auto":
        index = "flat" if n_items <= check_positive_int(flat_max_items, "flat_max_items") else "ivf"
    if index == "flat":
        built = faiss.IndexFlatIP(dim)
    elif index == "hnsw":
        built = faiss.IndexHNSWFlat(dim, check_positive_int(hnsw_m, "hnsw_m"), faiss.METRIC_INNER_PRODUCT)
        built.hnsw.efConstruction = check_positive_int(ef_construction, "ef_construction")
    else:
        nlist = max(1, min(round(4 * math.sqrt(n_items)), n_items // 39)) if nlist is None else nlist
        nlist = check_positive_int(nlist, "nlist")
        if nlist > n_items:
            raise ValueError(f"nlist must be <= the number of vectors ({n_items}), got {nlist}")
        train_size = min(n_items, 40 * nlist) if train_size is None else train_size
        train_size = min(check_positive_int(train_size, "train_size"), n_items)
        if train_size < nlist:
            raise ValueError(f"train_size must be >= nlist ({nlist}), got {train_size}")
        built = faiss.index_factory(dim, f"IVF{nlist},Flat", faiss.METRIC_INNER_PRODUCT)
        clustering = faiss.extract_index_ivf(built).cp
        clustering.seed = seed
        # Cells need to be balanced, not optimal: recall at a given nprobe was the same after 10 iterations as
        # after FAISS's default 25 on the clustered data of bench/similarity_scaling.py, at 40% of the cost.
        clustering.niter = 10
        sample = np.sort(np.random.default_rng(seed).choice(n_items, size=train_size, replace=False))
        built.train(base[sample])
    built.add(base)
    return built


def faiss_top_k(
    vectors: np.ndarray,
    k: int,
    *,
    index="auto",
    queries: np.ndarray | None = None,
    rows: np.ndarray | None = None,
    exclude_self: bool = True,
    nprobe: int = 32,
    ef_search: int = 128,
) -> tuple[np.ndarray, np.ndarray]:
    """Approximate inner-product top-``k`` neighbours with FAISS; same arguments and results as ``exact_top_k``.

    ``index`` is an index kind for ``build_faiss_index`` (built here with its defaults) or an index it
    already built over ``vectors`` (to choose the build options, or to time building and searching apart).
    ``nprobe`` (cells scanned per query, IVF) and ``ef_search`` (candidate list length, HNSW, at least
    ``k + 1``) trade speed for recall at search time; a flat index ignores both.

    With self exclusion each query asks for ``k + 1`` neighbours and drops itself, or its worst neighbour when
    the index did not return it. An approximate index can return fewer than ``k`` neighbours (an IVF query
    whose scanned cells hold fewer items): the row is then padded with index -1 and score 0.
    """
    import faiss

    base, k, query_source, rows, self_ids, n_queries = _query_plan(vectors, k, queries, rows, exclude_self)
    n_items = base.shape[0]
    built = build_faiss_index(base, index=index) if isinstance(index, str) else index
    if built.ntotal != n_items or built.d != base.shape[1]:
        raise ValueError(f"index holds {built.ntotal} vectors of dim {built.d}; vectors has shape {base.shape}")
    if built.metric_type != faiss.METRIC_INNER_PRODUCT:
        raise ValueError("index must use the inner-product metric (faiss.METRIC_INNER_PRODUCT)")
    asked = k + (self_ids is not None)
    if faiss.try_extract_index_ivf(built) is not None:
        params = faiss.SearchParametersIVF(nprobe=check_positive_int(nprobe, "nprobe"))
    elif isinstance(built, faiss.IndexHNSW):
        params = faiss.SearchParametersHNSW(efSearch=max(check_positive_int(ef_search, "ef_search"), asked))
    else:
        params = None

    indices = np.full((n_queries, k), -1, dtype=np.int64)
    scores = np.zeros((n_queries, k), dtype=np.float32)
    if k == 0 or n_queries == 0:
        return indices, scores
    for start in range(0, n_queries, _FAISS_QUERY_BLOCK):
        stop = min(start + _FAISS_QUERY_BLOCK, n_queries)
        block = query_source[start:stop] if rows is None else query_source[rows[start:stop]]
        found_scores, found = built.search(block, asked, params=params)
        if self_ids is not None:
            found_scores, found = _drop_self(found_scores, found, self_ids[start:stop])
        missing = found < 0
        found_scores[missing] = 0.0
        indices[start:stop] = found
        scores[start:stop] = found_scores
    return indices, scores


def _drop_self(scores: np.ndarray, indices: np.ndarray, self_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Remove one column per row: the query itself where found, else the last (worst) neighbour."""
    drop = indices == self_ids[:, None]
    drop[~drop.any(axis=1), -1] = True
    keep = ~drop
    shape = (len(indices), indices.shape[1] - 1)
    return scores[keep].reshape(shape), indices[keep].reshape(shape)


def recall_against(exact_indices: np.ndarray, approx_indices: np.ndarray) -> float:
    """Mean share of each query's exact neighbours that the approximate search found (recall@k).

    Both are ``(n_queries, k)`` integer arrays for the same queries (columns may differ in number); -1 entries
    are ignored and queries without any exact neighbour are left out of the mean. Raises ``ValueError`` when
    no query has one.
    """
    exact = np.asarray(exact_indices)
    approx = np.asarray(approx_indices)
    for name, array in (("exact_indices", exact), ("approx_indices", approx)):
        if array.ndim != 2 or not np.issubdtype(array.dtype, np.integer):
            raise ValueError(f"{name} must be a 2-D integer array, got {array.dtype} {array.shape}")
    if len(exact) != len(approx):
        raise ValueError(f"exact_indices has {len(exact)} rows but approx_indices has {len(approx)}")
    # One key per (query, neighbour) pair, so a single sorted membership test covers every row at once.
    width = int(max(exact.max(initial=-1), approx.max(initial=-1))) + 2
    row = np.arange(len(exact), dtype=np.int64)[:, None] * width
    valid = exact >= 0
    found = np.isin(row + exact + 1, row + approx + 1) & valid
    per_row = valid.sum(axis=1)
    if not per_row.any():
        raise ValueError("exact_indices holds no neighbour to compare against")
    return float(np.mean(found.sum(axis=1)[per_row > 0] / per_row[per_row > 0]))


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
    vectors = _check_vectors(vectors, "vectors")
    if method == "auto":
        small = len(vectors) <= check_positive_int(exact_max_items, "exact_max_items")
        method = "exact" if small or device.startswith("cuda") else "faiss"
    if method == "exact":
        return exact_top_k(vectors, k, block_size=block_size, device=device, half=half)
    return faiss_top_k(vectors, k, index=faiss_index)


def collaborative_top_k(X, k: int, *, shrink: float = 0.0, block_size: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Each item's ``k`` most similar other items by cosine over the users who interacted with them.

    ``X`` is a ``scipy.sparse`` ``(n_users, n_items)`` implicit-feedback matrix, binarised first (see
    ``longtail.recommend.models.check_interactions``). ``sim(i, j) = |U_i & U_j| / (sqrt(|U_i|) * sqrt(|U_j|) +
    shrink)`` where ``U_i`` is the set of users of item ``i``; ``shrink >= 0`` damps similarities resting on
    few users. Only positive similarities count as neighbours: an item without users, or sharing users with
    fewer than ``k`` items, has its row padded with index -1 and score 0. Ties are broken by the lower item
    index, except at the k-th place where ``argpartition`` decides.

    Computed ``block_size`` items at a time: working memory is about ``block_size * n_items`` floats, never
    ``n_items ** 2``. Returns ``(indices, scores)`` of shape ``(n_items, min(k, n_items - 1))``.
    """
    from longtail.recommend.matrices import check_interactions

    X = check_interactions(X)
    k = check_positive_int(k, "k")
    if not np.isfinite(shrink) or shrink < 0:
        raise ValueError(f"shrink must be a finite number >= 0, got {shrink!r}")
    block_size = check_positive_int(block_size, "block_size")
    n_items = X.shape[1]
    k = min(k, n_items - 1)
    indices = np.full((n_items, k), -1, dtype=np.int64)
    scores = np.zeros((n_items, k), dtype=np.float32)
    if k == 0:
        return indices, scores
    item_users = X.T.tocsr()
    norms = np.sqrt(np.asarray(item_users.sum(axis=1), dtype=np.float32).ravel())
    for start in range(0, n_items, block_size):
        stop = min(start + block_size, n_items)
        sims = (item_users[start:stop] @ X).toarray()
        denom = norms[start:stop, None] * norms[None, :] + np.float32(shrink)
        np.divide(sims, denom, out=sims, where=denom > 0)
        sims[np.arange(stop - start), np.arange(start, stop)] = 0.0
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        top_scores = np.take_along_axis(sims, top, axis=1)
        order = np.lexsort((top, -top_scores), axis=1)
        top = np.take_along_axis(top, order, axis=1)
        top_scores = np.take_along_axis(top_scores, order, axis=1)
        top[top_scores <= 0] = -1
        top_scores[top_scores <= 0] = 0.0
        indices[start:stop] = top
        scores[start:stop] = top_scores
    return indices, scores


def neighbours_to_csr(indices: np.ndarray, scores: np.ndarray, n_items: int) -> sp.csr_matrix:
    """Neighbour lists as a sparse similarity matrix: ``S[i, indices[i, j]] = scores[i, j]``.

    ``indices`` (int, values in ``[-1, n_items)``) and ``scores`` have shape ``(n_items, k)``. Missing
    neighbours (-1) and non-positive scores are dropped: a recommender sums similarities over a user's items
    (``X @ S``), where a negative one would count against an item rather than for it. Returns a ``float32``
    ``csr_matrix`` of shape ``(n_items, n_items)`` with sorted indices; rows are not symmetric.
    """
    n_items = check_positive_int(n_items, "n_items")
    indices, scores = _check_neighbours(indices, scores, n_items)
    keep = (indices >= 0) & (scores > 0)
    indptr = np.concatenate([[0], np.cumsum(keep.sum(axis=1))])
    similarity = sp.csr_matrix(
        (scores[keep].astype(np.float32), indices[keep], indptr), shape=(n_items, n_items), dtype=np.float32
    )
    similarity.sort_indices()
    return similarity


def blend_neighbours(content, collaborative, weight: float, k: int) -> sp.csr_matrix:
    """``weight * content + (1 - weight) * collaborative``, each row cut back to its ``k`` best positive entries.

    Both inputs are ``(n_items, n_items)`` sparse similarity matrices on the same item indices, as made by
    ``neighbours_to_csr``. They are added without rescaling because both are cosines of non-negative kept
    values in (0, 1]: content cosine of L2-normalised embeddings (non-positive ones dropped) and collaborative
    cosine of binarised interactions. Their spreads differ (embedding neighbours often score 0.5-0.9,
    co-interaction neighbours 0.05-0.3), which ``weight`` (in [0, 1]) absorbs: tune it on validation data. An
    item missing from one list counts as 0 there, so items in both lists rank higher. Ties at the k-th place
    keep the lower item index. Returns a ``float32`` ``csr_matrix``.
    """
    if not (np.isfinite(weight) and 0.0 <= weight <= 1.0):
        raise ValueError(f"weight must be a number in [0, 1], got {weight!r}")
    k = check_positive_int(k, "k")
    for name, matrix in (("content", content), ("collaborative", collaborative)):
        if not sp.issparse(matrix) or matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
            raise ValueError(f"{name} must be a square scipy.sparse similarity matrix, got {type(matrix).__name__}")
    if content.shape != collaborative.shape:
        raise ValueError(f"content has shape {content.shape} but collaborative has {collaborative.shape}")
    blended = sp.csr_matrix(weight * content + (1.0 - weight) * collaborative, dtype=np.float32)
    rows, cols, values, rank = _ranked_entries(blended)
    keep = (rank < k) & (values > 0)
    truncated = sp.csr_matrix((values[keep], (rows[keep], cols[keep])), shape=blended.shape, dtype=np.float32)
    truncated.sort_indices()
    return truncated


def neighbour_table(item_ids: np.ndarray, similarity, source: str) -> pd.DataFrame:
    """Neighbour lists as rows ``item_id, neighbour_id, rank, score, source`` for storage and inspection.

    ``item_ids`` (1-D, any dtype, length ``n_items``) maps item indices to ids. ``similarity`` is either a
    square sparse matrix (every stored non-zero entry is a neighbour, ranked by score, ties by lower index)
    or an ``(indices, scores)`` pair as returned by the searches here (-1 entries are left out, the order
    kept). ``source`` is ``"content"``, ``"collaborative"`` or ``"blended"``. Columns: ``item_id`` and
    ``neighbour_id`` (the dtype of ``item_ids``), ``rank`` (``int32``, 1 = most similar), ``score``
    (``float32``), ``source`` (str); sorted by item then rank.
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    item_ids = np.asarray(item_ids)
    if item_ids.ndim != 1:
        raise ValueError(f"item_ids must be 1-D, got shape {item_ids.shape}")
    n_items = len(item_ids)
    if sp.issparse(similarity):
        if similarity.shape != (n_items, n_items):
            raise ValueError(f"similarity has shape {similarity.shape}, expected ({n_items}, {n_items})")
        rows, cols, values, rank = _ranked_entries(sp.csr_matrix(similarity))
    else:
        if not (isinstance(similarity, tuple) and len(similarity) == 2):
            raise ValueError("similarity must be a scipy.sparse matrix or an (indices, scores) pair")
        indices, scores = _check_neighbours(*similarity, n_items)
        valid = indices >= 0
        rows = np.nonzero(valid)[0]
        cols, values = indices[valid], scores[valid]
        rank = np.cumsum(valid, axis=1)[valid] - 1
    return pd.DataFrame(
        {
            "item_id": item_ids[rows],
            "neighbour_id": item_ids[cols],
            "rank": (rank + 1).astype(np.int32),
            "score": values.astype(np.float32),
            "source": source,
        }
    )


def _ranked_entries(matrix: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Non-zero entries sorted by row, then score (high first), then column, with their 0-based rank in the row."""
    matrix = matrix.copy()
    matrix.sum_duplicates()
    matrix.eliminate_zeros()
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    order = np.lexsort((matrix.indices, -matrix.data, rows))
    rows, cols, values = rows[order], matrix.indices[order].astype(np.int64), matrix.data[order]
    rank = np.arange(len(rows)) - matrix.indptr[rows]
    return rows, cols, values, rank


def _query_plan(vectors, k, queries, rows, exclude_self: bool):
    """Validated inputs of a search: ``(base, k, query_source, rows, self_ids, n_queries)``. Queries are
    ``query_source[rows]`` (all of it when rows is None); ``self_ids[i]`` is query i's own index in the base, or
    ``self_ids`` is None when nothing is excluded; ``k`` is cut to the number of candidates."""
    base = _check_vectors(vectors, "vectors")
    k = check_positive_int(k, "k")
    self_ids = None
    if queries is not None:
        if rows is not None:
            raise ValueError("pass either queries or rows, not both")
        query_source = _check_vectors(queries, "queries", allow_empty=True)
        if query_source.shape[1] != base.shape[1]:
            raise ValueError(f"queries have dim {query_source.shape[1]} but vectors have dim {base.shape[1]}")
    else:
        query_source = base
        if rows is not None:
            rows = np.asarray(rows)
            if rows.ndim != 1 or not (np.issubdtype(rows.dtype, np.integer) or rows.size == 0):
                raise ValueError(f"rows must be a 1-D array of integer row indices, got {rows.dtype} {rows.shape}")
            rows = rows.astype(np.int64, copy=False)
            bad = rows[(rows < 0) | (rows >= base.shape[0])]
            if bad.size:
                raise ValueError(f"rows must be in [0, {base.shape[0]}), got {bad[:5].tolist()}")
        if exclude_self:
            self_ids = np.arange(base.shape[0], dtype=np.int64) if rows is None else rows
    k = min(k, base.shape[0] - (self_ids is not None))
    n_queries = len(query_source) if rows is None else len(rows)
    return base, k, query_source, rows, self_ids, n_queries


def _check_vectors(vectors, name: str, *, allow_empty: bool = False) -> np.ndarray:
    """A C-contiguous ``float32`` view or copy of a finite 2-D float array."""
    array = np.asarray(vectors)
    if array.ndim != 2 or not np.issubdtype(array.dtype, np.floating):
        raise ValueError(f"{name} must be a 2-D float array (n, dim), got {array.dtype} {array.shape}")
    if array.shape[1] < 1 or (array.shape[0] < 1 and not allow_empty):
        raise ValueError(f"{name} must have at least one row and one column, got shape {array.shape}")
    with np.errstate(over="ignore"):  # values beyond float32's range become inf, reported just below
        array = np.ascontiguousarray(array, dtype=np.float32)
    # A float64 sum of float32 values cannot overflow, so it is finite exactly when every value is; unlike
    # np.isfinite(array).all() it needs no (n, dim) temporary.
    if not np.isfinite(array.sum(dtype=np.float64)):
        raise ValueError(f"{name} contains NaN or infinite values (or values beyond float32's range)")
    return array


def _check_half_range(base: np.ndarray, queries: np.ndarray) -> None:
    """Reject inputs whose inner products could overflow float16, by the bound |q . v| <= |q| |v|."""
    base_norm = np.sqrt(np.einsum("ij,ij->i", base, base).max())
    query_norm = base_norm if queries is base else np.sqrt(np.einsum("ij,ij->i", queries, queries).max(initial=0.0))
    if base_norm * query_norm > np.finfo(np.float16).max:
        raise ValueError("half=True needs |query| * |vector| within float16's range: L2-normalise, or half=False")


def _check_neighbours(indices, scores, n_items: int) -> tuple[np.ndarray, np.ndarray]:
    indices = np.asarray(indices)
    scores = np.asarray(scores)
    if indices.ndim != 2 or not (np.issubdtype(indices.dtype, np.integer) or indices.size == 0):
        raise ValueError(f"indices must be a 2-D integer array, got {indices.dtype} {indices.shape}")
    indices = indices.astype(np.int64, copy=False)
    if scores.shape != indices.shape:
        raise ValueError(f"scores has shape {scores.shape} but indices has {indices.shape}")
    if indices.shape[0] != n_items:
        raise ValueError(f"indices has {indices.shape[0]} rows, expected one per item ({n_items})")
    if indices.size and (indices.min() < -1 or indices.max() >= n_items):
        raise ValueError(f"indices must be in [-1, {n_items})")
    return indices, scores
