"""The scale bench: seconds and peak memory per stage, the local engine against Spark on a standalone cluster, on a
synthetic shop of 1M and 10M events.

    .venv/bin/python bench/scale.py [--events 1e6,1e7] [--stages cleaning,neighbours,als,lists,embeddings]
        [--engines local,spark] [--seed 0] [--texts 5000] [--als-factors 64] [--als-iterations 10]
        [--worker-memory 5g] [--timeout 3600]

Data: ``longtail.data.synthetic.write_synthetic_shop`` writes the shop's canonical landing files (Parquet, 1M events
each); each file is read as the loader reads it (``longtail.data.adapters.read_file``), given its provenance
(dataset, SHA-256 file id, name, load time) and ``partition_day`` as ``longtail.data.ingest`` stores raw rows (the
keyed pseudonyms aside), and written to ``raw_events/`` (Parquet, one file per landing file). The cleaned
interactions (``interactions/``) and the cleaned catalogue (``items.parquet``) every later stage reads are cleaned
file by file (the synthetic duplicates never cross files). All of it is cached under
``build/scale_bench/data/<events>-seed<seed>/`` (delete it after changing the generator or the cleaning rules).

Stages, each a function of the engine ("local" or "spark"; inputs are loaded before the clock starts, and each
Spark application first waits for its executors and starts a Python worker on each, ``startup_s`` in the JSON):

- ``cleaning``: the raw events to cleaned and quarantined rows. Local: ``clean_events`` on the raw frame (reading
  the Parquet first, untimed: ``load_s`` in the JSON). Spark: ``clean_on_spark``, which reads the raw Parquet and
  writes its cleaned and quarantined Parquet inside the timed job.
- ``neighbours``: each catalogue item's 50 collaborative neighbours. Local: ``interaction_matrix`` over the catalogue,
  ``collaborative_top_k``, ``neighbours_to_csr`` and ``neighbour_table``. Spark: ``collaborative_neighbours`` on the
  interactions Parquet read by Spark.
- ``als``: ALS fitted on the users x items matrix, ``--als-factors`` factors and ``--als-iterations`` sweeps on both
  engines (the local default of 256 factors would cost MLlib's exact solves 64 times the 64-factor flops per
  user). Local: ``longtail.recommend.models.ALS`` (``implicit``); Spark: ``SparkALS`` (MLlib).
- ``lists``: every user's top 20 from a local ALS fitted (untimed) by the first lists measurement and cached beside
  the data, so both engines score the very same model. Local: ``ALS.recommend``; Spark: ``recommend_on_spark``,
  which broadcasts the model.
- ``embeddings``: ``--texts`` catalogue texts (``build_catalogue_texts`` of a seeded sample of the cleaned items)
  through all-MiniLM-L6-v2 on the CPU, after a warm-up that loads the model (locally, and on every executor).
  Local: ``encode_texts``; Spark: ``SparkEncoder.encode``.

A stage whose Spark module is not in ``longtail/spark/`` yet is run locally only, with a note; a stage that fails
or passes ``--timeout`` is reported as such and the bench goes on.

Each measurement runs in a fresh process, so its peak memory is its own. Local: that process's peak resident set
(``VmHWM``: interpreter, libraries, the loaded inputs and the stage); ``working`` in the JSON is the peak less
the resident set just before the stage. Spark: each measurement is its own application on one standalone cluster
(``StandaloneCluster``: 2 workers x 1 core, ``--worker-memory`` each, executors at three quarters of it; driver JVM
4 GB), so its executors are fresh too. "driver" is the driver's Python peak (``VmHWM``) plus its JVM's peak
(its resident set sampled every 0.2 s); "executor" is the largest executor's peak ``ProcessTreeJVMRSSMemory +
ProcessTreePythonRSSMemory`` (the executor JVM and its Python workers) from the driver's REST API
(``/api/v1/applications/<app>/executors``, ``peakMemoryMetrics``, polled every 250 ms, read after the last
heartbeat). The table is printed and written to ``build/scale_bench/results.json``.

Results on this machine (2 cores, 24 GB, 2026-12-02), measured while other sessions' tests and a demo shared the two
cores (load average 5 to 10): two runs of the 1M row moved by up to 2.5x (local cleaning 10.6 s, then 4.2 s), so
read the ratios, not the seconds. The 1M shop: 39,047 users and 46,321 items with interactions, 794,422 (user,
item) cells, 21.7M co-purchase pairs; the 10M shop: 390,534 users, 427,945 items, 8.2M cells. The commands:

    .venv/bin/python bench/scale.py --events 1e6
    .venv/bin/python bench/scale.py --events 1e7 --stages als          # then cleaning, then neighbours
    .venv/bin/python bench/scale.py --events 1e7 --stages neighbours --engines spark,local --timeout 1800

    stage           events   local s   Spark s  Spark/local  local peak MB  driver MB  executor MB
    cleaning     1,000,000       4.2      23.9         5.70           1721        626         1328
    neighbours   1,000,000      49.6      82.6         1.66           1434       1324         2375
    als          1,000,000      10.3     113.4        10.97            417       1615         1279
    lists        1,000,000      26.8      30.5         1.14            955        837         1381
    embeddings   1,000,000      65.0      44.9         0.69           1250        713         1496
    cleaning    10,000,000      61.9     112.7         1.82          15495        613         7767
    neighbours  10,000,000    >1380    1122.0        <0.81         >11770       5654         4441
    als         10,000,000      90.2     704.2         7.81           2454       3571         1796

- Local cleaning holds the whole raw window in pandas: 15.5 GB at 10M events (8.8 GB of it the loaded raw frame),
  about 1.5 GB per 1M raw events, so 24 GB clean about 15M events in one window. Spark's driver stays at 0.6 GB;
  its largest executor peaked at 7.8 GB, 6.8 GB of it the Python worker cleaning its shards of 2.5M events one
  after another: more shards would cut it.
- The local neighbours cost the square of the bought items (blocks of 1,024 items against all of them, dense):
  50 s at 46k items; at 428k the run was stopped after 23 minutes (to free the cores for CI), at 11.8 GB resident (a
  block's dense scores and their argpartition's int64 indices), and the square law (85x) gives about 70 minutes.
  Spark's self-join costs the co-purchase pairs, ten times as many at 10M as at 1M (82.6 s, then 1122 s): it
  overtakes the local engine between the two sizes. Its executors' heaps reached 3.8 GB of 3.8 GB and spilled.
- MLlib's ALS solves each user exactly (Cholesky) where ``implicit`` takes conjugate-gradient steps: 8-11x slower
  on the same cores. The lists and embeddings are independent per user or text and split evenly over the two
  executors; two single-threaded torch processes beat one with two threads on short texts.
- Not run at 10M: lists (390k users x 428k items scored dense, about 40 minutes per engine at the 1M rate) and
  embeddings (the same 5,000 texts at every size).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "build" / "scale_bench"
DATASET = "synthetic"
NEIGHBOURS_K = 50
LIST_K = 20
WORKERS = 2  # of 1 core each: the machine's 2 cores
DRIVER_MEMORY = "4g"
# Executor metrics: peaks polled every 250 ms and sent with each 1 s heartbeat; read after two heartbeats.
HEARTBEAT_S = 1.0
MB = 2**20


# --- the data -------------------------------------------------------------------------------------------------


def prepare(n_events: int, seed: int) -> Path:
    """The cached inputs of a shop of ``n_events`` events (see the module docstring); built when missing."""
    from longtail.data.adapters import read_file
    from longtail.data.cleaning import clean_events, clean_items, partition_days
    from longtail.data.landing import file_sha256
    from longtail.data.synthetic import write_synthetic_shop

    folder = OUTPUT / "data" / f"{n_events}-seed{seed}"
    if (folder / "meta.json").exists():
        return folder
    started = time.perf_counter()
    files = write_synthetic_shop(folder / "landing" / DATASET, n_events, seed=seed)
    loaded_at = pd.Timestamp.now(tz="UTC")
    for name in ("raw_events", "interactions"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    for path in files.event_files:
        raw = _with_provenance(read_file(path).events, path, file_sha256(path), loaded_at)
        raw["partition_day"] = partition_days(raw["ts"], raw["loaded_at"])
        # Microseconds: Spark does not read Parquet's nanosecond timestamps.
        raw.to_parquet(folder / "raw_events" / f"{path.stem}.parquet", index=False, coerce_timestamps="us")
        cleaned = clean_events(raw).cleaned[["user_id", "item_id", "ts", "price", "order_id"]]
        cleaned.to_parquet(folder / "interactions" / f"{path.stem}.parquet", index=False, coerce_timestamps="us")
        print(f"  prepared {path.name}", flush=True)
    items_path = files.items_file
    raw_items = _with_provenance(read_file(items_path).items, items_path, file_sha256(items_path), loaded_at)
    clean_items(raw_items).cleaned.to_parquet(folder / "items.parquet", index=False, coerce_timestamps="us")
    meta = {"events": n_events, "seed": seed, "dirty_events": files.dirty_events, "dirty_items": files.dirty_items,
            "seconds": time.perf_counter() - started}  # fmt: skip
    (folder / "meta.json").write_text(json.dumps(meta, indent=2))
    return folder


def _with_provenance(frame: pd.DataFrame, path: Path, file_id: str, loaded_at: pd.Timestamp) -> pd.DataFrame:
    """``frame`` with the loader's provenance columns first (``longtail.data.ingest``)."""
    provenance = pd.DataFrame(
        {"dataset": DATASET, "file_id": file_id, "source_file": path.name, "loaded_at": loaded_at}, index=frame.index
    ).astype({"dataset": "string", "file_id": "string", "source_file": "string"})
    return pd.concat([provenance, frame], axis=1)


