import subprocess
import sys
import threading

import psutil
import pytest

from longtail.parallel import run_largest_first


def test_one_worker_runs_the_largest_first_and_futures_keep_the_order_of_the_jobs():
    started = []

    def job(name):
        def run():
            started.append(name)
            return name.upper()

        return run

    jobs = {name: job(name) for name in ("small", "large", "medium")}
    futures = run_largest_first(jobs, {"small": 1, "large": 30, "medium": 5}, workers=1)

    assert started == ["large", "medium", "small"]
    assert list(futures) == ["small", "large", "medium"]
    assert [future.result() for future in futures.values()] == ["SMALL", "LARGE", "MEDIUM"]


def test_two_workers_run_jobs_at_the_same_time():
    both_running = threading.Barrier(2, timeout=10)

    def job():
        both_running.wait()  # breaks (and raises) unless the other job runs meanwhile
        return threading.get_ident()

    futures = run_largest_first({"a": job, "b": job}, {"a": 1, "b": 2}, workers=2)

    assert futures["a"].result() != futures["b"].result()


def test_a_failing_job_stops_no_other_and_its_error_comes_back():
    def fails():
        raise ValueError("too little history")

    futures = run_largest_first({"bad": fails, "good": lambda: 42}, {"bad": 2, "good": 1}, workers=1)

    assert futures["good"].result() == 42
    with pytest.raises(ValueError, match="too little history"):
        futures["bad"].result()


def test_every_job_needs_a_size():
    with pytest.raises(ValueError, match=r"sizes lacks the job\(s\) \['b'\]"):
        run_largest_first({"a": lambda: 1, "b": lambda: 2}, {"a": 1}, workers=1)


@pytest.mark.parametrize("workers", [0, -1, 1.5, True])
def test_workers_must_be_a_positive_integer(workers):
    with pytest.raises(ValueError, match="workers"):
        run_largest_first({}, {}, workers=workers)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_a_pool_worker_dies_with_the_process_that_started_it():
    # The process that plans demand (a run worker, `longtail materialize`) killed mid-plan: its workers stop too.
    script = (
        "import os, time\n"
        "from longtail.parallel import worker_pool\n"
        "with worker_pool(1) as pool:\n"
        "    print(pool.submit(os.getpid).result(), flush=True)\n"
        "    pool.submit(time.sleep, 120).result()\n"
    )
    planner = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    worker = psutil.Process(int(planner.stdout.readline()))
    assert worker.is_running() and worker.ppid() == planner.pid
    planner.kill()
    planner.wait(timeout=10)
    worker.wait(timeout=10)  # psutil.TimeoutExpired if the worker outlives its parent
    assert not worker.is_running()
