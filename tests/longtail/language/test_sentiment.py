import itertools

import joblib
import numpy as np
import pandas as pd
import pytest

from longtail.language.sentiment import (
    ITEM_SENTIMENT_COLUMNS,
    LABELS,
    SentimentModel,
    ZeroShotSentiment,
    _EncodedReviews,
    confusion_counts,
    evaluate_sentiment,
    figures_by_dataset,
    item_sentiment,
    labels_from_ratings,
    review_sentences,
    review_texts,
    sentiment_metrics,
    sentiment_quality,
    temporal_split,
    vader_predict,
    wilson_lower_bound,
)
from resources.models import FakeEmbeddingModelResource

ENCODE = FakeEmbeddingModelResource(dim=64).encode
WORDS = {
    "negative": ["awful", "broken", "refund", "useless"],
    "neutral": ["okay", "average", "mediocre", "fine"],
    "positive": ["wonderful", "excellent", "superb", "delightful"],
}
NOUNS = ["lamp", "kettle", "scarf", "magazine", "shampoo"]


def toy_corpus() -> tuple[list[str], list[str], list[str]]:
    """Texts whose label is given by their opinion words: (texts, labels, item ids), 20 per label."""
    texts, labels, items = [], [], []
    for label, words in WORDS.items():
        for (first, second), noun in itertools.product(itertools.combinations(words, 2), NOUNS[:4]):
            texts.append(f"the {noun} is {first} and {second}")
            labels.append(label)
            items.append(noun)
    return texts, labels, items


def unseen_texts() -> tuple[list[str], list[str]]:
    texts = [f"my {NOUNS[4]} was {words[0]} really {words[3]}" for words in WORDS.values()]
    return texts, list(WORDS)


def reviews_frame(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["dataset", "item_id", "rating", "title", "text", "ts"])
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    return frame


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


class _FixedSentenceClassifier:
    """Gives each sentence the probability row stored at its first vector component."""

    def __init__(self, rows: list[list[float]]):
        self.rows = np.asarray(rows)

    def predict_proba(self, vectors: np.ndarray) -> np.ndarray:
        return self.rows[vectors[:, 0].astype(int)]


def test_sentence_summary_hand_computed_and_kept_under_subset():
    # Review 0 has sentences 0, 1, 2 (reading order), review 1 has sentence 3.
    vectors = np.array([[0.0, 1.0], [1.0, 1.0], [2.0, 1.0], [3.0, 1.0]])
    encoded = _EncodedReviews(vectors, np.array([0, 0, 0, 1]), np.zeros((2, 6)))
    classifier = _FixedSentenceClassifier(
        [[0.1, 0.1, 0.8], [0.7, 0.2, 0.1], [0.2, 0.3, 0.5], [0.0, 0.5, 0.5]]
    )  # scores (P(positive) - P(negative)): 0.7, -0.6, 0.3, 0.5
    summary = encoded.summary(classifier)
    np.testing.assert_allclose(summary[0], [0.4 / 3, -0.6, 0.7, 0.7, 0.6 / 3, 0.3])
    np.testing.assert_allclose(summary[1], [0.5, 0.5, 0.5, 0.0, 0.5, 0.5])
    np.testing.assert_allclose(encoded.subset(np.array([1, 0])).summary(classifier), summary[::-1])
    features = encoded.review_features(summary)
    assert features.shape == (2, 2 + 6 + 6)
    np.testing.assert_allclose(features[0, :2], np.array([3.0, 3.0]) / np.sqrt(18))


def test_temporal_split_keeps_time_order_and_drops_leaks():
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
    split = temporal_split(reviews_frame(rows), eval_share=0.2)

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


def test_temporal_split_validates_inputs():
    frame = reviews_frame([("shop", "i", 5, "t", "x", "2020-01-01")])
    with pytest.raises(ValueError, match="eval_share"):
        temporal_split(frame, eval_share=1.0)
    with pytest.raises(ValueError, match="'ts'"):
        temporal_split(frame.drop(columns="ts"))


@pytest.fixture(scope="module")
def toy_model() -> SentimentModel:
    texts, labels, items = toy_corpus()
    return SentimentModel().fit(texts, labels, ENCODE, groups=items, encoder_name="fake-64")


