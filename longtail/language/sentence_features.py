"""Review features built from sentences, for ``longtail.language.sentiment_model.SentimentModel``.

A review is split into its sentences (``longtail.language.reviews.review_sentences``), each embedded by an
``encode`` callable (e.g. MiniLM). Sentences, not whole reviews, are embedded because one complaint in a long,
otherwise friendly review is lost in a whole-review embedding, and MiniLM reads only a review's first 256 word
pieces. ``EncodedReviews`` holds the sentence vectors and VADER scores of a batch of reviews and summarises a
sentence classifier's verdicts over each review (``SENTENCE_SUMMARY``); VADER adds a lexicon prior that a few
hundred negative training reviews cannot learn on their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from longtail.language.reviews import SENTENCE_END, review_sentences

SENTENCE_SUMMARY = (
    "mean_score",
    "lowest_score",
    "highest_score",
    "highest_p_negative",
    "mean_p_neutral",
    "last_score",
)

Encode = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class EncodedReviews:
    """Reviews as sentence embeddings: ``vectors`` ``(m, dim)``, one row per sentence, a review's sentences in reading
    order; ``review`` ``(m,)`` the review (0..n-1) of each sentence; ``vader`` ``(n, 6)``, see ``vader_features``."""

    vectors: np.ndarray
    review: np.ndarray
    vader: np.ndarray

    @classmethod
    def of(cls, texts: list[str], encode: Encode) -> EncodedReviews:
        """``texts`` split by ``review_sentences``, with ``encode`` called once on the distinct sentences."""
        sentences = [review_sentences(text) for text in texts]
        review = np.repeat(np.arange(len(texts)), [len(pieces) for pieces in sentences])
        vectors = encode_distinct([sentence for pieces in sentences for sentence in pieces], encode)
        return cls(vectors, review, vader_features(texts))

    def subset(self, rows: np.ndarray) -> EncodedReviews:
        """The reviews at positions ``rows``, renumbered 0..len(rows)-1 in that order."""
        position = np.full(len(self.vader), -1)
        position[rows] = np.arange(len(rows))
        kept = position[self.review] >= 0
        return EncodedReviews(self.vectors[kept], position[self.review[kept]], self.vader[rows])

    def summary(self, sentence_classifier) -> np.ndarray:
        """``(n, len(SENTENCE_SUMMARY))``: the classifier's verdicts on each review's sentences, summarised."""
        proba = sentence_classifier.predict_proba(self.vectors)
        score = proba[:, 2] - proba[:, 0]
        n = len(self.vader)
        counts = np.bincount(self.review, minlength=n)
        lowest, highest, highest_negative = np.full(n, np.inf), np.full(n, -np.inf), np.zeros(n)
        np.minimum.at(lowest, self.review, score)
        np.maximum.at(highest, self.review, score)
        np.maximum.at(highest_negative, self.review, proba[:, 0])
        last = np.zeros(n, dtype=np.int64)
        np.maximum.at(last, self.review, np.arange(len(score)))
        return np.column_stack(
            [
                np.bincount(self.review, score, n) / counts,
                lowest,
                highest,
                highest_negative,
                np.bincount(self.review, proba[:, 1], n) / counts,
                score[last],
            ]
        )

    def review_features(self, verdicts: np.ndarray) -> np.ndarray:
        """``(n, dim + 6 + len(SENTENCE_SUMMARY))``: the unit-length mean sentence embedding, VADER, ``verdicts``."""
        summed = np.zeros((len(self.vader), self.vectors.shape[1]))
        np.add.at(summed, self.review, self.vectors)
        norms = np.linalg.norm(summed, axis=1, keepdims=True)
        return np.hstack([summed / np.where(norms > 0, norms, 1.0), self.vader, verdicts])


def encode_distinct(texts: list[str], encode: Encode) -> np.ndarray:
    """``encode`` called once on the distinct texts (5-core data repeats many), laid out back on ``texts``."""
    distinct, positions = np.unique(np.asarray(texts, dtype=object), return_inverse=True)
    vectors = np.asarray(encode(distinct.tolist()), dtype=np.float64)
    if vectors.ndim != 2 or vectors.shape[0] != len(distinct):
        raise ValueError(f"encode returned shape {vectors.shape} for {len(distinct)} texts; expected (n, dim)")
    return vectors[positions]


def vader_features(texts: list[str]) -> np.ndarray:
    """``(n, 6)``: VADER's compound, positive, negative and neutral scores of each whole text, then the lowest and
    highest compound of its sentences (0.0 for a text without any)."""
    analyzer = vader_analyzer()
    features = np.empty((len(texts), 6))
    for row, text in enumerate(texts):
        scores = analyzer.polarity_scores(text)
        sentences = [
            analyzer.polarity_scores(sentence)["compound"] for sentence in SENTENCE_END.split(text) if sentence
        ] or [0.0]
        features[row] = (
            scores["compound"],
            scores["pos"],
            scores["neg"],
            scores["neu"],
            min(sentences),
            max(sentences),
        )
    return features


@lru_cache(maxsize=1)
def vader_analyzer():
    """VADER's analyzer, built once: loading its lexicon takes a while."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()