def catalogue_ids(data: Path) -> np.ndarray:
    """The cleaned catalogue's item ids, sorted: the item axis of the neighbours."""
    return np.sort(pd.read_parquet(data / "items.parquet", columns=["item_id"])["item_id"].to_numpy(dtype=object))


def interactions(data: Path) -> pd.DataFrame:
    return pd.read_parquet(data / "interactions", columns=["user_id", "item_id"])


# --- the stages ------------------------------------------------------------------------------------------------
# Each takes the engine ("local" or "spark"), the prepared data, the SparkSession (None locally) and the spec, loads
# its inputs, and returns the work to time: a function that runs the stage and returns what it produced.


def cleaning(engine: str, data: Path, spark, spec: dict):
    if engine == "local":
        from longtail.data.cleaning import clean_events

        raw = pd.read_parquet(data / "raw_events")

        def run() -> dict:
            result = clean_events(raw)
            return {"cleaned": len(result.cleaned), "quarantined": len(result.quarantined)}

        return run
    from longtail.spark.cleaning import clean_on_spark

    def run_on_spark() -> dict:
        job = clean_on_spark(
            spark, "events", data / "raw_events", OUTPUT / "spark_output" / f"cleaning-{spec['events']}"
        )
        return {"shards": job.shards}

    return run_on_spark


