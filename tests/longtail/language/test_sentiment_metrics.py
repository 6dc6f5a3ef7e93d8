import pytest

from longtail.language.sentiment_metrics import sentiment_metrics


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
