import pytest

from longtail.language.sentiment_baselines import ZeroShotSentiment, vader_predict
from tests.longtail.language.conftest import ENCODE, WORDS, unseen_texts


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
