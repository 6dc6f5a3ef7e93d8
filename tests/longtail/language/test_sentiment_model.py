import joblib
import numpy as np
import pytest

from longtail.language.reviews import LABELS
from longtail.language.sentence_features import EncodedReviews
from longtail.language.sentiment_model import SentimentModel
from tests.longtail.language.conftest import ENCODE, toy_corpus, unseen_texts


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
    monkeypatch.setattr("longtail.language.sentiment_model.PREDICT_BATCH", 7)
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


def test_a_repeated_text_is_scored_once(toy_model, monkeypatch):
    texts = toy_corpus()[0][:5]
    once = toy_model.predict_proba(texts, ENCODE)
    scored = []
    of = EncodedReviews.of

    def counting_of(batch, encode):
        scored.extend(batch)
        return of(batch, encode)

    monkeypatch.setattr(EncodedReviews, "of", counting_of)
    np.testing.assert_allclose(toy_model.predict_proba(texts * 3, ENCODE), np.tile(once, (3, 1)))
    assert sorted(scored) == sorted(texts)
