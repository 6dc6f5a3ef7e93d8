import numpy as np
import pandas as pd
import pytest

from longtail.language.reviews import LABELS
from longtail.language.sentiment_evaluation import evaluate_sentiment, figures_by_dataset
from longtail.language.sentiment_metrics import (
    N_RESAMPLES,
    _resampled_f1,
    confusion_counts,
    paired_gain,
    sentiment_metrics,
    with_intervals,
)
from longtail.language.sentiment_prior import fit_prior
from tests.longtail.language.conftest import ENCODE, reviews_frame, toy_corpus, unseen_texts


def early_and_late_reviews() -> pd.DataFrame:
    """The toy corpus on one day (72 reviews), the unseen texts five times a month later and five other unseen
    texts five times two months later: with a 10% final share the last day is the final test and with a 3% eval
    share the middle day the eval slice (3 reviews each once repeats are dropped)."""
    texts, labels, items = toy_corpus()
    rating = {"negative": 1, "neutral": 3, "positive": 5}
    unseen, truth = unseen_texts()
    later = [text.replace("really", "truly") for text in unseen]
    rows = [("toy", item, rating[label], None, text, "2020-01-01") for text, label, item in zip(texts, labels, items)]
    rows += [("toy", "late", rating[label], None, text, "2020-02-01") for text, label in zip(unseen, truth)] * 5
    rows += [("toy", "last", rating[label], None, text, "2020-03-01") for text, label in zip(later, truth)] * 5
    return reviews_frame(rows)


SHARES = {"eval_share": 0.03, "final_share": 0.1}


def test_evaluate_sentiment_report_schema():
    report, shop, predictions = evaluate_sentiment(
        early_and_late_reviews(), ENCODE, dataset="toy", encoder_name="fake-64", prior_path=None, **SHARES
    )
    assert {"dataset", "split", "system", "models", "final_test", "validation", "chosen", "prior"} == set(report)
    assert report["system"] == "longtail" and set(report["models"]) == {"longtail", "vader", "adapted"}
    assert report["split"]["n_eval"] == 3 and report["split"]["final_test"]["n"] == 3
    assert report["split"]["n_train"] == 72
    assert report["models"]["longtail"] == {"macro_f1_binary": 1.0, "macro_f1_3class": 1.0, "n_eval": 3}
    assert report["final_test"]["models"]["longtail"]["n_eval"] == 3
    assert set(report["final_test"]["datasets"]["toy"]) == {"longtail", "vader", "adapted"}
    assert len(report["final_test"]["models"]["vader"]["macro_f1_3class_ci95"]) == 2
    assert set(report["final_test"]["gain_over_vader"]) == {"all", "toy"}
    assert set(report["final_test"]["gain_over_vader"]["all"]["macro_f1_binary"]) == {"gain", "ci95"}
    # Without a prior the shop's own model is the only candidate.
    assert report["chosen"] == {"toy": "adapted"} and report["prior"] == "not used: none given"
    assert shop.adapted.version and shop.adapted.encoder_name == "fake-64" and shop.prior is None
    assert set(predictions["slice"]) == {"eval", "final_test"} and len(predictions) == 6
    assert (predictions["longtail"] == predictions["adapted"]).all()
    rows = figures_by_dataset(predictions).set_index("slice")
    assert rows.loc["final_test", "n"] == 3 and rows.loc["eval", "longtail binary"] == 1.0


