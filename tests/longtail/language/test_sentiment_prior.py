import json

import numpy as np
import pytest

from longtail.language.reviews import LABELS
from longtail.language.sentiment_prior import PRIOR_PATH, fit_prior, load_prior, prior_features
from longtail.recommend.embedding import DEFAULT_MODEL
from resources.models import FakeEmbeddingModelResource
from tests.longtail.language.conftest import ENCODE, toy_corpus, unseen_texts


@pytest.fixture(scope="module")
def prior():
    texts, labels, _ = toy_corpus()
    return fit_prior(texts, labels, ENCODE, encoder="fake-64", corpus="toy", c_grid=(0.3, 3.0))


def test_the_prior_reads_unseen_reviews_and_survives_a_round_trip(prior, tmp_path):
    unseen, truth = unseen_texts()
    proba = prior.predict_proba(unseen, ENCODE)
    assert proba.shape == (3, 3) and np.allclose(proba.sum(axis=1), 1.0)
    assert [LABELS[i] for i in proba.argmax(axis=1)] == truth
    # C was chosen by cross-validation on the training texts, and the figures say so.
    assert prior.training["c"] in (0.3, 3.0) and set(prior.training["cv_macro_f1_3class"]) == {"0.3", "3.0"}
    assert prior.training["labels"] == {"negative": 24, "neutral": 24, "positive": 24}
    prior.save(tmp_path / "prior.json")
    loaded = load_prior(tmp_path / "prior.json")
    assert loaded.version == prior.version and loaded.encoder == "fake-64"
    np.testing.assert_allclose(loaded.predict_proba(unseen, ENCODE), proba, rtol=1e-4)


def test_features_of_another_encoder_and_bad_files_are_refused(prior, tmp_path):
    with pytest.raises(ValueError, match="encoder differs"):
        prior.predict_proba(["fine"], FakeEmbeddingModelResource(dim=32).encode)
    (tmp_path / "bad.json").write_text(json.dumps({"format": 99}))
    with pytest.raises(ValueError, match="bad.json: not a sentiment prior"):
        load_prior(tmp_path / "bad.json")
    with pytest.raises(ValueError, match="all of"):
        fit_prior(["good", "bad"], ["positive", "negative"], ENCODE, encoder="fake-64", corpus="toy")


def test_the_shipped_prior_is_for_the_packaged_encoder():
    shipped = load_prior(PRIOR_PATH)
    assert shipped.encoder == DEFAULT_MODEL and shipped.coef.shape == (3, 384 + 6)
    assert shipped.training["n"] > 20_000 and "CC0" in shipped.training["corpus"]
    assert prior_features(["fine"], ENCODE).shape == (1, 64 + 6)
