import json

import numpy as np
import pandas as pd
import pandas.testing as pdt

from longtail.data.warehouse import replace_rows
from longtail.language.item_sentiment import ITEM_SENTIMENT_COLUMNS
from longtail.language.review_scoring import MODEL_TABLE, SCORED_COLUMNS, newest_model, score_reviews, served_sentiment
from longtail.language.sentiment_model import SentimentModel
from longtail.language.sentiment_prior import fit_prior
from longtail.language.shop_sentiment import ShopSentiment
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
    result = score_reviews(reviews, ENCODE, ShopSentiment(model, None))
    assert list(result.reviews.columns) == SCORED_COLUMNS and len(result.reviews) == len(reviews)
    version = f"adapted:{model.version}"
    assert result.model_version == version and (result.reviews["model_version"] == version).all()
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
            "evaluation": [None, None, None],
        }
    )
    with warehouse() as connection:
        assert newest_model(connection, "fake") is None
        replace_rows(connection, MODEL_TABLE, rows)
        found, evaluation = newest_model(connection, "fake")
        assert newest_model(connection, "unknown") is None
    assert found.version == model.version and evaluation == {}
    pdt.assert_frame_equal(
        pd.DataFrame(found.predict_proba(texts, ENCODE)), pd.DataFrame(model.predict_proba(texts, ENCODE))
    )


def test_served_sentiment_reads_each_shop_with_its_choice_and_the_prior_elsewhere(warehouse, tmp_path):  # noqa: F811
    texts, labels, items = toy_corpus()
    prior = fit_prior(texts, labels, ENCODE, encoder="fake", corpus="toy", c_grid=(1.0,))
    prior.save(tmp_path / "prior.json")
    with warehouse() as connection:
        # No model yet: the default prior reads every shop, if it is for this encoder.
        alone = served_sentiment(connection, "fake", default_prior=tmp_path / "prior.json")
        assert alone.adapted is None and alone.prior.version == prior.version
        assert served_sentiment(connection, "another", default_prior=tmp_path / "prior.json") is None
        model = SentimentModel(n_folds=2).fit(texts, labels, ENCODE, groups=items)
        model.save(tmp_path / "model.joblib")
        evaluation = {"chosen": {"shop": "blend"}, "prior": {"path": str(tmp_path / "prior.json")}}
        row = {"version": model.version, "path": str(tmp_path / "model.joblib"), "encoder": "fake",
               "trained_at": pd.Timestamp("2024-01-01", tz="UTC"), "evaluation": json.dumps(evaluation)}  # fmt: skip
        replace_rows(connection, MODEL_TABLE, pd.DataFrame([row]))
        served = served_sentiment(connection, "fake", default_prior=tmp_path / "missing.json")
    assert served.candidate_for("shop") == "blend" and served.candidate_for("unseen shop") == "prior"
    reviews = pd.concat([cleaned_reviews(texts[:3], [1, 1, 1]), cleaned_reviews(texts[:3], [1, 1, 1]).assign(
        dataset="unseen shop")], ignore_index=True)  # fmt: skip
    versions = score_reviews(reviews, ENCODE, served).reviews.groupby("dataset")["model_version"].first()
    assert versions.to_dict() == {
        "shop": f"blend:{model.version}+{prior.version}",
        "unseen shop": f"prior:{prior.version}",
    }