def neighbours(engine: str, data: Path, spark, spec: dict):
    item_ids = catalogue_ids(data)
    if engine == "local":
        from longtail.data.interactions import interaction_matrix
        from longtail.recommend.neighbours import collaborative_top_k, neighbour_table, neighbours_to_csr

        rows = interactions(data)

        def run() -> dict:
            matrix = interaction_matrix(rows, item_ids=item_ids).matrix
            similarity = neighbours_to_csr(*collaborative_top_k(matrix, NEIGHBOURS_K), len(item_ids))
            return {"rows": len(neighbour_table(item_ids, similarity, "collaborative"))}

        return run
    from longtail.spark.neighbours import collaborative_neighbours

    frame = spark.read.parquet(str(data / "interactions"))

    def run_on_spark() -> dict:
        return {"rows": len(collaborative_neighbours(spark, frame, item_ids, k=NEIGHBOURS_K))}

    return run_on_spark


def als(engine: str, data: Path, spark, spec: dict):
    from longtail.data.interactions import interaction_matrix

    matrix = interaction_matrix(interactions(data)).matrix
    settings = {"factors": spec["als_factors"], "iterations": spec["als_iterations"]}
    if engine == "local":
        from longtail.recommend.models import ALS

        model = ALS(**settings)
    else:
        from longtail.spark.als import SparkALS

        model = SparkALS(**settings, spark=spark)

    def run() -> dict:
        model.fit(matrix)
        return {"users": matrix.shape[0], "items": matrix.shape[1], "cells": matrix.nnz}

    return run


