"""How long ``longtail.demand.plan_demand`` (the ``demand_plans`` asset) takes with the working tree's code against a
baseline revision's, on the weekly demand of the shared real datasets, and whether the two plans are identical.

    # the working tree against the last commit, on Online Retail II
    LONGTAIL_DATA_DIR=../shared/data .venv/bin/python bench/demand_speed.py
    # against an older commit, on both datasets the demo plans
    .venv/bin/python bench/demand_speed.py --baseline 99ee1f1 --dataset uci_online_retail_ii \
        --dataset amazon2018_magazine

The input is built as the demand assets build it: ``weekly_demand`` of the sales (cleaned events and guest sales)
and the cleaned items for the categories (``bench/cleaned_tables.py``, cached in ``build/``); no content neighbours
(the demo's come from the embeddings; they move young items' point forecasts, not the time). The baseline's
``longtail`` package is exported with ``git archive`` into a temporary folder; each version plans in a fresh process
of its own with the asset's defaults, the two taking turns ``--repeat`` times. Every table, report and stock path of
every plan must equal the first one's to the last bit (the script fails otherwise); it prints the best seconds of
each version and the ratio.

Measured on the shared 2-core machine (whose speed drifts by some 15% from one run to the next) against 99ee1f1,
both datasets in one plan, best of 2: uci_online_retail_ii 78.7 s -> 62.8 s, amazon2018_magazine 48.4 s -> 39.5 s,
plan_demand 127.2 s -> 105.8 s wall (1.20x; CPU 126.2 s -> 102.7 s); Online Retail alone, three turns each, 78-87 s
-> 61-65 s; plans identical. What was cut: each ``QuantileGBM`` fitted 8 boosted-tree models, but the 80% interval's
upper tail is the 0.9 level (the same model twice) and the stock policies read the quantiles only (the interval's two
models were fitted for nothing): 117 fits a dataset -> 94; each fit recomputed the features of its 10 cuts, which the
backtest, the forecasts and the replays of a dataset share (168 computations -> 43, memoised on the one panel
``plan_demand`` now builds per dataset); TSB, alone and inside the conformal baseline, ran series by series through
statsforecast (now vectorised over the items, the same numbers). What is left is mostly those 94 fits, no two with the
same data and quantile.

The working tree plans with the asset's ``workers`` (``ASSET_WORKERS``) where its ``plan_demand`` takes them, and
the CPU figure counts the worker processes. 2026-12-03, against 5e08e6d, both datasets, best of 1: plan_demand
64.6 s -> 50.2 s wall (1.29x; CPU 63.8 s -> 69.3 s), each dataset in a process of its own (magazine 25.2 s -> 32.9
s, Online Retail 39.3 s -> 49.1 s side by side); plans identical. Fitting the quantiles in two threads instead gave
0.98x (CPU 65.0 s -> 93.1 s): the boosted trees' Python holds the GIL. 2026-12-03, each large dataset's two stages
(forecasts and stock plan 22.3 s, backtest 14.9 s on Online Retail II) in the two processes, against ff22031, best
of 1: both datasets 39.0 s -> 34.9 s wall (1.12x; CPU 62.4 s -> 63.2 s); Online Retail II alone, which was planned
in the calling process, 38.0 s -> 24.7 s (1.54x; CPU 38.1 s -> 41.0 s); plans identical.
"""

from __future__ import annotations

import argparse
import inspect
import io
import math
import os
import pickle
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ("uci_online_retail_ii",)
# What the child processes report besides the plan: DemandPlan.seconds, and the whole call's wall and CPU seconds.
TIMES = ("seconds", "wall", "cpu")
# The demand_plans asset's default (ForecastConfig.workers).
ASSET_WORKERS = 2


