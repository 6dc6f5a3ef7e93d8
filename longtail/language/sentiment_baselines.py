"""Review sentiment without longtail's trained model: a zero-shot model for shops without star ratings, and VADER,
the lexicon baseline the trained model is compared with."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from longtail.language.reviews import LABELS, labels_and_scores
from longtail.language.sentence_features import Encode, encode_distinct, vader_analyzer
from longtail.validation import checked_texts

VADER_THRESHOLD = 0.05
# Label-prototype sentences for the zero-shot fallback: generic shop-review phrasing, no product domain.
ZERO_SHOT_PROTOTYPES = {
    "negative": (
        "This is terrible, I am very disappointed.",
        "It broke after a week, a waste of money.",
        "Poor quality, I returned it.",
        "Do not buy this, it does not work.",
        "Awful, I regret buying it.",
    ),
    "neutral": (
        "It is okay, nothing special.",
        "Average, some good points and some bad.",
        "It's fine but I expected more.",
        "Decent but not great.",
        "Mixed feelings about this one.",
    ),
    "positive": (
        "Excellent, I love it.",
        "Works great, highly recommend.",
        "Perfect, exactly what I wanted.",
        "Great quality and a good price.",
        "Very happy with this purchase.",
    ),
}


class ZeroShotSentiment:
    """Sentiment without training labels: softmax over the cosines between a text's embedding and each label's
    prototype centroid (the mean of ``prototypes[label]`` embeddings), divided by ``temperature``. ``encode`` must
    return unit-length rows (as ``EmbeddingModelResource.encode`` does)."""

    def __init__(
        self, encode: Encode, prototypes: dict[str, Sequence[str]] = ZERO_SHOT_PROTOTYPES, temperature: float = 0.02
    ):
        if set(prototypes) != set(LABELS) or not all(prototypes[label] for label in LABELS):
            raise ValueError(f"prototypes must give at least one sentence for each of {LABELS}")
        if not temperature > 0:
            raise ValueError(f"temperature must be > 0, got {temperature!r}")
        self.encode = encode
        self.temperature = temperature
        centroids = np.stack(
            [np.asarray(encode(list(prototypes[label])), dtype=np.float64).mean(0) for label in LABELS]
        )
        self.centroids = centroids / np.linalg.norm(centroids, axis=1, keepdims=True)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """``float64`` array ``(len(texts), 3)``, columns in ``LABELS`` order."""
        texts = checked_texts(texts)
        if not texts:
            return np.empty((0, len(LABELS)))
        logits = encode_distinct(texts, self.encode) @ self.centroids.T / self.temperature
        logits -= logits.max(axis=1, keepdims=True)
        proba = np.exp(logits)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(labels, scores)`` as ``SentimentModel.predict``."""
        return labels_and_scores(self.predict_proba(texts))


def vader_predict(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """VADER's verdict per text: ``(labels, compound)``, label "positive" when compound >= 0.05, "negative" when
    <= -0.05, else "neutral"; compound is ``float64`` in [-1, 1]."""
    texts = checked_texts(texts)
    compound = np.array([vader_analyzer().polarity_scores(text)["compound"] for text in texts], dtype=np.float64)
    labels = np.select(
        [compound >= VADER_THRESHOLD, compound <= -VADER_THRESHOLD], ["positive", "negative"], default="neutral"
    ).astype(object)
    return labels, compound