def test_each_shop_chooses_among_its_model_the_prior_and_the_blend_on_the_eval_slice(tmp_path):
    texts, labels, _ = toy_corpus()
    prior = fit_prior(texts, labels, ENCODE, encoder="fake-64", corpus="toy", c_grid=(1.0,))
    prior.save(tmp_path / "prior.json")
    report, shop, predictions = evaluate_sentiment(
        early_and_late_reviews(), ENCODE, dataset="toy", encoder_name="fake-64", prior_path=tmp_path / "prior.json",
        **SHARES,
    )  # fmt: skip
    assert set(report["validation"]["toy"]) == {"adapted", "blend", "prior"}
    assert report["chosen"]["toy"] in ("adapted", "blend", "prior") and shop.chosen == report["chosen"]
    assert report["prior"]["version"] == prior.version and report["prior"]["path"] == str(tmp_path / "prior.json")
    chosen = report["chosen"]["toy"]
    assert (predictions["longtail"] == predictions[chosen]).all()
    assert report["final_test"]["models"]["longtail"] == report["final_test"]["models"][chosen]
    # A prior for another encoder is not used.
    other, _, _ = evaluate_sentiment(
        early_and_late_reviews(), ENCODE, dataset="toy", encoder_name="other", prior_path=tmp_path / "prior.json",
        **SHARES,
    )  # fmt: skip
    assert other["prior"] == "not used: trained with fake-64" and other["chosen"] == {"toy": "adapted"}


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
    table = figures_by_dataset(predictions.assign(slice="eval")).set_index("dataset")
    # a: longtail right on both polar reviews; 3-class F1 negative 1, neutral 0, positive 2/3. b: longtail calls
    # the negative positive (F1 negative 0, positive 2/3); vader is right on all of b.
    assert table.loc["a", "longtail binary"] == 1.0 and table.loc["a", "longtail 3-class"] == round(5 / 9, 4)
    assert table.loc["b", "longtail binary"] == round(1 / 3, 4) and table.loc["b", "vader binary"] == 1.0
    assert table["n"].tolist() == [3, 2]
    counts = confusion_counts(predictions["label"], predictions["longtail"])
    assert counts.to_numpy().tolist() == [[1, 0, 1], [0, 0, 1], [0, 0, 2]]
    assert list(counts.index) == list(counts.columns) == list(LABELS)


def test_evaluate_sentiment_caps_the_training_reviews():
    reviews = early_and_late_reviews()
    uncapped, _, _ = evaluate_sentiment(reviews, ENCODE, dataset="toy", prior_path=None, **SHARES)
    capped, shop, _ = evaluate_sentiment(
        reviews, ENCODE, dataset="toy", prior_path=None, max_train_reviews=60, **SHARES
    )
    assert uncapped["split"]["n_train"] == 72 and uncapped["split"]["dropped_train_over_cap"] == 0
    assert capped["split"]["n_train"] == shop.adapted.training_figures["n_train"] == 60
    assert capped["split"]["dropped_train_over_cap"] == 12
    assert sum(capped["split"]["train_labels"].values()) == 60
    assert capped["split"]["n_eval"] == uncapped["split"]["n_eval"] == 3
    for bad in (0, -5, 2.5, True):
        with pytest.raises(ValueError, match="max_train_reviews"):
            evaluate_sentiment(reviews, ENCODE, dataset="toy", prior_path=None, max_train_reviews=bad, **SHARES)
    with pytest.raises(ValueError, match="final_share"):
        evaluate_sentiment(reviews, ENCODE, dataset="toy", eval_share=0.5, final_share=0.5)


def test_bootstrap_f1_matches_sentiment_metrics_on_each_resample_and_gains_are_paired():
    rng = np.random.default_rng(1)
    true = rng.choice(LABELS, size=120, p=[0.2, 0.2, 0.6])
    pred = np.where(rng.random(120) < 0.7, true, rng.choice(LABELS, size=120))
    binary = np.where(pred == "neutral", "positive", pred)
    # The vectorised F1 of each resample is sentiment_metrics' on those rows.
    rows = np.random.default_rng(0).integers(0, 120, size=(N_RESAMPLES, 120))
    two_class, three_class = _resampled_f1(true, pred, binary, seed=0)
    for resample in range(3):
        picked = rows[resample]
        expected = sentiment_metrics(true[picked], pred[picked], binary[picked])
        assert round(two_class[resample], 4) == expected["macro_f1_binary"]
        assert round(three_class[resample], 4) == expected["macro_f1_3class"]
    figures = with_intervals(sentiment_metrics(true, pred, binary), true, pred, binary)
    for name in ("macro_f1_binary", "macro_f1_3class"):
        low, high = figures[f"{name}_ci95"]
        assert low <= figures[name] <= high and high - low > 0.05
    # Against itself the gain is exactly 0; against a model that calls everything positive it is clearly positive.
    assert paired_gain(true, (pred, binary), (pred, binary))["macro_f1_3class"] == {"gain": 0.0, "ci95": [0.0, 0.0]}
    everything_positive = np.full(120, "positive", dtype=object)
    gain = paired_gain(true, (pred, binary), (everything_positive, everything_positive))["macro_f1_binary"]
    assert gain["gain"] > 0.3 and gain["ci95"][0] > 0.2