def export_revision(revision: str, folder: Path) -> Path:
    """``longtail/`` of ``revision`` written under ``folder``; returns ``folder``."""
    archive = subprocess.run(["git", "archive", revision, "longtail"], cwd=ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def plan_in_process(code_root: Path, inputs: Path, output: Path) -> dict:
    """The plan of the inputs in ``inputs`` made by the ``longtail`` package under ``code_root``, in a fresh process."""
    env = os.environ | {"PYTHONPATH": str(code_root)}
    subprocess.run([sys.executable, __file__, "--child", str(inputs), str(output)], env=env, check=True)
    with open(output, "rb") as file:
        return pickle.load(file)


def child(inputs: Path, output: Path) -> None:
    """Child process: ``plan_demand`` of ``inputs``' weekly demand and items, pickled to ``output``."""
    import longtail
    from longtail.demand import plan_demand

    code_root = Path(os.environ["PYTHONPATH"]).resolve()
    if not Path(longtail.__file__).resolve().is_relative_to(code_root):
        raise SystemExit(f"imported {longtail.__file__}, not the code under {code_root}")
    weekly, items = pd.read_parquet(inputs / "weekly.parquet"), pd.read_parquet(inputs / "items.parquet")
    # The asset's workers where this version has them (older ones plan one dataset at a time).
    workers = {"workers": ASSET_WORKERS} if "workers" in inspect.signature(plan_demand).parameters else {}
    started, cpu_started = time.perf_counter(), cpu_seconds()
    result = plan_demand(weekly, items=items, **workers)
    wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
    figures = {
        name: getattr(result, name) for name in ("planner", "replenishment", "stock_paths", "reports", "origins")
    }
    with open(output, "wb") as file:
        pickle.dump(figures | {"seconds": result.seconds, "wall": wall, "cpu": cpu}, file)


def cpu_seconds() -> float:
    """CPU seconds of this process and of its finished worker processes."""
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def seconds(made: dict) -> dict[str, float]:
    """What a child process timed: each dataset's wall seconds, then the whole plan's wall and CPU seconds."""
    timed = {f"{dataset} (wall)": value for dataset, value in made["seconds"].items()}
    return timed | {"plan_demand (wall)": made["wall"], "plan_demand (CPU)": made["cpu"]}


def differences(old, new, path: str = "plan") -> list[str]:
    """Where ``old`` and ``new`` (frames, dicts, lists and scalars, nested) differ; NaN equals NaN."""
    if isinstance(old, pd.DataFrame):
        try:
            pd.testing.assert_frame_equal(old, new, check_exact=True)
        except AssertionError as error:
            return [f"{path}: {str(error)[:500]}"]
        return []
    if isinstance(old, dict):
        if not isinstance(new, dict) or list(old) != list(new):
            return [f"{path}: keys {list(old)} != {list(new) if isinstance(new, dict) else type(new)}"]
        return [line for key in old for line in differences(old[key], new[key], f"{path}/{key}")]
    if isinstance(old, (list, tuple)):
        if type(old) is not type(new) or len(old) != len(new):
            return [f"{path}: {old!r} != {new!r}"]
        return [line for index, pair in enumerate(zip(old, new)) for line in differences(*pair, f"{path}[{index}]")]
    if isinstance(old, float) and isinstance(new, float) and math.isnan(old) and math.isnan(new):
        return []
    return [] if type(old) is type(new) and old == new else [f"{path}: {old!r} != {new!r}"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="HEAD", help="the git revision to compare with (default HEAD)")
    parser.add_argument("--dataset", action="append", help=f"a dataset to plan (repeatable; default {DATASETS})")
    parser.add_argument("--repeat", type=int, default=1, help="plans per version, taking turns; the best time counts")
    parser.add_argument("--child", nargs=2, type=Path, metavar=("INPUTS", "OUTPUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0
    sys.path.insert(0, str(ROOT / "bench"))
    from cleaned_tables import cleaned, sales

    from longtail.demand import weekly_demand

    datasets = args.dataset or list(DATASETS)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        events = pd.concat([sales(dataset) for dataset in datasets], ignore_index=True)
        weekly_demand(events).to_parquet(folder / "weekly.parquet")
        pd.concat([cleaned("items", dataset) for dataset in datasets]).to_parquet(folder / "items.parquet")
        baseline = export_revision(args.baseline, folder / "baseline")
        runs = {"old": [], "new": []}
        # Taking turns, so that a slow spell of a shared machine does not fall on one version only.
        for _ in range(args.repeat):
            runs["old"].append(plan_in_process(baseline, folder, folder / "old.pickle"))
            runs["new"].append(plan_in_process(ROOT, folder, folder / "new.pickle"))
    plans = [{key: value for key, value in made.items() if key not in TIMES} for made in runs["old"] + runs["new"]]
    found = [line for made in plans[1:] for line in differences(plans[0], made)]
    print(f"{'seconds, best of ' + str(args.repeat):36}{args.baseline:>12}{'working tree':>14}{'ratio':>8}")
    for name in seconds(runs["old"][0]):
        before, after = (min(seconds(made)[name] for made in runs[version]) for version in ("old", "new"))
        print(f"{name:36}{before:12.1f}{after:14.1f}{before / after:7.2f}x")
    print("plans identical" if not found else "PLANS DIFFER:\n" + "\n".join(found[:20]))
    return 0 if not found else 1


if __name__ == "__main__":
    sys.exit(main())
