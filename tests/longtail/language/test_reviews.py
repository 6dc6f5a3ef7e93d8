import numpy as np
import pandas as pd
import pytest

from longtail.language.reviews import (
    LABELS,
    label_counts,
    labels_and_scores,
    labels_from_ratings,
    latest_reviews_split,
    review_sentences,
    review_texts,
    scoring_texts,
)
from tests.longtail.language.conftest import reviews_frame


def test_labels_from_ratings():
    ratings = pd.Series([1, 2, 3, 4, 5, None, 2.5], index=list("abcdefg"))
    labels = labels_from_ratings(ratings)
    assert labels.index.tolist() == list("abcdefg")
    assert labels.tolist() == ["negative", "negative", "neutral", "positive", "positive", None, "neutral"]


@pytest.mark.parametrize("bad", [0, 6, "five"])
def test_labels_from_ratings_rejects_bad_ratings(bad):
    with pytest.raises(ValueError, match="rating"):
        labels_from_ratings(pd.Series([4, bad], dtype=object))


def test_review_texts_join_title_and_text_and_drop_rating_echo_titles():
    reviews = pd.DataFrame(
        {
            "title": ["Great  lamp", "Five Stars", None, "Broken!", "one star"],
            "text": ["Bright\nlight", "love it", "no title here", None, None],
        }
    )
    assert review_texts(reviews) == ["Great lamp. Bright light", "love it", "no title here", "Broken!", ""]
    with pytest.raises(ValueError, match="title"):
        review_texts(reviews.drop(columns="title"))


def test_review_sentences_split_after_sentence_ends():
    assert review_sentences("Great mug. Broke in a week! Why? ok") == ["Great mug.", "Broke in a week!", "Why?", "ok"]
    assert review_sentences("v2.0 works fine") == ["v2.0 works fine"]
    assert review_sentences("Fine. . x") == ["Fine."]
    assert review_sentences("!") == ["!"]


def test_latest_reviews_split_keeps_time_order_and_drops_leaks():
    rows = []
    for day in range(10):
        rows.append(("shop_a", f"a{day}", 5 if day % 2 else 1, None, f"review number {day}", f"2020-01-{day + 1:02d}"))
        rows.append(("shop_b", f"b{day}", 3, "ok", f"other text {day}", f"2021-06-{day + 1:02d}"))
    rows += [
        ("shop_a", "a0", 5, None, "Same words  here", "2020-01-01"),
        ("shop_a", "a9", 5, "", "same words here", "2020-01-10"),  # repeats a training text
        ("shop_a", "a9", 1, None, "late repeat", "2020-01-10"),
        ("shop_a", "a8", 1, None, "LATE repeat", "2020-01-10"),  # repeats an eval text
        ("shop_a", "a5", 4, "Five Stars", None, "2020-01-10"),  # nothing left but the rating
        ("shop_a", "a5", None, None, "no rating", "2020-01-10"),
    ]
    split = latest_reviews_split(reviews_frame(rows), eval_share=0.2)

    for dataset in ("shop_a", "shop_b"):
        train = split.train[split.train["dataset"] == dataset]
        evaluation = split.eval[split.eval["dataset"] == dataset]
        assert len(train) and len(evaluation)
        assert train["ts"].max() < evaluation["ts"].min()
    train_texts = set(split.train["review_text"].str.lower())
    assert not train_texts & set(split.eval["review_text"].str.lower())
    assert split.eval["review_text"].str.lower().is_unique
    assert "Five Stars" not in set(split.eval["review_text"])
    info = split.info
    assert (info["dropped_no_rating"], info["dropped_no_text"]) == (1, 1)
    assert (info["dropped_eval_text_in_train"], info["dropped_eval_repeats"]) == (1, 1)
    assert info["n_train"] == len(split.train) and info["n_eval"] == len(split.eval)
    assert sum(info["eval_labels"].values()) == len(split.eval)
    assert info["datasets"]["shop_b"]["n_eval"] == int((split.eval["dataset"] == "shop_b").sum())
    assert set(split.train["label"]) <= set(LABELS)


def test_latest_reviews_split_validates_inputs():
    frame = reviews_frame([("shop", "i", 5, "t", "x", "2020-01-01")])
    with pytest.raises(ValueError, match="eval_share"):
        latest_reviews_split(frame, eval_share=1.0)
    with pytest.raises(ValueError, match="'ts'"):
        latest_reviews_split(frame.drop(columns="ts"))


def test_scoring_texts_give_every_review_a_text():
    reviews = pd.DataFrame({"title": ["Great  lamp", "Five Stars", None], "text": ["Bright", None, None]})
    assert scoring_texts(reviews) == ["Great lamp. Bright", "Five Stars", "(empty review)"]


def test_label_counts_and_labels_and_scores():
    assert label_counts(pd.Series(["positive", "positive", "neutral"])) == {"negative": 0, "neutral": 1, "positive": 2}
    labels, scores = labels_and_scores(np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]]))
    assert labels.tolist() == ["negative", "positive"]
    np.testing.assert_allclose(scores, [-0.6, 0.5])
