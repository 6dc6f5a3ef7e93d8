import pandas as pd
import pytest

from longtail.language.reviews import LABELS
from longtail.language.sentiment_evaluation import evaluate_sentiment, figures_by_dataset
from longtail.language.sentiment_metrics import confusion_counts
from tests.longtail.language.conftest import ENCODE, reviews_frame, toy_corpus, unseen_texts


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
