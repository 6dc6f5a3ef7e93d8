"""Per-dataset work side by side: threads for work whose kernels release the GIL (``run_largest_first``), and a
process pool for work that holds it (``worker_pool``)."""

from __future__ import annotations

import os
import sys
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


def worker_pool(workers: int):
    """A ``ProcessPoolExecutor`` of ``workers`` spawned processes (a fork of a process with threads can deadlock)
    that, on Linux, are killed when this process dies: a run worker or ``longtail materialize`` killed mid-plan
    leaves no process computing on. The kill follows the death of the thread that started the pool, so that thread
    must outlive the pool, as a ``with`` block around it ensures."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_die_with_parent, initargs=(os.getpid(),))


def _die_with_parent(parent: int) -> None:
    """Worker initializer: ask Linux for SIGKILL when the parent dies (``prctl(PR_SET_PDEATHSIG)``), and exit at
    once if it already has."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        set_parent_death_signal = 1  # PR_SET_PDEATHSIG, <linux/prctl.h>
        ctypes.CDLL(None, use_errno=True).prctl(set_parent_death_signal, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)