def test_model_learns_a_separable_toy_corpus(toy_model):
    model = toy_model
    _, labels, _ = toy_corpus()
    unseen, truth = unseen_texts()
    predicted, scores = model.predict(unseen, ENCODE)
    assert predicted.tolist() == truth
    assert scores[0] < scores[1] < scores[2] and np.all(np.abs(scores) <= 1)
    proba = model.predict_proba(unseen, ENCODE)
    assert proba.shape == (3, 3) and np.allclose(proba.sum(axis=1), 1)
    figures = model.training_figures
    assert figures["n_per_class"] == {label: labels.count(label) for label in LABELS}
    assert figures["validation"]["chosen"]["macro_f1_3class"] >= figures["validation"]["unbiased"]["macro_f1_3class"]
    assert len(model.version) == 16


def test_model_version_follows_data_settings_and_encoder():
    texts, labels, items = toy_corpus()

    def version(texts=texts, labels=labels, encoder_name="fake-64", c_tfidf=1.0) -> str:
        # Two folds keep the five fits fast; the version does not depend on the fold count being the default.
        return SentimentModel(c_tfidf=c_tfidf, n_folds=2).fit(texts, labels, ENCODE, encoder_name=encoder_name).version

    reference = version()
    assert version(texts[::-1], labels[::-1]) == reference
    assert version(encoder_name="other") != reference
    assert version(c_tfidf=2.0) != reference
    assert version(labels=["neutral", *labels[1:]]) != reference


def test_model_save_load_round_trip(toy_model, tmp_path):
    texts, _, _ = toy_corpus()
    model = toy_model
    model.save(tmp_path / "model.joblib")
    loaded = SentimentModel.load(tmp_path / "model.joblib")
    unseen, _ = unseen_texts()
    assert loaded.version == model.version
    assert loaded.training_figures == model.training_figures
    assert np.array_equal(loaded.predict_proba(unseen + texts, ENCODE), model.predict_proba(unseen + texts, ENCODE))


def test_prediction_in_batches_equals_prediction_at_once(toy_model, monkeypatch):
    texts, _, _ = toy_corpus()
    at_once = toy_model.predict_proba(texts, ENCODE)
    monkeypatch.setattr("longtail.language.sentiment.PREDICT_BATCH", 7)
    np.testing.assert_allclose(toy_model.predict_proba(texts, ENCODE), at_once)
    assert toy_model.predict_proba([], ENCODE).shape == (0, 3)


def test_model_rejects_bad_training_input(tmp_path):
    texts, labels, _ = toy_corpus()
    with pytest.raises(ValueError, match="missing"):
        SentimentModel().fit(texts[:20], labels[:20], ENCODE)
    with pytest.raises(ValueError, match="labels must be in"):
        SentimentModel().fit(texts, ["good"] * len(texts), ENCODE)
    with pytest.raises(ValueError, match="not fitted"):
        SentimentModel().predict(["x"], ENCODE)
    with pytest.raises(ValueError, match="n_folds"):
        SentimentModel(n_folds=1)
    (tmp_path / "other.joblib").write_bytes(b"")
    with pytest.raises(Exception):
        SentimentModel.load(tmp_path / "other.joblib")
    joblib.dump({"format": 1, "parts": {}}, tmp_path / "older.joblib")
    with pytest.raises(ValueError, match="materialize sentiment_model"):
        SentimentModel.load(tmp_path / "older.joblib")


def test_zero_shot_uses_the_prototypes():
    prototypes = {label: [" ".join(words)] for label, words in WORDS.items()}
    zero_shot = ZeroShotSentiment(ENCODE, prototypes=prototypes)
    unseen, truth = unseen_texts()
    labels, scores = zero_shot.predict(unseen)
    assert labels.tolist() == truth
    assert scores[0] < 0 < scores[2]
    with pytest.raises(ValueError, match="prototypes"):
        ZeroShotSentiment(ENCODE, prototypes={"positive": ["good"]})


def test_vader_predict_thresholds():
    labels, compound = vader_predict(["I love it, wonderful!", "Terrible, awful, broken.", "The box is blue."])
    assert labels.tolist() == ["positive", "negative", "neutral"]
    assert compound[0] >= 0.05 and compound[1] <= -0.05 and abs(compound[2]) < 0.05


