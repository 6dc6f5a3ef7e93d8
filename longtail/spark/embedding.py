"""Sentence embeddings on Spark: ``SparkEncoder.encode`` runs the local encoder (``load_encoder`` +
``encode_texts`` of ``longtail.recommend.embedding``) on the executors and returns the same vectors, so it can stand
in for ``EmbeddingModelResource.encode`` wherever an ``encode(texts)`` callable is taken
(``longtail.recommend.item_vectors.refresh_catalogue_embeddings``)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator, Sequence
from functools import partial

import numpy as np
import pandas as pd

from longtail.recommend.embedding import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_BATCH_TOKENS,
    canonical_model_name,
    encode_texts,
    encoding_batches,
    load_encoder,
)
from longtail.validation import check_positive_int, checked_texts

# ``batch`` is the text's batch of ``encoding_batches`` and ``slot`` its place in it.
INPUT_SCHEMA = "batch long, slot int, text string"
# ``worker`` is "host:pid" of the executor's Python worker that encoded the row; ``loaded`` is true on the first row
# of a batch for which that worker had to load the model, so the loads per worker can be counted on the driver.
OUTPUT_SCHEMA = "batch long, slot int, embedding array<float>, worker string, loaded boolean"

# (model, device) as configured -> the SentenceTransformer this Python process loaded. Module-level, so an executor's
# reused Python worker (``spark.python.worker.reuse``) loads a model once for every task and job it runs.
_ENCODERS: dict[tuple[str, str], object] = {}


class SparkEncoder:
    """Texts to unit-length ``float32`` vectors, encoded by the executors of ``spark``.

    ``model`` and ``device`` are as ``EmbeddingModelResource``'s ("default" is the packaged all-MiniLM-L6-v2,
    384-d); both are resolved on the executors, where the model folder and the device are: "auto" uses CUDA on an
    executor that has a GPU (float16 weights, as the local encoder), the CPU elsewhere, and a device an executor
    does not have fails its task with ``longtail.device.pick_device``'s error. ``batch_size`` and ``batch_tokens``
    bound a forward pass as ``encode_texts``' do; ``partitions`` is the number of tasks the batches are split into
    (default: Spark's default parallelism, one task per executor core).

    The driver plans the batches exactly as ``encode_texts`` would (``encoding_batches``: it loads the model once
    for the tokenizer) and each task runs whole batches, so every text shares its forward pass with the same
    texts as locally and gets the same vectors, bit for bit where the device and its number of threads are the same
    (bfloat16 products on a CPU round differently with another padding length, and with AMX with another number of
    threads: up to 6e-4 with 2 threads against the 1 of a one-core executor's Python worker).

    After each ``encode``, ``worker_loads`` maps each executor Python worker that took part ("host:pid") to the
    number of times it loaded the model during that call: 1 on its first call, 0 once it holds the model.
    """

    def __init__(
        self,
        spark,
        model: str = "default",
        *,
        device: str = "auto",
        batch_size: int = DEFAULT_BATCH_SIZE,
        batch_tokens: int = DEFAULT_BATCH_TOKENS,
        partitions: int | None = None,
    ):
        self.spark = spark
        self.model = model
        self.device = device
        self.batch_size = check_positive_int(batch_size, "batch_size")
        self.batch_tokens = check_positive_int(batch_tokens, "batch_tokens")
        self.partitions = None if partitions is None else check_positive_int(partitions, "partitions")
        # Checks ``model`` (a non-empty string) on the driver, before any job is started.
        self._model_name = canonical_model_name(model)
        self.worker_loads: dict[str, int] = {}

    def model_name(self) -> str:
        """The name stored with each vector, as ``EmbeddingModelResource.model_name`` gives it."""
        return self._model_name

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """``float32`` array of shape ``(len(texts), dim)``, unit-length rows, row ``i`` for ``texts[i]``: the
        vectors ``encode_texts`` gives locally, from the same batches. Each distinct text travels to the executors
        with its batch and slot, and its vector back to the driver, which holds all of them (``4 * dim`` bytes per
        text). Raises ``ValueError`` for an empty ``texts``: without a text, no executor loads the model that knows
        ``dim``."""
        texts = checked_texts(texts)
        if not texts:
            raise ValueError("texts is empty: SparkEncoder.encode needs at least one text")
        position: dict[str, int] = {}
        rows = np.array([position.setdefault(text, len(position)) for text in texts], dtype=np.int64)
        distinct = list(position)
        planner, _ = _cached_encoder(self.model, "cpu")
        batches = encoding_batches(planner, distinct, self.batch_size, self.batch_tokens)
        plan = pd.DataFrame(
            {
                "batch": np.repeat(np.arange(len(batches)), [len(batch) for batch in batches]),
                "slot": np.concatenate([np.arange(len(batch)) for batch in batches]).astype(np.int32),
                "text": [distinct[i] for batch in batches for i in batch],
            }
        )
        encode = partial(
            _encode_batches, model=self.model, device=self.device, batch_size=self.batch_size,
            batch_tokens=self.batch_tokens,
        )  # fmt: skip
        encoded = (
            self.spark.createDataFrame(plan, INPUT_SCHEMA)
            .repartition(self.partitions or self.spark.sparkContext.defaultParallelism, "batch")
            .mapInPandas(encode, OUTPUT_SCHEMA)
            .toPandas()
        )
        if len(encoded) != len(plan):
            raise RuntimeError(f"Spark returned {len(encoded)} vectors for {len(plan)} texts, not one per text")
        self.worker_loads = encoded.groupby("worker")["loaded"].sum().astype(int).to_dict()
        index = np.array([batches[b][slot] for b, slot in zip(encoded["batch"], encoded["slot"])], dtype=np.int64)
        vectors = np.empty((len(distinct), len(encoded["embedding"].iloc[0])), dtype=np.float32)
        vectors[index] = np.stack(encoded["embedding"].to_numpy())
        return vectors[rows]


def _encode_batches(
    frames: Iterator[pd.DataFrame], *, model: str, device: str, batch_size: int, batch_tokens: int
) -> Iterator[pd.DataFrame]:
    """The ``mapInPandas`` function, run by an executor's Python worker: ``INPUT_SCHEMA`` rows of whole batches in
    (Arrow may cut a batch across frames, so the task's frames are joined first), ``OUTPUT_SCHEMA`` rows out, each
    batch encoded by ``encode_texts`` in one forward pass with the model this process holds."""
    frames = [frame for frame in frames if not frame.empty]
    # A task without texts needs no model: loading one for it would count a load that encoded nothing.
    if not frames:
        return
    worker = f"{socket.gethostname()}:{os.getpid()}"
    encoder, loaded = _cached_encoder(model, device)
    for batch, rows in pd.concat(frames, ignore_index=True).sort_values(["batch", "slot"]).groupby("batch"):
        vectors = encode_texts(encoder, rows["text"].tolist(), batch_size=batch_size, batch_tokens=batch_tokens)
        flags = np.zeros(len(rows), dtype=bool)
        flags[0], loaded = loaded, False
        yield pd.DataFrame(
            {"batch": batch, "slot": rows["slot"].to_numpy(), "embedding": list(vectors), "worker": worker,
             "loaded": flags}
        )  # fmt: skip


def _cached_encoder(model: str, device: str) -> tuple[object, bool]:
    """``(encoder, loaded)``: this process's encoder of ``model`` on ``device``, loaded now (``loaded`` true)
    unless an earlier task of this process loaded it."""
    key = (model, device)
    loaded = key not in _ENCODERS
    if loaded:
        _ENCODERS[key] = load_encoder(model, device)
    return _ENCODERS[key], loaded