def lists(engine: str, data: Path, spark, spec: dict):
    model = fitted_als(data, spec)
    users = model.n_users_
    if engine == "local":

        def run() -> dict:
            items, _ = model.recommend(np.arange(users), LIST_K, return_scores=True)
            return {"users": users, "filled": int((items >= 0).sum())}

        return run
    from longtail.spark.lists import recommend_on_spark

    def run_on_spark() -> dict:
        items, _ = recommend_on_spark(spark, model, users, LIST_K)
        return {"users": users, "filled": int((items >= 0).sum())}

    return run_on_spark


def embeddings(engine: str, data: Path, spark, spec: dict):
    from longtail.recommend.text import build_catalogue_texts

    items = pd.read_parquet(data / "items.parquet")
    sample = items.sample(min(spec["texts"], len(items)), random_state=spec["seed"])
    texts = build_catalogue_texts(sample)["text"].tolist()
    if engine == "local":
        from longtail.recommend.embedding import encode_texts, load_encoder

        model = load_encoder("default", device="cpu")

        def encode(batch: list[str]) -> np.ndarray:
            return encode_texts(model, batch)

    else:
        from longtail.spark.embedding import SparkEncoder

        encoder = SparkEncoder(spark, device="cpu")
        encode = encoder.encode
    encode(texts[:16])  # the warm-up: the model is loaded (on every executor) before the clock starts

    def run() -> dict:
        result = {"texts": len(texts), "dim": int(encode(texts).shape[1])}
        if engine == "spark":  # proof that the warm-up loaded the model everywhere: no load while timed
            result["model_loads"] = sum(encoder.worker_loads.values())
        return result

    return run


STAGES = {"cleaning": cleaning, "neighbours": neighbours, "als": als, "lists": lists, "embeddings": embeddings}
SPARK_MODULES = {
    "cleaning": "longtail.spark.cleaning",
    "neighbours": "longtail.spark.neighbours",
    "als": "longtail.spark.als",
    "lists": "longtail.spark.lists",
    "embeddings": "longtail.spark.embedding",
}


