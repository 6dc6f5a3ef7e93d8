"""longtail's review-sentiment classifier, trained on the data's own star ratings (``longtail.language.reviews``).

``SentimentModel`` is an equal-weight ensemble of two multinomial logistic regressions, both with balanced class
weights (neutral and negative reviews are rare):

- sentence-level features (``longtail.language.sentence_features``): the mean of the embeddings of the review's
  sentences; a sentence classifier's verdicts (trained on the review's label for each of its sentences) summarised
  over the review: mean, lowest and highest score, highest P(negative), mean P(neutral) and the last sentence's
  score; and VADER scores of the whole review and of its most negative and most positive sentence;
- TF-IDF of word 1-2-grams and character 2-5-grams, which catch negations ("not worth"), misspellings and
  domain words.

The sentence summaries of the training reviews come from sentence classifiers fitted on the other folds (grouped by
item), so that the review classifier learns from verdicts as unreliable as those it will see on new reviews.
An additive log-odds bias on "neutral" is then tuned for 3-class macro-F1 on out-of-fold predictions of the training
reviews (folds grouped by item, so that no item is on both sides of a fold); the evaluation slice is never used.
Scores are ``P(positive) - P(negative)`` in [-1, 1].

Heavy libraries (scikit-learn, joblib) are imported inside the functions that use them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from longtail.files import replacing
from longtail.language.reviews import LABELS, labels_and_scores, normalise_text
from longtail.language.sentence_features import SENTENCE_SUMMARY, Encode, EncodedReviews
from longtail.language.sentiment_metrics import sentiment_metrics
from longtail.validation import checked_texts

# Reviews scored at a time by SentimentModel.predict_proba: about 5 sentences each, 3 KiB per 384-dim sentence.
PREDICT_BATCH = 20_000
MODEL_FORMAT = 2
# Candidate neutral biases (added to log P(neutral)); a wide grid, since balanced weights may over- or under-call it.
NEUTRAL_BIAS_GRID = np.round(np.linspace(-1.5, 1.5, 31), 2)


class SentimentModel:
    """Three-class review sentiment trained on rating-derived labels (see the module docstring for the design).

    ``c_sentence``, ``c_embedding`` and ``c_tfidf`` are the inverse L2 strengths of the sentence classifier and of
    the two review classifiers; ``n_folds`` the item-grouped folds used to tune the neutral bias and to give the
    training reviews out-of-fold sentence verdicts (fewer when the data cannot fill them; in-sample verdicts and no
    bias below 2); ``n_jobs`` the processes that run a training stage's independent fits at once (joblib's
    convention: -1 all cores, None one).
    After ``fit``: ``version`` (16 hex digits of a hash of settings, encoder name and training texts + labels) and
    ``training_figures`` (JSON-ready: n per class, out-of-fold validation figures, the chosen bias).
    """

    def __init__(
        self,
        c_sentence: float = 0.5,
        c_embedding: float = 0.5,
        c_tfidf: float = 1.0,
        n_folds: int = 5,
        random_state: int = 0,
        n_jobs: int | None = -1,
    ):
        for name, value in (("c_sentence", c_sentence), ("c_embedding", c_embedding), ("c_tfidf", c_tfidf)):
            if not value > 0:
                raise ValueError(f"{name} must be > 0, got {value!r}")
        if isinstance(n_folds, bool) or not isinstance(n_folds, int) or n_folds < 2:
            raise ValueError(f"n_folds must be an integer >= 2, got {n_folds!r}")
        self.c_sentence = c_sentence
        self.c_embedding = c_embedding
        self.c_tfidf = c_tfidf
        self.n_folds = n_folds
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.encoder_name: str | None = None
        self.neutral_bias = 0.0
        self.version: str | None = None
        self.training_figures: dict = {}
        self._parts: dict | None = None

    def settings(self) -> dict:
        """The constructor arguments that shape the model, JSON-ready (``n_jobs`` only sets how fast it is fitted)."""
        return {
            "c_sentence": self.c_sentence,
            "c_embedding": self.c_embedding,
            "c_tfidf": self.c_tfidf,
            "n_folds": self.n_folds,
            "random_state": self.random_state,
        }

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        encode: Encode,
        *,
        groups: Sequence | None = None,
        encoder_name: str = "unnamed encoder",
    ) -> SentimentModel:
        """Train on ``texts`` (non-empty strings) with ``labels`` (each in ``LABELS``, all three present).

        ``encode`` maps a list of texts to a ``(n, dim)`` float array (called once, on the distinct sentences);
        ``groups`` (e.g. item ids) keeps each group within one validation fold, default one group per text;
        ``encoder_name`` names the encoder in the version. Returns ``self``.
        """
        texts = checked_texts(texts)
        labels = np.asarray(labels, dtype=object)
        if len(labels) != len(texts):
            raise ValueError(f"labels has {len(labels)} entries for {len(texts)} texts")
        unknown = set(labels) - set(LABELS)
        if unknown:
            raise ValueError(f"labels must be in {LABELS}; got {sorted(map(str, unknown))}")
        missing = set(LABELS) - set(labels)
        if missing:
            raise ValueError(f"labels must hold all of {LABELS}; missing {sorted(missing)}")
        groups = np.arange(len(texts)) if groups is None else np.asarray(groups, dtype=object)
        if len(groups) != len(texts):
            raise ValueError(f"groups has {len(groups)} entries for {len(texts)} texts")
        from joblib import Parallel, delayed, effective_n_jobs

        y = np.array([LABELS.index(label) for label in labels])
        encoded = EncodedReviews.of(texts, encode)
        folds = self._folds(y, groups)
        # Each stage's fits (on all reviews, and on each fold's other reviews) are independent: they run in parallel.
        with Parallel(n_jobs=min(effective_n_jobs(self.n_jobs), len(folds) + 1)) as parallel:
            sentence_classifier, *fold_classifiers = parallel(
                delayed(self._fit_sentence_classifier)(reviews, review_labels)
                for reviews, review_labels in [(encoded, y), *((encoded.subset(fit), y[fit]) for fit, _ in folds)]
            )
            verdicts = np.zeros((len(texts), len(SENTENCE_SUMMARY)))
            for (_, held_rows), classifier in zip(folds, fold_classifiers):
                verdicts[held_rows] = encoded.subset(held_rows).summary(classifier)
            if not folds:
                verdicts = encoded.summary(sentence_classifier)
            features = encoded.review_features(verdicts)
            parts, *held_proba = parallel(
                [delayed(self._fit_parts)(texts, features, y)]
                + [delayed(self._held_out_proba)(texts, features, y, fit, held) for fit, held in folds]
            )
        validation = self._tune_neutral_bias(y, folds, held_proba)
        self._parts = {"sentence_classifier": sentence_classifier, **parts}
        self.encoder_name = encoder_name
        data_hash = hashlib.sha256(
            "\n".join(sorted(f"{label}\t{normalise_text(text)}" for text, label in zip(texts, labels))).encode()
        ).hexdigest()
        identity = {"format": MODEL_FORMAT, "settings": self.settings(), "encoder": encoder_name, "data": data_hash}
        self.version = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]
        self.training_figures = {
            "n_train": len(texts),
            "n_per_class": {label: int((labels == label).sum()) for label in LABELS},
            "neutral_bias": self.neutral_bias,
            "validation": validation,
        }
        return self

    def predict_proba(self, texts: Sequence[str], encode: Encode) -> np.ndarray:
        """``float64`` array ``(len(texts), 3)``, columns in ``LABELS`` order, rows summing to 1. ``encode`` must be
        the encoder the model was trained with. Each distinct text is scored once (5-core data repeats a review on
        every variant of a product), ``PREDICT_BATCH`` texts at a time, so that the sentence vectors held at once
        stay bounded however many reviews a shop has."""
        if self._parts is None:
            raise ValueError("the model is not fitted; call fit or load first")
        texts = checked_texts(texts)
        distinct, positions = np.unique(np.asarray(texts, dtype=object), return_inverse=True)
        distinct = distinct.tolist()
        proba = np.empty((len(distinct), len(LABELS)))
        for start in range(0, len(distinct), PREDICT_BATCH):
            batch = distinct[start : start + PREDICT_BATCH]
            encoded = EncodedReviews.of(batch, encode)
            features = encoded.review_features(encoded.summary(self._parts["sentence_classifier"]))
            proba[start : start + len(batch)] = _ensemble_proba(self._parts, batch, features)
        return _with_neutral_bias(proba[positions.reshape(-1)], self.neutral_bias)

    def predict(self, texts: Sequence[str], encode: Encode) -> tuple[np.ndarray, np.ndarray]:
        """``(labels, scores)``: the most probable label per text (object array of ``LABELS`` strings) and
        ``P(positive) - P(negative)`` in [-1, 1] (``float64``)."""
        return labels_and_scores(self.predict_proba(texts, encode))

    def save(self, path: str | Path) -> None:
        """Write the fitted model (scikit-learn parts, settings, version, figures; no encoder) with joblib."""
        import joblib

        if self._parts is None:
            raise ValueError("the model is not fitted; nothing to save")
        state = {
            "format": MODEL_FORMAT,
            "settings": self.settings(),
            "encoder_name": self.encoder_name,
            "neutral_bias": self.neutral_bias,
            "version": self.version,
            "training_figures": self.training_figures,
            "parts": self._parts,
        }
        # Written whole: a retrain on unchanged data has the same version, so it overwrites the file that the
        # sentiment_models table already points at.
        with replacing(path) as temporary:
            joblib.dump(state, temporary)

    @classmethod
    def load(cls, path: str | Path) -> SentimentModel:
        """A model written by ``save``. Raises ``ValueError`` for a file of another format."""
        import joblib

        state = joblib.load(Path(path))
        if not isinstance(state, dict) or state.get("format") != MODEL_FORMAT:
            raise ValueError(
                f"{path} is not a SentimentModel file of format {MODEL_FORMAT} (perhaps from an older longtail): "
                "train a new model, e.g. materialize sentiment_model"
            )
        model = cls(**state["settings"])
        model.encoder_name = state["encoder_name"]
        model.neutral_bias = state["neutral_bias"]
        model.version = state["version"]
        model.training_figures = state["training_figures"]
        model._parts = state["parts"]
        return model

    def _fit_sentence_classifier(self, encoded: EncodedReviews, review_labels: np.ndarray):
        """Logistic regression from sentence embedding to the label of the sentence's review."""
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=self.c_sentence, class_weight="balanced", max_iter=3000).fit(
            encoded.vectors, review_labels[encoded.review]
        )

    def _fit_parts(self, texts: list[str], features: np.ndarray, y: np.ndarray) -> dict:
        """The fitted TF-IDF vectorizer and the two review classifiers."""
        from sklearn.linear_model import LogisticRegression

        tfidf = _tfidf_vectorizer()
        # fit_transform analyses each text once; fit then transform analysed it twice, for the same matrix.
        weights = tfidf.fit_transform(texts)
        return {
            "tfidf": tfidf,
            "tfidf_classifier": LogisticRegression(C=self.c_tfidf, class_weight="balanced", max_iter=3000).fit(
                weights, y
            ),
            "embedding_classifier": LogisticRegression(C=self.c_embedding, class_weight="balanced", max_iter=3000).fit(
                features, y
            ),
        }

    def _folds(self, y: np.ndarray, groups: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Stratified ``(fit rows, held rows)`` folds with each group in one fold: ``n_folds`` of them, fewer when the
        smallest class or the number of groups is smaller, none when that leaves fewer than 2."""
        from sklearn.model_selection import StratifiedGroupKFold

        smallest_class = int(np.bincount(y, minlength=len(LABELS)).min())
        n_folds = min(self.n_folds, smallest_class, len(set(groups)))
        if n_folds < 2:
            return []
        folds = StratifiedGroupKFold(n_folds, shuffle=True, random_state=self.random_state)
        return list(folds.split(np.zeros(len(y)), y, groups))

    def _held_out_proba(
        self, texts: list[str], features: np.ndarray, y: np.ndarray, fit_rows: np.ndarray, held_rows: np.ndarray
    ) -> np.ndarray:
        """``(len(held_rows), 3)``: the review classifiers fitted on ``fit_rows``, predicting ``held_rows``."""
        parts = self._fit_parts([texts[i] for i in fit_rows], features[fit_rows], y[fit_rows])
        return _ensemble_proba(parts, [texts[i] for i in held_rows], features[held_rows])

    def _tune_neutral_bias(
        self, y: np.ndarray, folds: list[tuple[np.ndarray, np.ndarray]], held_proba: list[np.ndarray]
    ) -> dict | None:
        """Choose ``neutral_bias`` on the out-of-fold predictions ``held_proba`` (one array per fold, see
        ``_held_out_proba``); returns the validation figures, or None (bias 0) without folds. The sentence verdicts
        in the features are out-of-fold already (from the same folds), so each fold refits only the review
        classifiers; the fit rows' verdicts come from sentence classifiers that saw the held fold, a slight
        optimism in figures that only choose the bias (nesting the refits took 54 s more)."""
        self.neutral_bias = 0.0
        if not folds:
            return None
        out_of_fold = np.zeros((len(y), len(LABELS)))
        for (_, held_rows), proba in zip(folds, held_proba):
            out_of_fold[held_rows] = proba
        true = np.asarray(LABELS, dtype=object)[y]

        def figures(bias: float) -> dict:
            labels, scores = labels_and_scores(_with_neutral_bias(out_of_fold, bias))
            return sentiment_metrics(true, labels, binary_pred=np.where(scores >= 0, "positive", "negative"))

        by_bias = {float(bias): figures(bias) for bias in NEUTRAL_BIAS_GRID}
        # Ties go to the bias closest to 0, the untuned model.
        self.neutral_bias = max(by_bias, key=lambda bias: (by_bias[bias]["macro_f1_3class"], -abs(bias)))
        return {
            "method": f"out-of-fold, {len(folds)} folds grouped by item",
            "unbiased": by_bias[0.0],
            "chosen": by_bias[self.neutral_bias],
        }


def _tfidf_vectorizer():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_union

    return make_union(
        TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True, max_features=100_000),
    )


def _ensemble_proba(parts: dict, texts: list[str], features: np.ndarray) -> np.ndarray:
    """Mean of the two review classifiers' probabilities, ``(n, 3)``; ``features`` as ``review_features`` gives them."""
    tfidf_proba = parts["tfidf_classifier"].predict_proba(parts["tfidf"].transform(texts))
    return (tfidf_proba + parts["embedding_classifier"].predict_proba(features)) / 2


def _with_neutral_bias(proba: np.ndarray, bias: float) -> np.ndarray:
    """Multiply P(neutral) by ``exp(bias)`` and renormalise; the ratio P(positive) / P(negative) is unchanged."""
    weighted = proba * np.exp(np.array([0.0, bias, 0.0]))
    return weighted / weighted.sum(axis=1, keepdims=True)
