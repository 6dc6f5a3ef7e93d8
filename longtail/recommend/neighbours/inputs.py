"""Input checks shared by the neighbour searches and the neighbour-list conversions of this package."""

from __future__ import annotations

import numpy as np

from longtail.validation import check_positive_int


def query_plan(vectors, k, queries, rows, exclude_self: bool):
    """Validated inputs of a search: ``(base, k, query_source, rows, self_ids, n_queries)``. Queries are
    ``query_source[rows]`` (all of it when rows is None); ``self_ids[i]`` is query i's own index in the base, or
    ``self_ids`` is None when nothing is excluded; ``k`` is cut to the number of candidates."""
    base = check_vectors(vectors, "vectors")
    k = check_positive_int(k, "k")
    self_ids = None
    if queries is not None:
        if rows is not None:
            raise ValueError("pass either queries or rows, not both")
        query_source = check_vectors(queries, "queries", allow_empty=True)
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


def check_vectors(vectors, name: str, *, allow_empty: bool = False) -> np.ndarray:
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
