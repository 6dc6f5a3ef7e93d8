import json

import pydantic
import pytest

from assets.sentiment import SentimentModelConfig
from longtail.language.reviews import LABELS
from resources import home as longtail_home
from tests.assets.conftest import metadata, run


def test_the_model_is_trained_on_earlier_reviews_and_compared_with_vader(reviewed_shop):
    home, result, _ = reviewed_shop
    figures = metadata(result, "sentiment_model")
    report = json.loads((longtail_home.reports_dir() / "review_sentiment.json").read_text())
    assert set(report) >= {"dataset", "split", "system", "models", "final_test", "chosen"}
    # The shipped prior is for the packaged encoder, not the fake one: each shop keeps its own model.
    assert set(report["models"]) == {report["system"], "vader", "adapted"} and set(report["chosen"].values()) == {
        "adapted"
    }
    assert report["prior"].startswith("not used: trained with all-MiniLM-L6-v2")
    assert all(0 <= report["models"][name]["macro_f1_3class"] <= 1 for name in report["models"])
    assert report["models"]["vader"]["n_eval"] == report["split"]["n_eval"] > 0
    assert report["final_test"]["models"]["vader"]["n_eval"] == report["split"]["final_test"]["n"] > 0
    with home.warehouse().connect() as connection:
        [(version, path)] = connection.execute("select version, path from sentiment_models").fetchall()
    assert figures["version"] == version and path.endswith(f"{version}.joblib")
    assert "final_test" in figures["by slice and dataset"] and figures["chosen per shop"]
    assert figures["confusion on the final test (plot)"].startswith("![confusion matrices")
    assert (longtail_home.reports_dir() / "review_sentiment_confusion.png").stat().st_size > 0


def test_every_review_is_scored_and_items_get_aspects(reviewed_shop):
    home, result, _ = reviewed_shop
    assert home.count("select count(*) from review_sentiment") == home.count("select count(*) from cleaned_reviews")
    assert home.count("select count(*) from review_sentiment where score < -1 or score > 1") == 0
    with home.warehouse().connect() as connection:
        labels = {label for (label,) in connection.execute("select distinct label from review_sentiment").fetchall()}
    assert labels <= set(LABELS) and len(labels) >= 2
    assert home.count("select count(*) from item_sentiment") == 60
    assert home.count("select count(*) from item_sentiment where wilson_lower < 0 or wilson_lower > 1") == 0
    assert metadata(result, "review_sentiment")["agreement_with_star_ratings"] > 0.5


def test_a_rerun_embeds_no_review_twice(reviewed_shop):
    home, _, _ = reviewed_shop
    before = home.count("select count(*) from review_embeddings")
    run(home, "key:review_sentiment")
    assert home.count("select count(*) from review_embeddings") == before


@pytest.mark.parametrize("bad", [{"eval_share": 0.0}, {"eval_share": 1.0}, {"max_train_reviews": 0}])
def test_sentiment_model_config_rejects_values_that_cannot_train(bad):
    with pytest.raises(pydantic.ValidationError, match=next(iter(bad))):
        SentimentModelConfig(**bad)
