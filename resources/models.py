"""The models as Dagster resources (sentence embedder, text generator), each with a torch-free fake for tests."""

import re
import zlib
from collections.abc import Callable, Sequence

import dagster as dg
import numpy as np
from pydantic import PrivateAttr

from longtail.language import generation
from longtail.recommend import embedding

_WORD = re.compile(r"\w+")
_FACT_LINE = re.compile(r"^([A-Za-z ]+): (.+)$", re.MULTILINE)


class EmbeddingModelResource(dg.ConfigurableResource):
    """A sentence-transformers model that turns texts into unit-length ``float32`` vectors.

    ``model`` is "default" (the packaged all-MiniLM-L6-v2, 384-d, no network needed), a local model folder or a
    Hugging Face Hub id (which needs network access); ``device`` is "auto", "cpu", "cuda" or "cuda:N" (see
    ``longtail.device.pick_device``); ``batch_size`` is the most texts per forward pass (long texts go fewer at a
    time, see ``longtail.recommend.embedding.encode_texts``). The model is loaded on the first ``encode`` and kept
    for the life of the resource instance (one step).
    """

    source: str = "facts"
    model: str = "default"
    device: str = "auto"
    batch_size: int = embedding.DEFAULT_BATCH_SIZE

    _encoder: object = PrivateAttr(default=None)

    def model_name(self) -> str:
        """The name stored with each vector; a different name makes ``refresh_embeddings`` re-embed everything."""
        return embedding.canonical_model_name(self.model)

    def device_name(self) -> str:
        """The device the model runs on ("cpu", "cuda", "cuda:N"), "auto" resolved."""
        return embedding.pick_device(self.device)

    def encode(self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """``float32`` array of shape ``(len(texts), dim)``, unit-length rows in the order of ``texts``;
        ``progress(done, total)`` is called as texts are done (see ``longtail.recommend.embedding.encode_texts``)."""
        if self._encoder is None:
            self._encoder = embedding.load_encoder(self.model, self.device)
        return embedding.encode_texts(self._encoder, texts, batch_size=self.batch_size, progress=progress)

    def spark_encoder(self, spark) -> Callable[[Sequence[str]], np.ndarray]:
        """``encode`` run by the executors of ``spark``: each loads this model once
        (``longtail.spark.embedding.SparkEncoder``)."""
        from longtail.spark.embedding import SparkEncoder

        return SparkEncoder(spark, self.model, device=self.device, batch_size=self.batch_size).encode


class FakeEmbeddingModelResource(EmbeddingModelResource):
    """Deterministic hashed bag of words, for tests: no torch, no model files, the same methods.

    Each lower-cased word adds +1 or -1 (by a CRC-32 bit) to one of ``dim`` coordinates (by its CRC-32), and the
    vector is L2-normalised, so texts sharing words have a high cosine and the vectors are the same in every
    process. A text without any word is hashed whole, so every vector has unit length.
    """

    dim: int = 32

    def model_name(self) -> str:
        return f"fake-hashed-bag-of-words-{self.dim}"

    def device_name(self) -> str:
        return "cpu"

    def spark_encoder(self, spark) -> Callable[[Sequence[str]], np.ndarray]:
        """``encode`` itself: hashing has no model to distribute."""
        return self.encode

    def encode(self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("texts must be a sequence of strings, not one string")
        texts = list(texts)
        if not all(isinstance(text, str) for text in texts):
            raise TypeError("texts must all be strings")
        if self.dim < 1 or self.batch_size < 1:
            raise ValueError(f"dim and batch_size must be positive, got {self.dim} and {self.batch_size}")
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()) or [text]:
                code = zlib.crc32(word.encode())
                vectors[row, code % self.dim] += 1.0 if code & (1 << 31) else -1.0
            # Report as the real model does: after each batch.
            if progress is not None and (row + 1 == len(texts) or (row + 1) % self.batch_size == 0):
                progress(row + 1, len(texts))
        # Words may cancel out exactly; such a text gets the first axis rather than a zero vector.
        vectors[np.linalg.norm(vectors, axis=1) == 0, 0] = 1.0
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


class GeneratorResource(dg.ConfigurableResource):
    """Where published descriptions come from, and the small instruction-tuned language model that can write them
    (see ``longtail.language.generation.TextGenerator``).

    ``source`` is "facts" (the default: grounded texts, ``longtail.language.grounded``, no model loaded) or "model"
    (guarded model outputs, grounded texts where the guard rejects them); ``docs/faithfulness.md`` says why.
    ``model`` is "default" (the packaged SmolLM2-135M-Instruct GGUF, no network needed), a local folder or
    ``.gguf`` file, or a Hugging Face Hub id; ``device`` "auto", "cpu", "cuda" or "cuda:N"; ``max_new_tokens``
    per output; ``batch_size`` prompts per forward pass; ``items_per_run`` the budget of new generations per
    materialization (the rest wait for the next run, tail items first).
    """

    source: str = "facts"
    model: str = "default"
    device: str = "auto"
    max_new_tokens: int = generation.DEFAULT_MAX_NEW_TOKENS
    batch_size: int = generation.DEFAULT_BATCH_SIZE
    items_per_run: int = 100

    _generator: object = PrivateAttr(default=None)

    def text_generator(self) -> generation.TextGenerator:
        """The generator, created once per resource instance; its weights load on the first ``generate``."""
        if self._generator is None:
            self._generator = generation.TextGenerator(
                model=self.model, device=self.device, max_new_tokens=self.max_new_tokens, batch_size=self.batch_size
            )
        return self._generator

    def model_name(self) -> str:
        return self.text_generator().model_name

    def settings(self) -> dict[str, object]:
        """The settings that change outputs (part of each prompt's cache key)."""
        return self.text_generator().settings

    def generate(
        self, prompts: Sequence[Sequence[dict[str, str]]], progress: Callable[[int, int], None] | None = None
    ) -> list[str]:
        """The raw completion of each prompt (chat messages from ``longtail.language.prompts.build_prompt``)."""
        return self.text_generator().generate(prompts, progress=progress)


class FakeGeneratorResource(GeneratorResource):
    """For tests: no model. Writes "Description: {title}, a {category} product. Ad: Discover {title}." from the
    facts in the prompt, and echoes the first review highlight when ``echo_reviews`` is set, so that tests can
    push invented facts or injected instructions through the guard."""

    echo_reviews: bool = False

    def model_name(self) -> str:
        return "fake-template-generator"

    def settings(self) -> dict[str, object]:
        return {"echo_reviews": self.echo_reviews}

    def generate(
        self, prompts: Sequence[Sequence[dict[str, str]]], progress: Callable[[int, int], None] | None = None
    ) -> list[str]:
        outputs = []
        for prompt in prompts:
            facts = dict(_FACT_LINE.findall(next(m["content"] for m in reversed(prompt) if m["role"] == "user")))
            title, category = facts.get("Title", "This item"), facts.get("Category", "catalogue")
            echoed = f" {facts['Reviews say'].split(';')[0]}." if self.echo_reviews and "Reviews say" in facts else ""
            outputs.append(f" {title}, a {category} product chosen for everyday use.{echoed}\nAd: Discover {title}.")
        if progress is not None:
            progress(len(prompts), len(prompts))
        return outputs
