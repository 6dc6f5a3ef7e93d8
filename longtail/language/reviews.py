"""Reviews as sentiment data: labels from star ratings, one text per review, and the split into earlier reviews to
train on and later ones to evaluate on.

Labels (``LABELS``): star ratings 1-2 are "negative", 3 "neutral", 4-5 "positive" (``labels_from_ratings``). A
review's text is its title and body (``review_texts``); Amazon's generated titles that only repeat the rating
("Five Stars", "One Star") are left out, because they give the label away and no other shop has them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from longtail.data.text_repairs import text_cell
from longtail.validation import require_columns

LABELS = ("negative", "neutral", "positive")
REVIEW_COLUMNS = ["dataset", "rating", "title", "text", "ts"]
# The whitespace after a ".", "!" or "?": where a review's sentences part.
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")

_RATING_ECHO_TITLE = re.compile(r"(one|two|three|four|five) stars?", re.IGNORECASE)


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
        title = text_cell(title)
        if _RATING_ECHO_TITLE.fullmatch(title):
            title = ""
        body = text_cell(body)
        if title and body and not title.endswith((".", "!", "?")):
            title += "."
        texts.append(f"{title} {body}".strip())
    return texts


def scoring_texts(reviews: pd.DataFrame) -> list[str]:
    """``review_texts``, falling back to the bare title where that leaves nothing (a review whose only text is a
    rating-echo title such as "Five Stars" still says something), and to "(empty review)" where there is no
    title either: one non-empty text per review, for scoring every review."""
    texts = review_texts(reviews)
    titles = reviews["title"].fillna("").astype(str)
    return [text or title or "(empty review)" for text, title in zip(texts, titles)]


def review_sentences(text: str) -> list[str]:
    """The sentences of a review text: the pieces between a ".", "!" or "?" and the whitespace after it, stripped and
    of 2 or more characters; ``[text]`` when there is no such piece."""
    return [piece for piece in map(str.strip, SENTENCE_END.split(text)) if len(piece) > 1] or [text]


def normalise_text(text: str) -> str:
    """The form under which two review texts count as the same: lower case, whitespace collapsed."""
    return text_cell(text).lower()


@dataclass(frozen=True)
class ReviewSplit:
    """Reviews before (``train``) and after (``eval``) a per-dataset time cut, with ``review_text`` (see
    ``review_texts``) and ``label`` columns added, and ``info``: the cut per dataset, sizes, label counts and every
    dropped row counted (JSON-ready)."""

    train: pd.DataFrame
    eval: pd.DataFrame
    info: dict


def latest_reviews_split(reviews: pd.DataFrame, eval_share: float = 0.2) -> ReviewSplit:
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
        "train_labels": label_counts(train["label"]),
        "eval_labels": label_counts(evaluation["label"]),
    }
    return ReviewSplit(train.drop(columns="_norm"), evaluation.drop(columns="_norm"), info)


def label_counts(labels: pd.Series) -> dict[str, int]:
    """Reviews per label, every label of ``LABELS`` present (JSON-ready)."""
    return {label: int((labels == label).sum()) for label in LABELS}


def labels_and_scores(proba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(labels, scores)`` of ``(n, 3)`` probabilities in ``LABELS`` order: the most probable label per row (object
    array) and ``P(positive) - P(negative)`` in [-1, 1]."""
    return np.asarray(LABELS, dtype=object)[proba.argmax(axis=1)], proba[:, 2] - proba[:, 0]