def test_sentiment_metrics_hand_computed():
    true = ["negative", "negative", "positive", "positive", "neutral"]
    pred = ["negative", "positive", "positive", "neutral", "neutral"]
    # 3-class F1: negative P=1 R=1/2 -> 2/3; positive P=1/2 R=1/2 -> 1/2; neutral P=1/2 R=1 -> 2/3.
    # Binary (rows 0-3, the neutral call on row 3 wrong): negative 2/3, positive 1/2.
    figures = sentiment_metrics(true, pred)
    assert figures == {
        "macro_f1_binary": round((2 / 3 + 1 / 2) / 2, 4),
        "macro_f1_3class": round(11 / 18, 4),
        "n_eval": 5,
    }
    # With a forced call per row: negative P=1 R=1/2 -> 2/3; positive P=2/3 R=1 -> 4/5.
    binary = ["negative", "positive", "positive", "positive", "positive"]
    assert sentiment_metrics(true, pred, binary)["macro_f1_binary"] == round((2 / 3 + 4 / 5) / 2, 4)
    with pytest.raises(ValueError, match="lengths"):
        sentiment_metrics(true, pred[:2])
    with pytest.raises(ValueError, match="pred_labels"):
        sentiment_metrics(true, ["good"] * 5)


def test_wilson_lower_bound_hand_computed():
    # 8 of 10, z = 1.96: (0.8 + 0.19208 - 1.96 * sqrt(0.016 + 0.009604)) / 1.38416 = 0.49016.
    assert float(wilson_lower_bound(8, 10)) == pytest.approx(0.49016, abs=1e-5)
    # 1 of 1: 1 / (1 + z^2).
    assert float(wilson_lower_bound(1, 1)) == pytest.approx(1 / (1 + 1.96**2))
    assert wilson_lower_bound(np.array([0, 0]), np.array([0, 5])).tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="successes"):
        wilson_lower_bound(3, 2)


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
    ]
    items = item_sentiment(scored(rows))
    assert list(items.columns) == ITEM_SENTIMENT_COLUMNS
    items = items.set_index("item_id")
    phone = items.loc["phone"]
    assert (phone["n_reviews"], phone["n_positive"], phone["n_neutral"], phone["n_negative"]) == (7, 3, 1, 3)
    assert "battery life" in phone["negative_aspects"]
    assert "fast shipping" in phone["positive_aspects"]
    assert phone["wilson_lower"] == pytest.approx(float(wilson_lower_bound(3, 6)))
    assert phone["positive_share"] == pytest.approx(3 / 7)
    assert phone["mean_score"] == pytest.approx((3 * -0.8 + 3 * 0.9) / 7)
    soap = items.loc["soap"]
    assert "smell" in soap["positive_aspects"] and soap["negative_aspects"] == []
    mug = items.loc["mug"]
    assert mug["n_reviews"] == 1 and mug["positive_aspects"] == [] and mug["wilson_lower"] == 0.0
    assert 1 <= len(mug["negative_aspects"]) <= 3


def test_item_sentiment_validates_input():
    frame = scored([("a", "positive", "fine")])
    with pytest.raises(ValueError, match="'score'"):
        item_sentiment(frame.drop(columns="score"))
    with pytest.raises(ValueError, match="label must be"):
        item_sentiment(frame.assign(label="great"))


def early_and_late_reviews() -> pd.DataFrame:
    """The toy corpus on one day and the unseen texts, five times each, a month later: 72 early and 15 late reviews,
    so that a 10% eval share puts the cut on the late day (3 eval reviews once repeats are dropped)."""
    texts, labels, items = toy_corpus()
    rating = {"negative": 1, "neutral": 3, "positive": 5}
    unseen, truth = unseen_texts()
    rows = [("toy", item, rating[label], None, text, "2020-01-01") for text, label, item in zip(texts, labels, items)]
    rows += [("toy", "late", rating[label], None, text, "2020-02-01") for text, label in zip(unseen, truth)] * 5
    return reviews_frame(rows)


