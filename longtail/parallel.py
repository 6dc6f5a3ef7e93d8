"""Per-dataset work side by side: one helper shared by every step that handles its datasets independently."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from longtail.validation import check_positive_int

Key = TypeVar("Key", bound=Hashable)
Result = TypeVar("Result")


def run_largest_first(
    jobs: Mapping[Key, Callable[[], Result]], sizes: Mapping[Key, float], workers: int
) -> dict[Key, Future[Result]]:
    """Call every job of ``jobs`` in ``workers`` threads, those of the largest ``sizes`` first, and return once all
    have finished: their futures in the order of ``jobs`` (``future.result()`` gives what the job returned, or
    raises what it raised; one job's error stops no other).

    Threads rather than processes: they suit work whose heavy kernels (BLAS, sparse products, FAISS, DuckDB)
    release the GIL, and they share the inputs without copying them. Largest first, so that the longest job does
    not start last and leave a core idle at the end.
    """
    workers = check_positive_int(workers, "workers")
    missing = [key for key in jobs if key not in sizes]
    if missing:
        raise ValueError(f"sizes lacks the job(s) {missing}")
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {key: pool.submit(jobs[key]) for key in sorted(jobs, key=lambda key: -sizes[key])}
    return {key: futures[key] for key in jobs}
