"""The outputs of the slow models, kept in the warehouse by content hash, so that a rerun (or the next asset of the
same run) computes only what it has not seen.

- ``CachedEncoder``: sentence vectors in ``review_embeddings`` (``text_hash``, ``model``, ``embedding``), keyed by
  the first 16 hex digits of the SHA-256 of the text and the encoder's name.
- ``CachedGenerator``: raw language-model outputs in ``generation_cache`` (``prompt_hash``, ``model``,
  ``raw_output``, ``generated_at``), keyed by ``longtail.language.prompts.prompt_hash`` (prompt, model, settings),
  written ``chunk_prompts`` at a time so that a run stopped halfway keeps what it finished.

Lookups join a registered frame of keys rather than passing them as a list parameter, which ``list_contains``
compares with every row (0.9 s against 1.8 s for the 16,690 review sentences of the shared data).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager

import duckdb
import numpy as np
import pandas as pd

from longtail.data.warehouse import replace_rows, table_exists
from longtail.language.prompts import prompt_hash

Connect = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]
Log = Callable[[str], None]
EMBEDDING_TABLE = "review_embeddings"
GENERATION_TABLE = "generation_cache"
# Outputs are generated and stored this many prompts at a time: what a stopped run can lose at most, and one batch
# of the default generator (longtail.language.generation.DEFAULT_BATCH_SIZE).
CHUNK_PROMPTS = 64


def text_hash(text: str) -> str:
    """The cache key of one text's vector: 16 hex digits of its SHA-256."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class CachedEncoder:
    """``encode`` (texts -> ``(n, dim)`` float vectors) with every vector kept in ``EMBEDDING_TABLE`` under
    ``model``, and in memory for the life of the object: a text is encoded once, ever, per model name.

    ``connect`` opens the warehouse (it is not held while ``encode`` runs); ``log`` receives progress lines.
    """

    def __init__(self, connect: Connect, encode: Callable[..., np.ndarray], model: str, log: Log = lambda _: None):
        self.connect = connect
        self.encode = encode
        self.model = model
        self.log = log
        self._known: dict[str, np.ndarray] = {}

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """``float32`` array ``(len(texts), dim)`` in the order of ``texts``; ``(0, 0)`` for no texts."""
        hashes = [text_hash(text) for text in texts]
        unseen = list(dict.fromkeys(h for h in hashes if h not in self._known))
        if unseen:
            with self.connect() as connection:
                self._known.update(self._stored(connection, unseen))
        missing = {h: text for h, text in zip(hashes, texts) if h not in self._known}
        cached = len(set(hashes)) - len(missing)
        self.log(f"review embeddings: {cached:,} cached, {len(missing):,} to embed with {self.model}")
        if missing:
            fresh = np.asarray(
                self.encode(
                    list(missing.values()),
                    progress=lambda done, total: self.log(f"embedded {done:,} / {total:,} texts"),
                ),
                dtype=np.float32,
            )
            self._known.update(zip(missing, fresh))
            rows = pd.DataFrame({"text_hash": list(missing), "model": self.model, "embedding": list(fresh)})
            with self.connect() as connection:
                # Only new keys are written, so there is nothing to delete first.
                replace_rows(connection, EMBEDDING_TABLE, rows, "false", vector_column="embedding")
        if not hashes:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([self._known[h] for h in hashes])

    def _stored(self, connection: duckdb.DuckDBPyConnection, hashes: list[str]) -> dict[str, np.ndarray]:
        if not table_exists(connection, EMBEDDING_TABLE):
            return {}
        connection.register("_wanted_hashes", pd.DataFrame({"text_hash": hashes}))
        try:
            result = connection.sql(
                f"select e.text_hash, e.embedding from {EMBEDDING_TABLE} e join _wanted_hashes using (text_hash) "
                "where e.model = ?",
                params=[self.model],
            ).to_arrow_table()
        finally:
            connection.unregister("_wanted_hashes")
        ids = result.column("text_hash").to_pylist()
        if not ids:
            return {}
        vectors = result.column("embedding").combine_chunks().flatten().to_numpy().astype(np.float32)
        return dict(zip(ids, vectors.reshape(len(ids), -1)))


class CachedGenerator:
    """``generate`` (prompts -> raw outputs, as ``TextGenerator.generate``) with every output kept in
    ``GENERATION_TABLE`` under its ``prompt_hash`` of ``model`` and ``settings``: a prompt is generated once.

    ``connect`` opens the warehouse (it is not held while ``generate`` runs); ``log`` receives progress lines.
    """

    def __init__(
        self,
        connect: Connect,
        generate: Callable[..., list[str]],
        model: str,
        settings: Mapping[str, object],
        log: Log = lambda _: None,
        chunk_prompts: int = CHUNK_PROMPTS,
    ):
        self.connect = connect
        self.generate = generate
        self.model = model
        self.settings = dict(settings)
        self.log = log
        self.chunk_prompts = chunk_prompts

    def key(self, prompt: Sequence[Mapping[str, str]]) -> str:
        """The cache key of ``prompt``'s output: ``prompt_hash`` of it, the model and the settings."""
        return prompt_hash(prompt, self.model, self.settings)

    def cached_keys(self) -> set[str]:
        """Every key with a stored output, of any model."""
        with self.connect() as connection:
            if not table_exists(connection, GENERATION_TABLE):
                return set()
            return {row[0] for row in connection.execute(f"select prompt_hash from {GENERATION_TABLE}").fetchall()}

    def outputs(self, keys: Sequence[str]) -> dict[str, str]:
        """``key -> raw output`` for the ``keys`` that have one stored."""
        if not len(keys):
            return {}
        with self.connect() as connection:
            if not table_exists(connection, GENERATION_TABLE):
                return {}
            connection.register("_wanted_keys", pd.DataFrame({"prompt_hash": list(keys)}))
            try:
                rows = connection.execute(
                    f"select prompt_hash, raw_output from {GENERATION_TABLE} join _wanted_keys using (prompt_hash)"
                ).fetchall()
            finally:
                connection.unregister("_wanted_keys")
        return dict(rows)

    def __call__(self, prompts: Sequence[Sequence[Mapping[str, str]]]) -> list[str]:
        """The raw output of each prompt: stored where its key is, else generated and stored, ``chunk_prompts``
        at a time."""
        keys = [self.key(prompt) for prompt in prompts]
        outputs = self.outputs(keys)
        prompt_of = dict(zip(keys, prompts))
        todo = list(dict.fromkeys(key for key in keys if key not in outputs))
        for start in range(0, len(todo), self.chunk_prompts):
            chunk = todo[start : start + self.chunk_prompts]

            def progress(done: int, total: int, offset: int = start) -> None:
                self.log(f"generated {offset + done:,} / {len(todo):,} texts")

            texts = self.generate([prompt_of[key] for key in chunk], progress=progress)
            rows = pd.DataFrame(
                {
                    "prompt_hash": chunk,
                    "model": self.model,
                    "raw_output": texts,
                    "generated_at": pd.Timestamp.now(tz="UTC"),
                }
            )
            with self.connect() as connection:
                replace_rows(connection, GENERATION_TABLE, rows, "list_contains(?, prompt_hash)", [chunk])
            outputs.update(zip(chunk, texts))
        return [outputs[key] for key in keys]
