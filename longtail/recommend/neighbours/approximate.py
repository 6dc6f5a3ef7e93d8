"""Approximate inner-product nearest neighbours with FAISS indexes (flat, IVF, HNSW), and their recall
against an exact search."""

from __future__ import annotations

import math

import numpy as np

from longtail.recommend.neighbours.inputs import check_vectors, query_plan
from longtail.validation import check_positive_int

INDEX_KINDS = ("auto", "flat", "ivf", "hnsw")
# Queries per FAISS search call: bounds the copy of the query vectors taken for ``rows`` and the (block, k + 1)
# temporaries, whatever the number of queries.
_FAISS_QUERY_BLOCK = 65_536


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

    base = check_vectors(vectors, "vectors")
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

    base, k, query_source, rows, self_ids, n_queries = query_plan(vectors, k, queries, rows, exclude_self)
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
