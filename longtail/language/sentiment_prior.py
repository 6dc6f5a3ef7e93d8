"""A general review-sentiment prior, shipped with the project, for shops with too few rated reviews of their own.

A shop's own model (``longtail.language.sentiment_model``) learns little from 1,609 reviews of which 41 are not
positive, and then is no better than VADER. ``SentimentPrior`` is trained once, on openly licensed rated reviews
from outside any shop (``scripts/build_sentiment_prior.py`` rebuilds it), and stored as a small JSON file
(``PRIOR_PATH``: the weights of one multinomial logistic regression). Its features are those the shop model starts
from: the unit-length mean of a review's sentence embeddings and six VADER scores
(``longtail.language.sentence_features.EncodedReviews``), so it is valid only with the encoder it was trained with
(``encoder``).

``longtail.language.sentiment_evaluation`` chooses per shop, on a validation slice, between this prior, the
shop's own ("adapted") model and their blend (the mean of the two probability vectors).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from longtail.files import write_text_whole
from longtail.language.reviews import LABELS
from longtail.language.sentence_features import Encode, EncodedReviews
from longtail.validation import checked_texts

PRIOR_PATH = Path(__file__).with_name("priors") / "review_sentiment_prior.json"
PRIOR_FORMAT = 1
# Inverse L2 strengths tried by cross-validation on the training corpus (never on a shop).
C_GRID = (0.3, 1.0, 3.0)


@dataclass(frozen=True)
class SentimentPrior:
    """A fitted prior: ``coef`` ``(3, n_features)`` and ``intercept`` ``(3,)`` over ``LABELS`` (negative, neutral,
    positive); ``encoder`` the sentence encoder its features need; ``training`` what it was trained on and how C was
    chosen (JSON-ready); ``version`` 16 hex digits of a hash of all of it."""

    coef: np.ndarray
    intercept: np.ndarray
    encoder: str
    training: dict
    version: str

    def predict_proba(self, texts: Sequence[str], encode: Encode) -> np.ndarray:
        """``(n, 3)`` probabilities of ``LABELS`` for each of ``texts`` (non-empty strings); ``encode`` must be the
        prior's ``encoder``."""
        return self.proba_of(prior_features(checked_texts(texts), encode))

    def proba_of(self, features: np.ndarray) -> np.ndarray:
        """``(n, 3)`` probabilities from ``prior_features`` ``(n, n_features)``."""
        if features.shape[1] != self.coef.shape[1]:
            raise ValueError(
                f"the prior takes {self.coef.shape[1]} features ({self.encoder}); got {features.shape[1]}: "
                "the encoder differs from the one it was trained with"
            )
        logits = features @ self.coef.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        proba = np.exp(logits)
        return proba / proba.sum(axis=1, keepdims=True)

    def save(self, path: Path) -> None:
        """Write the prior as JSON (weights rounded to 6 significant digits, a few hundred KB at most)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "format": PRIOR_FORMAT,
            "version": self.version,
            "labels": list(LABELS),
            "encoder": self.encoder,
            "training": self.training,
            "coef": [[float(f"{w:.6g}") for w in row] for row in self.coef],
            "intercept": [float(f"{w:.6g}") for w in self.intercept],
        }
        write_text_whole(path, json.dumps(payload, indent=1) + "\n")


def load_prior(path: Path = PRIOR_PATH) -> SentimentPrior:
    """The prior stored at ``path`` (by default the one shipped with the project); ``ValueError`` naming the file
    when it is not a prior of this format."""
    try:
        payload = json.loads(Path(path).read_text())
        if payload.get("format") != PRIOR_FORMAT or payload.get("labels") != list(LABELS):
            raise ValueError(f"format {payload.get('format')!r} and labels {payload.get('labels')!r}")
        coef, intercept = np.asarray(payload["coef"], dtype=np.float64), np.asarray(payload["intercept"])
        if coef.ndim != 2 or coef.shape[0] != len(LABELS) or intercept.shape != (len(LABELS),):
            raise ValueError(f"weights of shape {coef.shape} and {intercept.shape}")
        return SentimentPrior(coef, intercept, payload["encoder"], payload["training"], payload["version"])
    except (OSError, KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{path}: not a sentiment prior of format {PRIOR_FORMAT}: {error}") from error


def prior_features(texts: list[str], encode: Encode) -> np.ndarray:
    """``(n, dim + 6)``: each review's unit-length mean sentence embedding and its VADER scores."""
    return EncodedReviews.of(texts, encode).review_features(np.zeros((len(texts), 0)))


def fit_prior(
    texts: Sequence[str], labels: Sequence[str], encode: Encode, *, encoder: str, corpus: str, c_grid=C_GRID
) -> SentimentPrior:
    """Fit the prior on ``texts`` with ``labels`` (each in ``LABELS``): balanced class weights, C chosen from
    ``c_grid`` by 3-class macro-F1 over 5 stratified folds of these texts. ``corpus`` names the training data in
    ``training``."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    texts = checked_texts(texts)
    labels = np.asarray(labels, dtype=object)
    if len(labels) != len(texts) or set(labels) != set(LABELS):
        raise ValueError(f"need one label per text ({len(labels)} for {len(texts)}), all of {LABELS} present")
    features = prior_features(texts, encode)
    folds = StratifiedKFold(5, shuffle=True, random_state=0)

    def model(c: float) -> LogisticRegression:
        return LogisticRegression(C=c, class_weight="balanced", max_iter=5000)

    scores = {
        c: float(f1_score(labels, cross_val_predict(model(c), features, labels, cv=folds), average="macro"))
        for c in c_grid
    }
    best = max(c_grid, key=lambda c: (scores[c], -c))
    fitted = model(best).fit(features, labels)
    order = [list(fitted.classes_).index(label) for label in LABELS]
    training = {
        "corpus": corpus,
        "n": len(texts),
        "labels": {label: int((labels == label).sum()) for label in LABELS},
        "c": best,
        "cv_macro_f1_3class": {str(c): round(score, 4) for c, score in scores.items()},
    }
    coef, intercept = fitted.coef_[order], fitted.intercept_[order]
    digest = hashlib.sha256(json.dumps([encoder, training, coef.round(6).tolist()]).encode()).hexdigest()[:16]
    return SentimentPrior(coef, intercept, encoder, training, digest)