def fitted_als(data: Path, spec: dict):
    """The local ALS fitted on the shop's matrix with the spec's settings: read from its cache, else fitted and
    cached (so the Spark lists measurement scores with the very model the local one did)."""
    import pickle

    from longtail.data.interactions import interaction_matrix
    from longtail.recommend.models import ALS

    path = data / f"als-{spec['als_factors']}x{spec['als_iterations']}.pickle"
    if path.exists():
        return pickle.loads(path.read_bytes())
    model = ALS(factors=spec["als_factors"], iterations=spec["als_iterations"])
    model.fit(interaction_matrix(interactions(data)).matrix)
    path.write_bytes(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
    return model


# --- memory ---------------------------------------------------------------------------------------------------


def _current_rss() -> int:
    """Resident set size of this process in bytes (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak_rss() -> int:
    """Peak resident set size of this process in bytes: ``VmHWM``, the high-water mark of its own address space.
    Not ``ru_maxrss``: Linux carries that across ``exec``, so a measurement process started by this bench after
    it prepared the data would report the bench's own peak."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


class ChildrenPeak:
    """The peak resident set of this process's descendants (the Spark driver's JVM), sampled every 0.2 s by a
    thread between ``start()`` and ``stop()``."""

    def __init__(self):
        self.peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def start(self) -> ChildrenPeak:
        self._thread.start()
        return self

    def stop(self) -> int:
        self._done.set()
        self._thread.join()
        return self.peak

    def _sample(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._done.wait(0.2):
            total = 0
            for child in me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.NoSuchProcess:  # a short-lived helper that ended between listing and reading
                    continue
            self.peak = max(self.peak, total)


def executor_peaks(spark) -> dict[str, dict[str, int]]:
    """Executor id -> its ``peakMemoryMetrics`` (bytes) from the driver's REST API; the driver left out."""
    from urllib.request import urlopen

    context = spark.sparkContext
    url = f"{context.uiWebUrl}/api/v1/applications/{context.applicationId}/allexecutors"
    with urlopen(url, timeout=60) as response:  # a driver on a loaded machine answers slowly
        executors = json.load(response)
    return {e["id"]: e.get("peakMemoryMetrics", {}) for e in executors if e["id"] != "driver"}


def executor_peak_bytes(metrics: dict[str, int]) -> int:
    """An executor's peak footprint: its process tree (JVM and Python workers) when Spark measured it, else the
    JVM's heap and off-heap memory."""
    tree = metrics.get("ProcessTreeJVMRSSMemory", 0) + metrics.get("ProcessTreePythonRSSMemory", 0)
    return tree or metrics.get("JVMHeapMemory", 0) + metrics.get("JVMOffHeapMemory", 0)


# --- one measurement, in its own process ------------------------------------------------------------------------


def measure(spec: dict) -> dict:
    """Run ``spec["stage"]`` on ``spec["engine"]`` over the prepared data; runs in a fresh process. ``load_s`` is the
    time its inputs took to load (and the model to warm up), ``seconds`` the stage's."""
    data = Path(spec["data"])
    stage = STAGES[spec["stage"]]
    if spec["engine"] == "local":
        result, load_s, seconds, rss_before = _run_stage(stage, "local", data, None, spec)
        peak = _peak_rss()
        return {**result, "seconds": seconds, "load_s": load_s, "peak_mb": peak / MB,
                "working_mb": (peak - rss_before) / MB}  # fmt: skip
    from longtail.spark.session import spark_session

    jvm = ChildrenPeak().start()
    config = {
        **spec["spark_config"],
        "spark.driver.memory": DRIVER_MEMORY,
        "spark.executor.processTreeMetrics.enabled": "true",
        "spark.executor.metrics.pollingInterval": "250ms",
        "spark.executor.heartbeatInterval": f"{HEARTBEAT_S:.0f}s",
    }
    started = time.perf_counter()
    spark = spark_session(spec["master"], app_name=f"scale-{spec['stage']}-{spec['events']}", config=config)
    try:
        warm_up(spark, spec["workers"])
        startup_s = time.perf_counter() - started
        result, load_s, seconds, _ = _run_stage(stage, "spark", data, spark, spec)
        time.sleep(2 * HEARTBEAT_S + 0.5)
        peaks = executor_peaks(spark)
    finally:
        spark.stop()
        jvm_peak = jvm.stop()
    python_peak = _peak_rss()
    return {
        **result,
        "seconds": seconds,
        "load_s": load_s,
        "startup_s": startup_s,
        "driver_python_mb": python_peak / MB,
        "driver_jvm_mb": jvm_peak / MB,
        "driver_peak_mb": (python_peak + jvm_peak) / MB,
        "executor_peak_mb": max((executor_peak_bytes(m) for m in peaks.values()), default=0) / MB,
        "executors": {key: {name: value / MB for name, value in m.items()} for key, m in peaks.items()},
    }


def warm_up(spark, workers: int, timeout: float = 120.0) -> None:
    """Wait until an executor runs on each of the ``workers`` workers, then start a Python worker on each (a
    ``mapInPandas`` job of one task per executor): the stage is timed on a running application, as a pipeline's
    later jobs run, not with its executors' start."""
    deadline = time.monotonic() + timeout
    while len(executor_peaks(spark)) < workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"fewer than {workers} executors after {timeout:.0f} s")
        time.sleep(0.5)
    spark.range(0, workers, numPartitions=workers).mapInPandas(lambda frames: frames, "id long").count()


def _run_stage(stage, engine: str, data: Path, spark, spec: dict) -> tuple[dict, float, float, int]:
    """``(what it produced, seconds loading, seconds running, resident set before running)`` of one stage."""
    started = time.perf_counter()
    run = stage(engine, data, spark, spec)
    loaded = time.perf_counter()
    rss_before = _current_rss()
    result = run()
    return result, loaded - started, time.perf_counter() - loaded, rss_before


def run_worker(spec: dict, timeout: float) -> dict:
    """``measure(spec)`` in a subprocess (its own process group, so a timeout ends its Spark driver JVM too); the
    result is its last line of stdout, or ``{"error": ...}``."""
    process = subprocess.Popen(
        [sys.executable, __file__, "--worker", json.dumps(spec)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return {"error": f"timed out after {timeout:.0f} s"}
    if process.returncode < 0:
        return {"error": f"killed by signal {-process.returncode}"}
    if process.returncode != 0:
        last = [line for line in err.strip().splitlines() if line.strip()][-3:]
        return {"error": f"exit {process.returncode}: " + " | ".join(last)}
    return json.loads(out.strip().splitlines()[-1])


# --- the report -------------------------------------------------------------------------------------------------


def print_table(results: list[dict]) -> None:
    print(
        f"{'stage':<11} {'events':>10} {'local s':>9} {'Spark s':>9} {'Spark/local':>12} {'local peak MB':>14} "
        f"{'driver MB':>10} {'executor MB':>12}  notes"
    )
    for row in results:
        local, spark = row["local"], row["spark"]
        local_s = _cell(local, "seconds", ".1f")
        spark_s = _cell(spark, "seconds", ".1f")
        ratio = f"{spark['seconds'] / local['seconds']:.2f}" if "seconds" in local and "seconds" in spark else "-"
        notes = "; ".join(f"{engine}: {part['error']}" for engine, part in row.items()
                          if isinstance(part, dict) and "error" in part)  # fmt: skip
        print(
            f"{row['stage']:<11} {row['events']:>10,} {local_s:>9} {spark_s:>9} {ratio:>12} "
            f"{_cell(local, 'peak_mb', '.0f'):>14} {_cell(spark, 'driver_peak_mb', '.0f'):>10} "
            f"{_cell(spark, 'executor_peak_mb', '.0f'):>12}  {notes}"
        )


def _cell(part: dict, key: str, spec: str) -> str:
    return format(part[key], spec) if key in part else "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", default="1e6,1e7", help="comma-separated shop sizes in events")
    parser.add_argument("--stages", default=",".join(STAGES), help="comma-separated stages to run")
    parser.add_argument("--engines", default="local,spark")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--texts", type=int, default=5000, help="catalogue texts the embeddings stage encodes")
    parser.add_argument("--als-factors", type=int, default=64)
    parser.add_argument("--als-iterations", type=int, default=10)
    parser.add_argument("--worker-memory", default="5g", help="memory of each of the 2 Spark workers")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds one measurement may take")
    parser.add_argument("--json", type=Path, default=OUTPUT / "results.json")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(json.loads(args.worker))))
        return 0

    sizes = [int(float(size)) for size in args.events.split(",")]
    stages = args.stages.split(",")
    engines = args.engines.split(",")
    unknown = set(stages) - set(STAGES)
    if unknown:
        parser.error(f"unknown stages {sorted(unknown)}: choose from {', '.join(STAGES)}")
    missing = [stage for stage in stages if importlib.util.find_spec(SPARK_MODULES[stage]) is None]
    for stage in missing:
        print(f"{SPARK_MODULES[stage]} is not there yet: the {stage} stage runs locally only")
    print(f"{os.cpu_count()} CPUs, {_total_memory_gb():.0f} GB; sizes {sizes}; stages {stages}; engines {engines}")
    results = []
    with _cluster(args, "spark" in engines and len(missing) < len(stages)) as cluster:
        for n_events in sizes:
            data = prepare(n_events, args.seed)
            for stage in stages:
                row = {"stage": stage, "events": n_events, "local": {}, "spark": {}}
                for engine in engines:
                    if engine == "spark" and stage in missing:
                        row["spark"] = {"error": "no Spark module yet"}
                        continue
                    spec = {
                        "stage": stage, "engine": engine, "events": n_events, "data": str(data), "seed": args.seed,
                        "texts": args.texts, "als_factors": args.als_factors, "als_iterations": args.als_iterations,
                        "master": cluster.master_url if cluster else None, "workers": WORKERS,
                        "spark_config": cluster.spark_config() if cluster else {},
                    }  # fmt: skip
                    row[engine] = run_worker(spec, args.timeout)
                    said = row[engine].get("error") or f"{row[engine]['seconds']:.1f} s"
                    print(f"  {stage} at {n_events:,} events, {engine}: {said}", flush=True)
                results.append(row)
    print()
    print_table(results)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    settings = {key: value for key, value in vars(args).items() if key not in ("json", "worker")}
    args.json.write_text(json.dumps({"args": settings, "cpus": os.cpu_count(), "results": results}, indent=2))
    print(f"\nwritten to {args.json}")
    return 0


def _cluster(args, needed: bool):
    """The standalone cluster the Spark measurements share (2 workers x 1 core), or a stand-in when none is."""
    import contextlib

    from longtail.spark.cluster import StandaloneCluster

    if not needed:
        return contextlib.nullcontext(None)
    return StandaloneCluster(OUTPUT / "cluster", workers=WORKERS, cores=1, memory=args.worker_memory)


def _total_memory_gb() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30


if __name__ == "__main__":
    sys.exit(main())
