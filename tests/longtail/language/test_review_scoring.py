import numpy as np
import pandas as pd
import pandas.testing as pdt

from longtail.data.warehouse import replace_rows
from longtail.language.item_sentiment import ITEM_SENTIMENT_COLUMNS
from longtail.language.review_scoring import MODEL_TABLE, SCORED_COLUMNS, newest_model, score_reviews
from longtail.language.sentiment_model import SentimentModel
from tests.longtail.language.conftest import ENCODE, toy_corpus
from tests.longtail.language.test_caches import warehouse  # noqa: F401 (a fixture)


def cleaned_reviews(texts: list[str], ratings: list) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "dataset": "shop",
            "review_id": [f"r{n}" for n in range(len(texts))],
            "item_id": [f"i{n % 2}" for n in range(len(texts))],
            "ts": pd.Timestamp("2024-01-01", tz="UTC"),
            "rating": ratings,
            "title": None,
            "text": texts,
        }
    )


def test_score_reviews_with_a_model_labels_every_review_and_aggregates_items():
    texts, labels, items = toy_corpus()
    model = SentimentModel(n_folds=2).fit(texts, labels, ENCODE, groups=items)
    rating = {"negative": 1, "neutral": 3, "positive": 5}
    reviews = cleaned_reviews(texts + ["", "Five Stars"], [rating[label] for label in labels] + [None, None])
    result = score_reviews(reviews, ENCODE, model)
    assert list(result.reviews.columns) == SCORED_COLUMNS and len(result.reviews) == len(reviews)
    assert result.model_version == model.version and (result.reviews["model_version"] == model.version).all()
    expected_labels, expected_scores = model.predict(texts, ENCODE)
    assert result.reviews["label"].tolist()[: len(texts)] == expected_labels.tolist()
    np.testing.assert_allclose(result.reviews["score"][: len(texts)], expected_scores)
    assert list(result.items.columns) == ITEM_SENTIMENT_COLUMNS and result.items["item_id"].tolist() == ["i0", "i1"]
    # Only the rated reviews count.
    assert result.agreement_with_ratings() == np.mean(expected_labels == np.array(labels))


def test_score_reviews_without_a_model_is_zero_shot():
    result = score_reviews(cleaned_reviews(["wonderful excellent", "awful broken"], [None, None]), ENCODE, None)
    assert result.model_version == "zero-shot" and result.reviews["score"].between(-1, 1).all()
    assert result.agreement_with_ratings() is None
    empty = score_reviews(cleaned_reviews([], []), ENCODE, None)
    assert empty.reviews.empty and list(empty.items.columns) == ITEM_SENTIMENT_COLUMNS


def test_newest_model_is_the_latest_one_whose_file_exists(warehouse, tmp_path):  # noqa: F811
    texts, labels, items = toy_corpus()
    model = SentimentModel(n_folds=2).fit(texts, labels, ENCODE, groups=items)
    model.save(tmp_path / "old.joblib")
    rows = pd.DataFrame(
        {
            "version": ["old", "gone", "other"],
            "path": [str(tmp_path / "old.joblib"), str(tmp_path / "gone.joblib"), str(tmp_path / "old.joblib")],
            "encoder": ["fake", "fake", "other encoder"],
            "trained_at": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"], utc=True),
        }
    )
    with warehouse() as connection:
        assert newest_model(connection, "fake") is None
        replace_rows(connection, MODEL_TABLE, rows)
        found = newest_model(connection, "fake")
        assert newest_model(connection, "unknown") is None
    assert found.version == model.version
    pdt.assert_frame_equal(
        pd.DataFrame(found.predict_proba(texts, ENCODE)), pd.DataFrame(model.predict_proba(texts, ENCODE))
    )
