"""Review sentiment: a classifier trained on the data's own star ratings, a zero-shot fallback, VADER, evaluation on a
later time slice, and per-item aggregates with aspect phrases.

Labels (``LABELS``): star ratings 1-2 are "negative", 3 "neutral", 4-5 "positive" (``labels_from_ratings``). A
review's text is its title and body (``review_texts``); Amazon's generated titles that only repeat the rating
("Five Stars", "One Star") are left out, because they give the label away and no other shop has them.

``SentimentModel`` is an equal-weight ensemble of two multinomial logistic regressions, both with balanced class
weights (neutral and negative reviews are rare):

- sentence-level features: the mean of the embeddings (the ``encode`` callable, e.g. MiniLM) of the review's
  sentences (``review_sentences``); a sentence classifier's verdicts (trained on the review's label for each of its
  sentences) summarised over the review: mean, lowest and highest score, highest P(negative), mean P(neutral) and
  the last sentence's score; and VADER scores of the whole review and of its most negative and most positive
  sentence. Sentences, not whole reviews, are embedded because one complaint in a long, otherwise friendly review
  is lost in a whole-review embedding, and MiniLM reads only a review's first 256 word pieces. VADER adds a lexicon
  prior that a few hundred negative training reviews cannot learn on their own;
- TF-IDF of word 1-2-grams and character 2-5-grams, which catch negations ("not worth"), misspellings and
  domain words.

The sentence summaries of the training reviews come from sentence classifiers fitted on the other folds (grouped by
item), so that the review classifier learns from verdicts as unreliable as those it will see on new reviews.
An additive log-odds bias on "neutral" is then tuned for 3-class macro-F1 on out-of-fold predictions of the training
reviews (folds grouped by item, so that no item is on both sides of a fold); the evaluation slice is never used.
Scores are ``P(positive) - P(negative)`` in [-1, 1].

Heavy libraries (scikit-learn, vaderSentiment, joblib) are imported inside the functions that use them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from longtail.language import aspects
from longtail.validation import checked_texts, require_columns

LABELS = ("negative", "neutral", "positive")
REVIEW_COLUMNS = ["dataset", "rating", "title", "text", "ts"]
SCORED_REVIEW_COLUMNS = ["dataset", "item_id", "label", "score", "title", "text"]
ITEM_SENTIMENT_COLUMNS = [
    "dataset",
    "item_id",
    "n_reviews",
    "n_positive",
    "n_neutral",
    "n_negative",
    "mean_score",
    "positive_share",
    "wilson_lower",
    "positive_aspects",
    "negative_aspects",
]
SENTENCE_SUMMARY = (
    "mean_score",
    "lowest_score",
    "highest_score",
    "highest_p_negative",
    "mean_p_neutral",
    "last_score",
)
# Reviews scored at a time by SentimentModel.predict_proba: about 5 sentences each, 3 KiB per 384-dim sentence.
PREDICT_BATCH = 20_000
VADER_THRESHOLD = 0.05
WILSON_Z = 1.96
MODEL_FORMAT = 2
# The models evaluate_sentiment scores, longtail's first (see its predictions).
EVALUATED_MODELS = ("longtail", "vader")
# Candidate neutral biases (added to log P(neutral)); a wide grid, since balanced weights may over- or under-call it.
NEUTRAL_BIAS_GRID = np.round(np.linspace(-1.5, 1.5, 31), 2)
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

_RATING_ECHO_TITLE = re.compile(r"(one|two|three|four|five) stars?", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_WHITESPACE = re.compile(r"\s+")

Encode = Callable[[list[str]], np.ndarray]


def labels_from_ratings(ratings: pd.Series) -> pd.Series:
    """Sentiment label per star rating: <= 2 "negative", >= 4 "positive", in between "neutral"; a missing rating gives
    a missing label. Returns an object Series on the index of ``ratings``. Raises ``ValueError`` for ratings outside
    1..5 or not numeric."""
    values = pd.to_numeric(ratings, errors="coerce")
    not_numeric = values.isna() & ratings.notna()
    if not_numeric.any():
        raise ValueError(f"rating must be numeric; got {ratings[not_numeric].iloc[0]!r}")
    outside = values.notna() & ~values.between(1, 5)
    if outside.any():
        raise ValueError(f"rating must lie in 1..5; got {values[outside].iloc[0]!r}")
    labels = pd.Series(np.where(values <= 2, "negative", np.where(values >= 4, "positive", "neutral")), dtype=object)
    return labels.set_axis(ratings.index).where(values.notna(), None)


def review_texts(reviews: pd.DataFrame) -> list[str]:
    """One text per review row: "title. text" with whitespace collapsed, a missing part skipped and a title that only
    repeats the star rating ("Five Stars") dropped; "" when nothing is left. Needs columns ``title`` and ``text``."""
    require_columns(reviews, ["title", "text"], "reviews")
    texts = []
    for title, body in zip(reviews["title"].astype(object), reviews["text"].astype(object)):
        title = _tidy(title)
        if _RATING_ECHO_TITLE.fullmatch(title):
            title = ""
        body = _tidy(body)
        if title and body and not title.endswith((".", "!", "?")):
            title += "."
        texts.append(f"{title} {body}".strip())
    return texts


def review_sentences(text: str) -> list[str]:
    """The sentences of a review text: the pieces between a ".", "!" or "?" and the whitespace after it, stripped and
    of 2 or more characters; ``[text]`` when there is no such piece."""
    return [piece for piece in map(str.strip, _SENTENCE_END.split(text)) if len(piece) > 1] or [text]


def normalise_text(text: str) -> str:
    """The form under which two review texts count as the same: lower case, whitespace collapsed."""
    return _tidy(text).lower()


@dataclass(frozen=True)
class ReviewSplit:
    """Reviews before (``train``) and after (``eval``) a per-dataset time cut, with ``review_text`` (see
    ``review_texts``) and ``label`` columns added, and ``info``: the cut per dataset, sizes, label counts and every
    dropped row counted (JSON-ready)."""

    train: pd.DataFrame
    eval: pd.DataFrame
    info: dict


def temporal_split(reviews: pd.DataFrame, eval_share: float = 0.2) -> ReviewSplit:
    """Split reviews in time, per dataset: the cut is the ``1 - eval_share`` quantile of that dataset's ``ts`` (an
    actual timestamp, the higher one between two, so that all reviews at the cut time go to eval), train is
    ``ts < cut`` and eval ``ts >= cut``, so every train review predates every eval review of its dataset.

    Reviews with no rating or no text are dropped first. Repeated texts (``normalise_text``; 5-core data repeats a
    review on every variant of a product) are kept once per side, the earliest; an eval review whose text also
    occurs in train is dropped, so that no text is on both sides. Needs ``REVIEW_COLUMNS``; ``eval_share`` in (0, 1).
    """
    require_columns(reviews, REVIEW_COLUMNS, "reviews")
    if not 0 < eval_share < 1:
        raise ValueError(f"eval_share must lie strictly between 0 and 1, got {eval_share!r}")
    frame = reviews.assign(
        review_text=review_texts(reviews),
        label=labels_from_ratings(reviews["rating"]),
        ts=pd.to_datetime(reviews["ts"], utc=True),
    )
    if frame["ts"].isna().any():
        raise ValueError(f"ts has {int(frame['ts'].isna().sum())} missing values")
    no_rating = frame["label"].isna()
    no_text = ~no_rating & (frame["review_text"] == "")
    frame = frame[~no_rating & ~no_text]
    frame = frame.assign(_norm=frame["review_text"].map(normalise_text)).sort_values("ts", kind="stable")

    cuts = frame.groupby("dataset")["ts"].quantile(1 - eval_share, interpolation="higher")
    is_eval = frame["ts"] >= frame["dataset"].map(cuts)
    train, evaluation = frame[~is_eval], frame[is_eval]
    train_repeats = train["_norm"].duplicated()
    train = train[~train_repeats]
    in_train = evaluation["_norm"].isin(set(train["_norm"]))
    eval_repeats = ~in_train & evaluation["_norm"].duplicated()
    evaluation = evaluation[~in_train & ~eval_repeats]

    info = {
        "rule": f"per dataset: train ts < cut <= eval ts, cut = {1 - eval_share:.2f} quantile of ts",
        "eval_share": eval_share,
        "datasets": {
            str(name): {
                "cut": cut.isoformat(),
                "n_train": int((train["dataset"] == name).sum()),
                "n_eval": int((evaluation["dataset"] == name).sum()),
            }
            for name, cut in cuts.items()
        },
        "n_train": len(train),
        "n_eval": len(evaluation),
        "dropped_no_rating": int(no_rating.sum()),
        "dropped_no_text": int(no_text.sum()),
        "dropped_train_repeats": int(train_repeats.sum()),
        "dropped_eval_text_in_train": int(in_train.sum()),
        "dropped_eval_repeats": int(eval_repeats.sum()),
        "train_labels": _label_counts(train["label"]),
        "eval_labels": _label_counts(evaluation["label"]),
    }
    return ReviewSplit(train.drop(columns="_norm"), evaluation.drop(columns="_norm"), info)


class SentimentModel:
    """Three-class review sentiment trained on rating-derived labels (see the module docstring for the design).

    ``c_sentence``, ``c_embedding`` and ``c_tfidf`` are the inverse L2 strengths of the sentence classifier and of
    the two review classifiers; ``n_folds`` the item-grouped folds used to tune the neutral bias and to give the
    training reviews out-of-fold sentence verdicts (fewer when the data cannot fill them; in-sample verdicts and no
    bias below 2).
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
        self.encoder_name: str | None = None
        self.neutral_bias = 0.0
        self.version: str | None = None
        self.training_figures: dict = {}
        self._parts: dict | None = None

    def settings(self) -> dict:
        """The constructor arguments, JSON-ready."""
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
        y = np.array([LABELS.index(label) for label in labels])
        encoded = _EncodedReviews.of(texts, encode)
        folds = self._folds(y, groups)
        sentence_classifier = self._fit_sentence_classifier(encoded, y)
        verdicts = np.zeros((len(texts), len(SENTENCE_SUMMARY)))
        for fit_rows, held_rows in folds:
            held = encoded.subset(held_rows)
            verdicts[held_rows] = held.summary(self._fit_sentence_classifier(encoded.subset(fit_rows), y[fit_rows]))
        if not folds:
            verdicts = encoded.summary(sentence_classifier)
        features = encoded.review_features(verdicts)

        validation = self._tune_neutral_bias(texts, features, y, folds)
        self._parts = {"sentence_classifier": sentence_classifier, **self._fit_parts(texts, features, y)}
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
        the encoder the model was trained with. Texts are scored ``PREDICT_BATCH`` at a time, so that the sentence
        vectors held at once stay bounded however many reviews a shop has."""
        if self._parts is None:
            raise ValueError("the model is not fitted; call fit or load first")
        texts = checked_texts(texts)
        proba = np.empty((len(texts), len(LABELS)))
        for start in range(0, len(texts), PREDICT_BATCH):
            batch = texts[start : start + PREDICT_BATCH]
            encoded = _EncodedReviews.of(batch, encode)
            features = encoded.review_features(encoded.summary(self._parts["sentence_classifier"]))
            proba[start : start + len(batch)] = _ensemble_proba(self._parts, batch, features)
        return _with_neutral_bias(proba, self.neutral_bias)

    def predict(self, texts: Sequence[str], encode: Encode) -> tuple[np.ndarray, np.ndarray]:
        """``(labels, scores)``: the most probable label per text (object array of ``LABELS`` strings) and
        ``P(positive) - P(negative)`` in [-1, 1] (``float64``)."""
        return _labels_and_scores(self.predict_proba(texts, encode))

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
        joblib.dump(state, Path(path))

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

    def _fit_sentence_classifier(self, encoded: _EncodedReviews, review_labels: np.ndarray):
        """Logistic regression from sentence embedding to the label of the sentence's review."""
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=self.c_sentence, class_weight="balanced", max_iter=3000).fit(
            encoded.vectors, review_labels[encoded.review]
        )

    def _fit_parts(self, texts: list[str], features: np.ndarray, y: np.ndarray) -> dict:
        """The fitted TF-IDF vectorizer and the two review classifiers."""
        from sklearn.linear_model import LogisticRegression

        tfidf = _tfidf_vectorizer().fit(texts)
        return {
            "tfidf": tfidf,
            "tfidf_classifier": LogisticRegression(C=self.c_tfidf, class_weight="balanced", max_iter=3000).fit(
                tfidf.transform(texts), y
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

    def _tune_neutral_bias(
        self, texts: list[str], features: np.ndarray, y: np.ndarray, folds: list[tuple[np.ndarray, np.ndarray]]
    ) -> dict | None:
        """Choose ``neutral_bias`` on out-of-fold predictions; returns the validation figures, or None (bias 0)
        without folds. The sentence verdicts in ``features`` are out-of-fold already (from the same folds), so each
        fold refits only the review classifiers; the fit rows' verdicts come from sentence classifiers that saw the
        held fold, a slight optimism in figures that only choose the bias (nesting the refits took 54 s more)."""
        self.neutral_bias = 0.0
        if not folds:
            return None
        out_of_fold = np.zeros((len(texts), len(LABELS)))
        for fit_rows, held_rows in folds:
            parts = self._fit_parts([texts[i] for i in fit_rows], features[fit_rows], y[fit_rows])
            out_of_fold[held_rows] = _ensemble_proba(parts, [texts[i] for i in held_rows], features[held_rows])
        true = np.asarray(LABELS, dtype=object)[y]

        def figures(bias: float) -> dict:
            labels, scores = _labels_and_scores(_with_neutral_bias(out_of_fold, bias))
            return sentiment_metrics(true, labels, binary_pred=np.where(scores >= 0, "positive", "negative"))

        by_bias = {float(bias): figures(bias) for bias in NEUTRAL_BIAS_GRID}
        # Ties go to the bias closest to 0, the untuned model.
        self.neutral_bias = max(by_bias, key=lambda bias: (by_bias[bias]["macro_f1_3class"], -abs(bias)))
        return {
            "method": f"out-of-fold, {len(folds)} folds grouped by item",
            "unbiased": by_bias[0.0],
            "chosen": by_bias[self.neutral_bias],
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
        logits = _encode_distinct(texts, self.encode) @ self.centroids.T / self.temperature
        logits -= logits.max(axis=1, keepdims=True)
        proba = np.exp(logits)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(labels, scores)`` as ``SentimentModel.predict``."""
        return _labels_and_scores(self.predict_proba(texts))


def vader_predict(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """VADER's verdict per text: ``(labels, compound)``, label "positive" when compound >= 0.05, "negative" when
    <= -0.05, else "neutral"; compound is ``float64`` in [-1, 1]."""
    texts = checked_texts(texts)
    compound = np.array([_vader().polarity_scores(text)["compound"] for text in texts], dtype=np.float64)
    labels = np.select(
        [compound >= VADER_THRESHOLD, compound <= -VADER_THRESHOLD], ["positive", "negative"], default="neutral"
    ).astype(object)
    return labels, compound


def sentiment_metrics(
    true_labels: Sequence[str], pred_labels: Sequence[str], binary_pred: Sequence[str] | None = None
) -> dict:
    """Macro-F1 figures of predicted against true labels (all in ``LABELS``).

    ``macro_f1_3class``: macro-F1 over the three labels. ``macro_f1_binary``: macro-F1 over "negative" and
    "positive", on the rows whose true label is not neutral, predicted by ``binary_pred`` when given (a forced
    positive/negative call per row) else by ``pred_labels`` (where a neutral prediction counts as wrong).
    ``n_eval``: number of rows. Returns floats rounded to 4 digits.
    """
    from sklearn.metrics import f1_score

    true = np.asarray(true_labels, dtype=object)
    pred = np.asarray(pred_labels, dtype=object)
    binary = pred if binary_pred is None else np.asarray(binary_pred, dtype=object)
    if not len(true) == len(pred) == len(binary):
        raise ValueError(f"lengths differ: {len(true)} true, {len(pred)} predicted, {len(binary)} binary labels")
    for name, values in (("true_labels", true), ("pred_labels", pred), ("binary_pred", binary)):
        unknown = set(values) - set(LABELS)
        if unknown:
            raise ValueError(f"{name} must be in {LABELS}; got {sorted(map(str, unknown))}")
    # Integer codes: scikit-learn is ~20x slower on object arrays, and the neutral-bias search calls this often.
    true, pred, binary = (pd.Categorical(values, categories=LABELS).codes for values in (true, pred, binary))
    negative, neutral, positive = range(len(LABELS))
    polar = true != neutral
    binary_f1 = f1_score(true[polar], binary[polar], labels=[negative, positive], average="macro", zero_division=0)
    return {
        "macro_f1_binary": round(float(binary_f1), 4),
        "macro_f1_3class": round(
            float(f1_score(true, pred, labels=[negative, neutral, positive], average="macro", zero_division=0)), 4
        ),
        "n_eval": len(true),
    }


def evaluate_sentiment(
    reviews: pd.DataFrame,
    encode: Encode,
    *,
    dataset: str,
    encoder_name: str = "unnamed encoder",
    eval_share: float = 0.2,
    max_train_reviews: int | None = None,
    model: SentimentModel | None = None,
) -> tuple[dict, SentimentModel, pd.DataFrame]:
    """Train on the early reviews and compare with VADER on the later ones (``temporal_split``).

    ``reviews`` needs ``REVIEW_COLUMNS`` and ``item_id`` (validation folds are grouped by dataset and item);
    ``dataset`` names the data in the report; ``max_train_reviews`` (None: no limit) caps the training reviews
    with a uniform random sample (seed 0), so that training time stays bounded on a large shop (about 60 ms a
    review on a 2-core CPU, encoding included: ``bench/review_sentiment.py``); ``model`` is an unfitted
    ``SentimentModel`` (default settings when None). Binary predictions: ``P(positive) >= P(negative)`` for the
    model, ``compound >= 0`` for VADER. Returns ``(report, fitted model, predictions)`` with report ``{"dataset",
    "split", "system": "longtail", "models": {"longtail": {...}, "vader": {...}}}``, each model's figures as
    ``sentiment_metrics`` gives them (the split's ``n_train`` and ``train_labels`` count the reviews trained on,
    ``dropped_train_over_cap`` the ones sampled out), and predictions one row per evaluation review:
    ``dataset``, ``label`` (the true one) and, per model, its label and its ``<model>_binary`` call.
    """
    require_columns(reviews, [*REVIEW_COLUMNS, "item_id"], "reviews")
    if max_train_reviews is not None and (
        isinstance(max_train_reviews, bool) or not isinstance(max_train_reviews, int) or max_train_reviews < 1
    ):
        raise ValueError(f"max_train_reviews must be a positive integer or None, got {max_train_reviews!r}")
    split = temporal_split(reviews, eval_share)
    if split.train.empty or split.eval.empty:
        raise ValueError(f"the split left {len(split.train)} training and {len(split.eval)} evaluation reviews")
    model = model if model is not None else SentimentModel()
    train = split.train
    if max_train_reviews is not None and len(train) > max_train_reviews:
        kept = np.random.default_rng(0).choice(len(train), max_train_reviews, replace=False)
        train = train.iloc[np.sort(kept)]
    info = split.info | {
        "n_train": len(train),
        "train_labels": _label_counts(train["label"]),
        "dropped_train_over_cap": len(split.train) - len(train),
    }
    model.fit(
        train["review_text"].tolist(),
        train["label"].tolist(),
        encode,
        groups=(train["dataset"].astype(str) + "\x1f" + train["item_id"].astype(str)).tolist(),
        encoder_name=encoder_name,
    )
    texts = split.eval["review_text"].tolist()
    labels, scores = model.predict(texts, encode)
    vader_labels, compound = vader_predict(texts)
    predictions = pd.DataFrame(
        {
            "dataset": split.eval["dataset"].to_numpy(),
            "label": split.eval["label"].to_numpy(),
            "longtail": labels,
            "longtail_binary": np.where(scores >= 0, "positive", "negative"),
            "vader": vader_labels,
            "vader_binary": np.where(compound >= 0, "positive", "negative"),
        }
    )
    report = {
        "dataset": dataset,
        "split": info,
        "system": "longtail",
        "models": {name: _model_figures(predictions, name) for name in EVALUATED_MODELS},
    }
    return report, model, predictions


def figures_by_dataset(predictions: pd.DataFrame) -> pd.DataFrame:
    """``sentiment_metrics`` per dataset and model of ``evaluate_sentiment``'s predictions: one row per dataset,
    columns ``dataset`` then ``<model> binary``, ``<model> 3-class`` per model and ``n_eval``."""
    rows = []
    for dataset, group in predictions.groupby("dataset", sort=True):
        row = {"dataset": dataset}
        for name in EVALUATED_MODELS:
            figures = _model_figures(group, name)
            row |= {f"{name} binary": figures["macro_f1_binary"], f"{name} 3-class": figures["macro_f1_3class"]}
        rows.append(row | {"n_eval": len(group)})
    return pd.DataFrame(rows)


def confusion_counts(true_labels: Sequence[str], pred_labels: Sequence[str]) -> pd.DataFrame:
    """``(3, 3)`` counts of reviews, rows the true label and columns the predicted one, both in ``LABELS`` order."""
    table = pd.crosstab(
        pd.Categorical(true_labels, categories=LABELS), pd.Categorical(pred_labels, categories=LABELS), dropna=False
    )
    return table.rename_axis(index="true", columns="predicted")


def _model_figures(predictions: pd.DataFrame, name: str) -> dict:
    return sentiment_metrics(predictions["label"], predictions[name], predictions[f"{name}_binary"])


def item_sentiment(scored_reviews: pd.DataFrame, n_aspects: int = 3) -> pd.DataFrame:
    """Aggregate scored reviews into one row per ``(dataset, item_id)`` with ``ITEM_SENTIMENT_COLUMNS``.

    ``scored_reviews`` needs ``SCORED_REVIEW_COLUMNS`` (``label`` in ``LABELS``, ``score`` in [-1, 1]). Per item:
    counts per label, ``mean_score``, ``positive_share`` (positive / all reviews), ``wilson_lower`` (lower bound of
    the 95% Wilson interval of positive / (positive + negative); 0.0 without any polar review) and up to
    ``n_aspects`` ``positive_aspects`` / ``negative_aspects`` (lists of str; see ``longtail.language.aspects``): phrases of the
    item's positive reviews contrasted with its negative ones, or with the dataset's negative reviews when the item
    has none (and the other way round), with the dataset's reviews as prior. Sorted by dataset and item_id.
    """
    require_columns(scored_reviews, SCORED_REVIEW_COLUMNS, "scored_reviews")
    unknown = set(scored_reviews["label"]) - set(LABELS)
    if unknown:
        raise ValueError(f"label must be in {LABELS}; got {sorted(map(str, unknown))}")
    if scored_reviews["item_id"].isna().any():
        raise ValueError("item_id has missing values")
    rows = []
    for dataset, reviews in scored_reviews.groupby("dataset", sort=True):
        rows.extend(_dataset_item_rows(dataset, reviews.reset_index(drop=True), n_aspects))
    return pd.DataFrame(rows, columns=ITEM_SENTIMENT_COLUMNS)


def wilson_lower_bound(successes: np.ndarray, trials: np.ndarray, z: float = WILSON_Z) -> np.ndarray:
    """Lower bound of the Wilson score interval for ``successes / trials`` (arrays of counts, broadcast); 0.0 where
    ``trials`` is 0."""
    successes = np.asarray(successes, dtype=np.float64)
    trials = np.asarray(trials, dtype=np.float64)
    if np.any(successes < 0) or np.any(successes > trials):
        raise ValueError("successes must lie between 0 and trials")
    n = np.maximum(trials, 1.0)
    p = successes / n
    centre = p + z * z / (2 * n)
    margin = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    # Clipped at 0: with no successes the bound is 0 up to float rounding.
    return np.where(trials > 0, np.maximum((centre - margin) / (1 + z * z / n), 0.0), 0.0)


def _dataset_item_rows(dataset, reviews: pd.DataFrame, n_aspects: int) -> list[dict]:
    """``item_sentiment`` rows of one dataset (``reviews`` with a fresh 0..n-1 index)."""
    matrix, vocabulary = aspects.phrase_matrix(review_texts(reviews))
    is_label = {label: (reviews["label"] == label).to_numpy() for label in LABELS}
    prior = np.asarray(matrix.sum(axis=0)).ravel()
    dataset_counts = {
        label: np.asarray(matrix[is_label[label]].sum(axis=0)).ravel() for label in ("positive", "negative")
    }
    rows = []
    for item_id, positions in reviews.groupby("item_id", sort=True).indices.items():
        counts = {}
        for label in ("positive", "negative"):
            mine = positions[is_label[label][positions]]
            counts[label] = (np.asarray(matrix[mine].sum(axis=0)).ravel(), len(mine))
        aspects_of = {}
        for side, other in (("positive", "negative"), ("negative", "positive")):
            side_counts, n_side = counts[side]
            other_counts, n_other = counts[other]
            if n_other == 0:
                other_counts, n_other = dataset_counts[other], int(is_label[other].sum())
            z = aspects.contrast_phrases(side_counts, n_side, other_counts, n_other, prior, len(reviews))
            aspects_of[side] = aspects.top_phrases(z, side_counts, vocabulary, n_aspects) if n_side else []
        n_by_label = {label: int(is_label[label][positions].sum()) for label in LABELS}
        rows.append(
            {
                "dataset": dataset,
                "item_id": item_id,
                "n_reviews": len(positions),
                "n_positive": n_by_label["positive"],
                "n_neutral": n_by_label["neutral"],
                "n_negative": n_by_label["negative"],
                "mean_score": float(reviews["score"].to_numpy(dtype=np.float64)[positions].mean()),
                "positive_share": n_by_label["positive"] / len(positions),
                "wilson_lower": float(
                    wilson_lower_bound(n_by_label["positive"], n_by_label["positive"] + n_by_label["negative"])
                ),
                "positive_aspects": aspects_of["positive"],
                "negative_aspects": aspects_of["negative"],
            }
        )
    return rows


@dataclass(frozen=True)
class _EncodedReviews:
    """Reviews as sentence embeddings: ``vectors`` ``(m, dim)``, one row per sentence, a review's sentences in reading
    order; ``review`` ``(m,)`` the review (0..n-1) of each sentence; ``vader`` ``(n, 6)``, see ``_vader_features``."""

    vectors: np.ndarray
    review: np.ndarray
    vader: np.ndarray

    @classmethod
    def of(cls, texts: list[str], encode: Encode) -> _EncodedReviews:
        """``texts`` split by ``review_sentences``, with ``encode`` called once on the distinct sentences."""
        sentences = [review_sentences(text) for text in texts]
        review = np.repeat(np.arange(len(texts)), [len(pieces) for pieces in sentences])
        vectors = _encode_distinct([sentence for pieces in sentences for sentence in pieces], encode)
        return cls(vectors, review, _vader_features(texts))

    def subset(self, rows: np.ndarray) -> _EncodedReviews:
        """The reviews at positions ``rows``, renumbered 0..len(rows)-1 in that order."""
        position = np.full(len(self.vader), -1)
        position[rows] = np.arange(len(rows))
        kept = position[self.review] >= 0
        return _EncodedReviews(self.vectors[kept], position[self.review[kept]], self.vader[rows])

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


def _encode_distinct(texts: list[str], encode: Encode) -> np.ndarray:
    """``encode`` called once on the distinct texts (5-core data repeats many), laid out back on ``texts``."""
    distinct, positions = np.unique(np.asarray(texts, dtype=object), return_inverse=True)
    vectors = np.asarray(encode(distinct.tolist()), dtype=np.float64)
    if vectors.ndim != 2 or vectors.shape[0] != len(distinct):
        raise ValueError(f"encode returned shape {vectors.shape} for {len(distinct)} texts; expected (n, dim)")
    return vectors[positions]


def _vader_features(texts: list[str]) -> np.ndarray:
    analyzer = _vader()
    features = np.empty((len(texts), 6))
    for row, text in enumerate(texts):
        scores = analyzer.polarity_scores(text)
        sentences = [
            analyzer.polarity_scores(sentence)["compound"] for sentence in _SENTENCE_END.split(text) if sentence
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


def _labels_and_scores(proba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(LABELS, dtype=object)[proba.argmax(axis=1)], proba[:, 2] - proba[:, 0]


@lru_cache(maxsize=1)
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def _label_counts(labels: pd.Series) -> dict[str, int]:
    return {label: int((labels == label).sum()) for label in LABELS}


def _tidy(value) -> str:
    """A possibly missing text cell as a stripped string with single spaces."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return _WHITESPACE.sub(" ", str(value)).strip()


def sentiment_quality(review_scores: pd.DataFrame, item_ids: np.ndarray, prior_reviews: float = 5.0) -> np.ndarray:
    """What reviews say of each item relative to the catalogue's average review, shrunk by review count.

    Args:
        review_scores: one row per review with ``item_id`` and ``score`` in [-1, 1] (e.g. P(positive) -
            P(negative) of ``longtail.language.sentiment``).
        item_ids: (n,) the items to score, e.g. a model's columns.
        prior_reviews: pseudo-reviews at the catalogue average: an item needs several reviews to move far from 0.

    Returns:
        (n,) float32 in [-1, 1]: ``sum(score - mean score) / (2 * (n_reviews + prior_reviews))``, 0 for items
        without reviews. Centring on the average keeps reviewed items from beating unreviewed ones merely for
        being reviewed, which would work against the tail.
    """
    if prior_reviews < 0:
        raise ValueError(f"prior_reviews must be >= 0, got {prior_reviews!r}")
    missing = {"item_id", "score"} - set(review_scores.columns)
    if missing:
        raise ValueError(f"review_scores lacks column(s) {sorted(missing)}")
    scores = review_scores["score"].astype(float)
    if not scores.between(-1, 1).all():
        raise ValueError("review_scores.score must be in [-1, 1]")
    if scores.empty:
        return np.zeros(len(item_ids), dtype=np.float32)
    deviation = (scores - scores.mean()).groupby(review_scores["item_id"].astype(str))
    quality = deviation.sum() / (2 * (deviation.size() + prior_reviews))
    return quality.reindex(pd.Index(item_ids).astype(str)).fillna(0.0).to_numpy(np.float32)
