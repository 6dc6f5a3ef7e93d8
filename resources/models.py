"""The sentence embedding model as a Dagster resource, and a torch-free fake with the same methods for tests."""

import re
import zlib
from collections.abc import Callable, Sequence

import dagster as dg
import numpy as np
from pydantic import PrivateAttr

from longtail import embedding

_WORD = re.compile(r"\w+")


class EmbeddingModelResource(dg.ConfigurableResource):
    """A sentence-transformers model that turns texts into unit-length ``float32`` vectors.

    ``model`` is "default" (the packaged all-MiniLM-L6-v2, 384-d, no network needed), a local model folder or a
    Hugging Face Hub id (which needs network access); ``device`` is "auto", "cpu", "cuda" or "cuda:N" (see
    ``longtail.embedding.pick_device``); ``batch_size`` is texts per forward pass. The model is loaded on the
    first ``encode`` and kept for the life of the resource instance (one step).
    """

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
        ``progress(done, total)`` is called as texts are done (see ``longtail.embedding.encode_texts``)."""
        if self._encoder is None:
            self._encoder = embedding.load_encoder(self.model, self.device)
        return embedding.encode_texts(self._encoder, texts, batch_size=self.batch_size, progress=progress)


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
