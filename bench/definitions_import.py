"""How long a fresh Python process takes to load the Dagster definitions (``import orchestration.definitions``) with
the working tree's code against a baseline revision's, taking turns, printed as a ratio.

    .venv/bin/python bench/definitions_import.py [--baseline HEAD] [--repeat 7]

Every Dagster process pays this: the code server, the daemon, each run worker, and each ``longtail`` command that
loads the asset graph. The baseline's packages (``longtail``, ``assets``, ``resources``, ``orchestration``,
``data_quality``) are exported with ``git archive`` into a temporary folder; each import runs in a new process with
that folder first on ``PYTHONPATH``. Prints the median wall and CPU seconds of each version and which heavy
libraries each one loaded.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("longtail", "assets", "resources", "orchestration", "data_quality")
HEAVY = ("sklearn", "scipy.stats", "openpyxl", "torch", "transformers", "great_expectations", "pyspark")
CHILD = f"""
import json, sys, time
started, cpu = time.perf_counter(), time.process_time()
import orchestration.definitions
print(json.dumps({{"wall": time.perf_counter() - started, "cpu": time.process_time() - cpu,
    "loaded": [m for m in {HEAVY!r} if m in sys.modules], "from": orchestration.definitions.__file__}}))
"""


def export_revision(revision: str, folder: Path) -> Path:
    archive = subprocess.run(["git", "archive", revision, *PACKAGES], cwd=ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def import_once(code_root: Path) -> dict:
    env = os.environ | {"PYTHONPATH": str(code_root), "PYTHONWARNINGS": "ignore"}
    result = subprocess.run([sys.executable, "-c", CHILD], env=env, cwd=code_root, check=True, capture_output=True)
    figures = json.loads(result.stdout)
    if not Path(figures["from"]).resolve().is_relative_to(code_root.resolve()):
        raise SystemExit(f"imported {figures['from']}, not the code under {code_root}")
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="HEAD", help="the revision to compare with (default HEAD)")
    parser.add_argument("--repeat", type=int, default=7, help="imports per version, taking turns")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        versions = {args.baseline: export_revision(args.baseline, Path(folder)), "working tree": ROOT}
        for root in versions.values():
            import_once(root)  # writes each version's bytecode, which every later import reuses
        runs = {name: [] for name in versions}
        for _ in range(args.repeat):
            for name, root in versions.items():
                runs[name].append(import_once(root))
    print(f"{'median of ' + str(args.repeat):<16}{'wall s':>8}{'CPU s':>8}  heavy libraries loaded")
    medians = {}
    for name, figures in runs.items():
        medians[name] = {key: statistics.median(run[key] for run in figures) for key in ("wall", "cpu")}
        print(f"{name:<16}{medians[name]['wall']:>8.2f}{medians[name]['cpu']:>8.2f}  {', '.join(figures[0]['loaded'])}")
    base, new = medians[args.baseline], medians["working tree"]
    wall, cpu = new["wall"] / base["wall"], new["cpu"] / base["cpu"]
    print(f"ratio working tree / {args.baseline}: wall {wall:.2f}x, CPU {cpu:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
