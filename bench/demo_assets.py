"""Where `longtail demo` spends its time: wall seconds per asset step, read from the Dagster instance of a finished
demo, against a baseline demo's instance in the same report, printed as a ratio.

    # run a fresh demo on the shared data, then report it alone
    LONGTAIL_DATA_DIR=../shared/data .venv/bin/python bench/demo_assets.py
    # report an existing LONGTAIL_HOME (a finished demo) against a baseline one
    .venv/bin/python bench/demo_assets.py --home /tmp/after_home --baseline-home /tmp/before_home

A step's time is from its start to its end event in the run's event log (the asset body, its checks and its I/O);
"runs" adds what Dagster spends around the steps (run start-up, partition bookkeeping). The demo's wall time is
from its first run's start to its last run's end, so ingestion before the first run is not in it.

When it runs the demo itself, it also samples the machine's busy cores (``/proc/stat``, every half second; run it
on an otherwise idle machine) and prints each step's mean, and the demo's core-seconds: divided by the number of
cores, the least wall time any ordering of the same work could take on this machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

SAMPLE_SECONDS = 0.5


def step_seconds(home: Path) -> tuple[dict[str, float], float, float, list[tuple[str, float, float]]]:
    """Per step key the summed seconds over every run in ``home``'s instance, the seconds of the runs outside their
    steps, the wall seconds from the first run's start to the last run's end, and every step's ``(key, start,
    end)`` in Unix seconds."""
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    steps: dict[str, float] = defaultdict(float)
    intervals = []
    outside = 0.0
    with dg.DagsterInstance.get() as instance:
        records = instance.get_run_records()
        if not records:
            raise SystemExit(f"no runs in the Dagster instance under {home / 'dagster'}")
        for record in records:
            run_seconds = (record.end_time or record.start_time) - record.start_time
            in_steps = 0.0
            for stats in instance.get_run_step_stats(record.dagster_run.run_id):
                if stats.start_time and stats.end_time:
                    steps[stats.step_key] += stats.end_time - stats.start_time
                    in_steps += stats.end_time - stats.start_time
                    intervals.append((stats.step_key, stats.start_time, stats.end_time))
            outside += max(run_seconds - in_steps, 0.0)
        wall = max(r.end_time or r.start_time for r in records) - min(r.start_time for r in records)
    return dict(steps), outside, wall, intervals


def run_demo(data_dir: str) -> tuple[Path, list[tuple[float, float]]]:
    """A fresh demo's ``LONGTAIL_HOME``, and the machine's busy cores while it ran: ``(time, cores)`` samples."""
    home = Path(tempfile.mkdtemp(prefix="longtail_demo_")) / "home"
    environment = {**os.environ, "LONGTAIL_HOME": str(home)}
    longtail = Path(sys.executable).with_name("longtail")
    demo = subprocess.Popen([str(longtail), "demo", "--data-dir", data_dir], env=environment)
    samples, before = [], _cpu_ticks()
    while demo.poll() is None:
        time.sleep(SAMPLE_SECONDS)
        after = _cpu_ticks()
        busy, total = after[0] - before[0], after[1] - before[1]
        samples.append((time.time(), (os.cpu_count() or 1) * busy / total if total else 0.0))
        before = after
    if demo.returncode:
        raise SystemExit(f"longtail demo failed ({demo.returncode})")
    return home, samples


def _cpu_ticks() -> tuple[int, int]:
    """``(busy, total)`` clock ticks of all cores since boot, from the first line of ``/proc/stat``."""
    with open("/proc/stat") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:9]]
    idle = ticks[3] + ticks[4]  # idle and iowait
    return sum(ticks) - idle, sum(ticks)


def mean_cores(samples: list[tuple[float, float]], start: float, end: float) -> float | None:
    """Mean busy cores of the samples taken between ``start`` and ``end`` (each covers the half second before it)."""
    inside = [cores for moment, cores in samples if start < moment <= end + SAMPLE_SECONDS]
    return sum(inside) / len(inside) if inside else None


def report(home: Path, baseline: Path | None, samples: list[tuple[float, float]] | None = None) -> None:
    steps, outside, wall, intervals = step_seconds(home)
    base_steps, base_outside, base_wall, _ = step_seconds(baseline) if baseline else ({}, 0.0, 0.0, [])
    rows = sorted(set(steps) | set(base_steps), key=lambda key: -max(steps.get(key, 0), base_steps.get(key, 0)))
    rows = [(key, steps.get(key), base_steps.get(key)) for key in rows]
    rows += [("(runs, outside steps)", outside, base_outside), ("demo wall, first run to last", wall, base_wall)]
    cores = {key: mean_cores(samples, start, end) for key, start, end in intervals} if samples else {}
    width = max(len(name) for name, _, _ in rows)
    print(
        f"{'step':<{width}}  {'seconds':>8}"
        + (f"  {'baseline':>8}  {'ratio':>6}" if baseline else "")
        + (f"  {'cores':>5}" if samples else "")
    )
    for name, seconds, base in rows:
        line = f"{name:<{width}}  {_seconds(seconds):>8}"
        if baseline:
            ratio = f"{seconds / base:.2f}x" if seconds and base else "-"
            line += f"  {_seconds(base):>8}  {ratio:>6}"
        if samples:
            line += f"  {cores[name]:>5.2f}" if cores.get(name) is not None else f"  {'-':>5}"
        print(line)
    if samples:
        first, last = min(start for _, start, _ in intervals), max(end for _, _, end in intervals)
        busy = mean_cores(samples, first, last) or 0.0
        n_cores = os.cpu_count() or 1
        print(
            f"busy cores over the runs: {busy:.2f} of {n_cores} on average, {busy * (last - first):.0f} core-seconds; "
            f"on {n_cores} cores the same work takes at least {busy * (last - first) / n_cores:.0f} s"
        )


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="a LONGTAIL_HOME holding a finished demo (default: run one now)")
    parser.add_argument("--baseline-home", type=Path, help="a LONGTAIL_HOME holding the baseline's finished demo")
    args = parser.parse_args()
    if args.home is None:
        data_dir = os.environ.get("LONGTAIL_DATA_DIR")
        if not data_dir:
            raise SystemExit("set LONGTAIL_DATA_DIR to the shared data folder, or pass --home")
        args.home, samples = run_demo(data_dir)
        report(args.home, args.baseline_home, samples)
    else:
        report(args.home, args.baseline_home)


if __name__ == "__main__":
    main()
