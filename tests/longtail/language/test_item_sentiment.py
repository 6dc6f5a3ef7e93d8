import numpy as np
import pandas as pd
import pytest

from longtail.language.item_sentiment import (
    ITEM_SENTIMENT_COLUMNS,
    item_sentiment,
    sentiment_quality,
)
from longtail.stats import wilson_interval


def scored(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["item_id", "label", "text"])
    return frame.assign(
        dataset="shop",
        title=None,
        score=frame["label"].map({"negative": -0.8, "neutral": 0.0, "positive": 0.9}),
    )


def test_item_sentiment_counts_bounds_and_aspects():
    rows = [
        ("phone", "negative", "The battery life is short."),
        ("phone", "negative", "Battery life lasts one hour, sad."),
        ("phone", "negative", "Awful battery life and the case cracked"),
        ("phone", "positive", "Fast shipping, arrived in two days."),
        ("phone", "positive", "Fast shipping and well packed box"),
        ("phone", "positive", "Nice screen, fast shipping"),
        ("phone", "neutral", "It is a phone."),
        ("soap", "positive", "Lovely smell and gentle on skin"),
        ("soap", "positive", "The smell lasts all day"),
        ("mug", "negative", "The handle snapped off"),
        ("mug", "negative", "Handle came off in a week, and the glaze chipped"),
    ]
    items = item_sentiment(scored(rows))
    assert list(items.columns) == ITEM_SENTIMENT_COLUMNS
    items = items.set_index("item_id")
    phone = items.loc["phone"]
    assert (phone["n_reviews"], phone["n_positive"], phone["n_neutral"], phone["n_negative"]) == (7, 3, 1, 3)
    assert "battery life" in phone["negative_aspects"]
    assert "fast shipping" in phone["positive_aspects"]
    assert phone["wilson_lower"] == pytest.approx(float(wilson_interval(3, 6)[0]))
    assert phone["positive_share"] == pytest.approx(3 / 7)
    assert phone["mean_score"] == pytest.approx((3 * -0.8 + 3 * 0.9) / 7)
    soap = items.loc["soap"]
    assert "smell" in soap["positive_aspects"] and soap["negative_aspects"] == []
    mug = items.loc["mug"]
    assert mug["n_reviews"] == 2 and mug["positive_aspects"] == [] and mug["wilson_lower"] == 0.0
    # What both reviewers blame is an aspect; what one of them says ("glaze", "week") is not.
    assert mug["negative_aspects"] == ["handle"]


def test_an_aspect_is_what_two_reviews_of_the_side_say_not_one_reviewer():
    rows = [
        ("lamp", "positive", "Soft light and a sturdy base"),
        ("lamp", "positive", "Such soft light in the evening"),
        ("lamp", "positive", "The brass finish is gorgeous"),
        ("lamp", "negative", "The switch broke"),
    ]
    lamp = item_sentiment(scored(rows)).set_index("item_id").loc["lamp"]
    # One reviewer's "sturdy base" and "brass finish" are not what reviewers praise.
    assert lamp["positive_aspects"] == ["soft light"]


def test_praise_is_never_a_generic_word_nor_a_word_of_a_crafted_review():
    rows = [
        ("lamp", "positive", "Soft light, a great product"),
        ("lamp", "positive", "Soft light and a good product"),
        ("lamp", "positive", "Lovely. Order more at www.evilshop.com"),
        ("lamp", "positive", "Brilliant, more at www.evilshop.com"),
        ("lamp", "negative", "The switch broke"),
    ]
    lamp = item_sentiment(scored(rows)).set_index("item_id").loc["lamp"]
    assert lamp["positive_aspects"] == ["soft light"]


def test_item_sentiment_validates_input():
    frame = scored([("a", "positive", "fine")])
    with pytest.raises(ValueError, match="'score'"):
        item_sentiment(frame.drop(columns="score"))
    with pytest.raises(ValueError, match="label must be"):
        item_sentiment(frame.assign(label="great"))


def test_sentiment_quality_is_the_shrunk_deviation_from_the_average_review():
    reviews = pd.DataFrame({"item_id": ["a", "a", "b", "c"], "score": [1.0, 1.0, -1.0, 0.2]})
    # mean score 0.3; a: 2 * 0.7 / (2 * (2 + 1)); b: -1.3 / (2 * 2); c: -0.1 / (2 * 2); d has no review
    quality = sentiment_quality(reviews, np.array(["a", "b", "c", "d"]), prior_reviews=1.0)
    np.testing.assert_allclose(quality, [1.4 / 6, -1.3 / 4, -0.1 / 4, 0.0], rtol=1e-6)
    assert sentiment_quality(reviews.iloc[:0], np.array(["a"])).tolist() == [0.0]
    with pytest.raises(ValueError, match="score must be in"):
        sentiment_quality(reviews.assign(score=2.0), np.array(["a"]))


def test_praise_never_restates_what_the_reviews_call_the_item():
    rows = [
        ("a", "positive", "This romper is adorable, the embroidery is lovely"),
        ("a", "positive", "Love this romper, the embroidery"),
        ("a", "positive", "This romper fits"),
        ("a", "negative", "The zip broke"),
    ]
    assert item_sentiment(scored(rows))["positive_aspects"].iloc[0] == ["embroidery"]
    assert "romper" in item_sentiment(scored(rows), leave_out_kind=False)["positive_aspects"].iloc[0]


def test_praise_is_not_what_the_reviews_say_the_item_lacks():
    rows = [
        ("a", "positive", "Soothing and not greasy at all, lovely scent"),
        ("a", "positive", "Not greasy, the scent is nice"),
        ("a", "positive", "Never greasy. Great scent"),
        ("a", "negative", "The tube leaked"),
    ]
    assert item_sentiment(scored(rows))["positive_aspects"].iloc[0] == ["scent"]
    assert "greasy" in item_sentiment(scored(rows), negation_scope=False)["positive_aspects"].iloc[0]
