import pytest

from longtail.language.sentiment_prior import fit_prior
from longtail.language.shop_sentiment import CANDIDATES, ShopSentiment, choose
from tests.longtail.language.conftest import ENCODE, toy_corpus


def figures(binary: float, three_class: float) -> dict:
    return {"macro_f1_binary": binary, "macro_f1_3class": three_class, "n_eval": 10}


def test_choose_takes_the_best_mean_of_both_f1s_and_prefers_the_shops_own_model_on_a_tie():
    validation = {
        "big shop": {"adapted": figures(0.9, 0.7), "blend": figures(0.85, 0.7), "prior": figures(0.8, 0.6)},
        "small shop": {"adapted": figures(0.6, 0.4), "blend": figures(0.7, 0.5), "prior": figures(0.8, 0.5)},
        "tie": {"prior": figures(0.8, 0.6), "adapted": figures(0.7, 0.7)},
    }
    assert choose(validation) == {"big shop": "adapted", "small shop": "prior", "tie": "adapted"}
    assert CANDIDATES[0] == "adapted"


def test_a_shop_sentiment_needs_a_model_and_only_chooses_what_it_has():
    texts, labels, _ = toy_corpus()
    prior = fit_prior(texts, labels, ENCODE, encoder="fake-64", corpus="toy", c_grid=(1.0,))
    with pytest.raises(ValueError, match="needs an adapted model, a prior or both"):
        ShopSentiment(None, None)
    with pytest.raises(ValueError, match="not among the available"):
        ShopSentiment(None, prior, {"shop": "blend"})
    alone = ShopSentiment(None, prior)
    assert alone.available() == ("prior",) and alone.candidate_for("any shop") == "prior"
    labels_out, scores, versions = alone.predict(["the lamp is awful and broken"], ["shop"], ENCODE)
    assert labels_out.tolist() == ["negative"] and scores[0] < 0 and versions[0] == f"prior:{prior.version}"
    with pytest.raises(ValueError, match="datasets has 2 entries for 1 texts"):
        alone.predict(["fine"], ["a", "b"], ENCODE)