def test_evaluate_sentiment_report_schema():
    report, model, predictions = evaluate_sentiment(
        early_and_late_reviews(), ENCODE, dataset="toy", encoder_name="fake-64", eval_share=0.1
    )
    assert set(report) == {"dataset", "split", "system", "models"}
    assert report["system"] == "longtail" and set(report["models"]) == {"longtail", "vader"}
    assert report["split"]["n_eval"] == 3 and report["split"]["dropped_eval_repeats"] == 12
    assert report["models"]["longtail"] == {"macro_f1_binary": 1.0, "macro_f1_3class": 1.0, "n_eval": 3}
    assert report["models"]["vader"]["n_eval"] == 3
    assert model.version and model.encoder_name == "fake-64"
    assert list(predictions.columns) == ["dataset", "label", "longtail", "longtail_binary", "vader", "vader_binary"]
    assert len(predictions) == 3 and (predictions["longtail"] == predictions["label"]).all()
    [row] = figures_by_dataset(predictions).to_dict("records")
    assert row == {
        "dataset": "toy",
        "longtail binary": 1.0,
        "longtail 3-class": 1.0,
        "vader binary": report["models"]["vader"]["macro_f1_binary"],
        "vader 3-class": report["models"]["vader"]["macro_f1_3class"],
        "n_eval": 3,
    }


def test_figures_by_dataset_and_confusion_counts_hand_computed():
    predictions = pd.DataFrame(
        {
            "dataset": ["a", "a", "a", "b", "b"],
            "label": ["negative", "positive", "neutral", "positive", "negative"],
            "longtail": ["negative", "positive", "positive", "positive", "positive"],
            "longtail_binary": ["negative", "positive", "positive", "positive", "positive"],
            "vader": ["positive", "positive", "neutral", "positive", "negative"],
            "vader_binary": ["positive", "positive", "positive", "positive", "negative"],
        }
    )
    table = figures_by_dataset(predictions).set_index("dataset")
    # a: longtail right on both polar reviews; 3-class F1 negative 1, neutral 0, positive 2/3. b: longtail calls
    # the negative positive (F1 negative 0, positive 2/3); vader is right on all of b.
    assert table.loc["a", "longtail binary"] == 1.0 and table.loc["a", "longtail 3-class"] == round(5 / 9, 4)
    assert table.loc["b", "longtail binary"] == round(1 / 3, 4) and table.loc["b", "vader binary"] == 1.0
    assert table["n_eval"].tolist() == [3, 2]
    counts = confusion_counts(predictions["label"], predictions["longtail"])
    assert counts.to_numpy().tolist() == [[1, 0, 1], [0, 0, 1], [0, 0, 2]]
    assert list(counts.index) == list(counts.columns) == list(LABELS)


def test_evaluate_sentiment_caps_the_training_reviews():
    reviews = early_and_late_reviews()
    uncapped, _, _ = evaluate_sentiment(reviews, ENCODE, dataset="toy", eval_share=0.1)
    capped, model, _ = evaluate_sentiment(reviews, ENCODE, dataset="toy", eval_share=0.1, max_train_reviews=60)
    assert uncapped["split"]["n_train"] == 72 and uncapped["split"]["dropped_train_over_cap"] == 0
    assert capped["split"]["n_train"] == model.training_figures["n_train"] == 60
    assert capped["split"]["dropped_train_over_cap"] == 12
    assert sum(capped["split"]["train_labels"].values()) == 60
    assert capped["split"]["n_eval"] == uncapped["split"]["n_eval"] == 3
    for bad in (0, -5, 2.5, True):
        with pytest.raises(ValueError, match="max_train_reviews"):
            evaluate_sentiment(reviews, ENCODE, dataset="toy", eval_share=0.1, max_train_reviews=bad)


def test_sentiment_quality_is_the_shrunk_deviation_from_the_average_review():
    reviews = pd.DataFrame({"item_id": ["a", "a", "b", "c"], "score": [1.0, 1.0, -1.0, 0.2]})
    # mean score 0.3; a: 2 * 0.7 / (2 * (2 + 1)); b: -1.3 / (2 * 2); c: -0.1 / (2 * 2); d has no review
    quality = sentiment_quality(reviews, np.array(["a", "b", "c", "d"]), prior_reviews=1.0)
    np.testing.assert_allclose(quality, [1.4 / 6, -1.3 / 4, -0.1 / 4, 0.0], rtol=1e-6)
    assert sentiment_quality(reviews.iloc[:0], np.array(["a"])).tolist() == [0.0]
    with pytest.raises(ValueError, match="score must be in"):
        sentiment_quality(reviews.assign(score=2.0), np.array(["a"]))
