import numpy as np

from longtail.language.sentence_features import EncodedReviews, encode_distinct, vader_features


class _FixedSentenceClassifier:
    """Gives each sentence the probability row stored at its first vector component."""

    def __init__(self, rows: list[list[float]]):
        self.rows = np.asarray(rows)

    def predict_proba(self, vectors: np.ndarray) -> np.ndarray:
        return self.rows[vectors[:, 0].astype(int)]


def test_sentence_summary_hand_computed_and_kept_under_subset():
    # Review 0 has sentences 0, 1, 2 (reading order), review 1 has sentence 3.
    vectors = np.array([[0.0, 1.0], [1.0, 1.0], [2.0, 1.0], [3.0, 1.0]])
    encoded = EncodedReviews(vectors, np.array([0, 0, 0, 1]), np.zeros((2, 6)))
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


def test_encode_distinct_encodes_each_text_once():
    calls = []

    def encode(texts):
        calls.append(list(texts))
        return np.array([[len(text), 1.0] for text in texts])

    vectors = encode_distinct(["bb", "a", "bb"], encode)
    assert sorted(calls[0]) == ["a", "bb"] and len(calls) == 1
    np.testing.assert_allclose(vectors[:, 0], [2, 1, 2])


def test_vader_features_score_the_text_and_its_extreme_sentences():
    [features] = vader_features(["I love it. It broke in a week, awful."])
    compound, _, _, _, lowest, highest = features
    assert lowest < 0 < highest and lowest <= compound <= highest
