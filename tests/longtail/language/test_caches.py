from contextlib import contextmanager

import numpy as np
import pytest

from longtail.data.warehouse import connect
from longtail.language.caches import EMBEDDING_TABLE, GENERATION_TABLE, CachedEncoder, CachedGenerator, text_hash
from longtail.language.prompts import prompt_hash
from resources.models import FakeEmbeddingModelResource


@pytest.fixture
def warehouse(tmp_path):
    """A ``connect`` callable on a fresh DuckDB file."""

    @contextmanager
    def open_warehouse():
        with connect(tmp_path / "warehouse.duckdb") as connection:
            yield connection

    return open_warehouse


class CountingEncoder:
    """The fake embedder, remembering every text it was asked to encode."""

    def __init__(self):
        self.fake = FakeEmbeddingModelResource(dim=8)
        self.seen: list[str] = []

    def __call__(self, texts, progress=None):
        self.seen += list(texts)
        return self.fake.encode(texts, progress=progress)


def test_cached_encoder_encodes_each_text_once_across_instances(warehouse):
    counting = CountingEncoder()
    first = CachedEncoder(warehouse, counting, "fake-8")
    vectors = first(["good lamp", "bad lamp", "good lamp"])
    assert counting.seen == ["good lamp", "bad lamp"]
    np.testing.assert_allclose(vectors, counting.fake.encode(["good lamp", "bad lamp", "good lamp"]))
    # A new instance (the next asset, or the next run) reads them back from the warehouse.
    again = CachedEncoder(warehouse, counting, "fake-8")(["bad lamp", "new lamp", "good lamp"])
    assert counting.seen == ["good lamp", "bad lamp", "new lamp"]
    np.testing.assert_allclose(again, counting.fake.encode(["bad lamp", "new lamp", "good lamp"]), rtol=1e-6)
    with warehouse() as connection:
        rows = connection.execute(f"select text_hash, model from {EMBEDDING_TABLE} order by text_hash").fetchall()
    assert sorted(rows) == sorted((text_hash(text), "fake-8") for text in ("good lamp", "bad lamp", "new lamp"))
    assert first([]).shape == (0, 0)


def test_cached_encoder_keeps_models_apart(warehouse):
    counting = CountingEncoder()
    CachedEncoder(warehouse, counting, "model-a")(["lamp"])
    CachedEncoder(warehouse, counting, "model-b")(["lamp"])
    assert counting.seen == ["lamp", "lamp"]


class CountingGenerator:
    """Writes "output of <last message>" and remembers each batch of prompts it was given."""

    def __init__(self):
        self.batches: list[int] = []

    def __call__(self, prompts, progress=None):
        self.batches.append(len(prompts))
        if progress is not None:
            progress(len(prompts), len(prompts))
        return [f"output of {prompt[-1]['content']}" for prompt in prompts]


def prompt(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def test_cached_generator_generates_each_prompt_once_in_chunks(warehouse):
    counting, lines = CountingGenerator(), []
    generate = CachedGenerator(warehouse, counting, "m", {"t": 1}, log=lines.append, chunk_prompts=2)
    prompts = [prompt("a"), prompt("b"), prompt("a"), prompt("c")]
    assert generate(prompts) == ["output of a", "output of b", "output of a", "output of c"]
    assert counting.batches == [2, 1]
    assert lines[-1] == "generated 3 / 3 texts"
    assert generate.key(prompt("a")) == prompt_hash(prompt("a"), "m", {"t": 1})
    assert generate.cached_keys() == {generate.key(p) for p in prompts}
    assert generate.outputs([generate.key(prompt("b")), "unknown"]) == {generate.key(prompt("b")): "output of b"}
    # A later run with the same model and settings generates nothing; other settings are other keys.
    assert CachedGenerator(warehouse, counting, "m", {"t": 1})([prompt("c")]) == ["output of c"]
    assert counting.batches == [2, 1]
    CachedGenerator(warehouse, counting, "m", {"t": 2})([prompt("c")])
    assert counting.batches == [2, 1, 1]
    with warehouse() as connection:
        assert connection.execute(f"select count(*) from {GENERATION_TABLE}").fetchone() == (4,)


def test_cached_generator_without_a_table_has_nothing_cached(warehouse):
    generate = CachedGenerator(warehouse, CountingGenerator(), "m", {})
    assert generate.cached_keys() == set() and generate.outputs(["x"]) == {} and generate([]) == []
