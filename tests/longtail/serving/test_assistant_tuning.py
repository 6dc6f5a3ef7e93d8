"""The served assistant's tuning on the synthetic two-theme shop, with the fake encoder."""

import io
from dataclasses import asdict

import numpy as np
import pandas as pd
import pytest

from longtail.serving.assistant import AssistantWeights
from longtail.serving.assistant_tuning import (
    ASSISTANT_GRID,
    BM25_GRID,
    SettingsSearch,
    evaluation_stages,
    tune_served_assistant,
)
from longtail.serving.lexical import DEFAULT_BM25
from tests.fixtures import shop_history
from tests.longtail.serving.shops import fake_encode


@pytest.fixture(scope="module")
def shop():
    events, items = shop_history()
    interactions = pd.read_csv(io.StringIO(events), parse_dates=["ts"])[["user_id", "item_id", "ts", "price"]]
    catalogue = pd.read_csv(io.StringIO(items))
    return interactions, catalogue, (catalogue["item_id"].to_numpy(), fake_encode(catalogue["title"].tolist()))


def tuned(interactions, catalogue, vectors) -> dict:
    [stage] = evaluation_stages(
        interactions, catalogue, item_vectors=vectors, served_settings={}, encode=fake_encode, names=["validation"]
    ).values()
    return tune_served_assistant(stage, max_sessions=40)


def test_one_setting_is_chosen_on_the_sessions_of_both_regimes(shop):
    stages = evaluation_stages(shop[0], shop[1], item_vectors=shop[2], served_settings={}, encode=fake_encode)
    chosen = tuned(*shop)
    tuned_settings = chosen["tuned"]
    assert tuned_settings["weights"] in [asdict(weights) for weights in ASSISTANT_GRID]
    assert tuned_settings["bm25"] in BM25_GRID
    assert chosen["cut"] == str(stages["validation"].cut)
    one_regime = len(stages["validation"].sessions(40, words_per_query=1))
    assert chosen["validation_sessions"] == one_regime + len(stages["validation"].sessions(40, words_per_query=2))
    best = chosen["best_on_validation"]["assistant"][0]
    assert (best["hit@10"], best["mrr@10"]) == (tuned_settings["hit@10"], tuned_settings["mrr@10"])
    assert all(row["hit@10"] <= tuned_settings["hit@10"] for row in chosen["best_on_validation"]["assistant"])
    assert 0 <= chosen["defaults"]["hit@10"] <= 1


def test_the_tuned_settings_are_served_only_where_the_cross_validated_gain_is_beyond_noise(shop):
    chosen = tuned(*shop)
    check = chosen["tuning_check"]
    assert check["adopted"] == (check["p_value"] < 0.025)
    assert check["wins"] + check["losses"] <= chosen["validation_sessions"]
    assert check["defaults_hit@10"] == chosen["defaults"]["hit@10"]
    served = {key: chosen[key] for key in ("weights", "bm25", "hit@10", "mrr@10")}
    if check["adopted"]:
        assert served == chosen["tuned"]
    else:
        assert served == {"weights": asdict(AssistantWeights()), "bm25": DEFAULT_BM25, **chosen["defaults"]}


def search_over(bm25_hits: np.ndarray, weights_hits: np.ndarray, defaults: np.ndarray) -> SettingsSearch:
    """A ``SettingsSearch`` over made-up per-session hits (reciprocal ranks equal to them), every BM25 setting with
    the same ``weights_hits``, the defaults with ``defaults``."""
    search = SettingsSearch.__new__(SettingsSearch)
    search.sessions = [None] * bm25_hits.shape[1]
    search.bm25 = np.stack([bm25_hits, bm25_hits], axis=1)
    figures = np.stack([weights_hits, weights_hits], axis=1)
    search._weights = dict.fromkeys(range(len(BM25_GRID)), figures)
    search.defaults = np.stack([defaults, defaults])
    return search


def test_settings_that_fit_single_sessions_are_not_adopted_however_well_they_score_in_sample():
    """Each weights point hits one session only, the defaults none: in sample the best point gains a session, but
    tuned on the other folds it never hits the held-out one."""
    n = 40
    weights_hits = np.zeros((len(ASSISTANT_GRID), n))
    weights_hits[np.arange(n), np.arange(n)] = 1.0
    search = search_over(np.zeros((len(BM25_GRID), n)), weights_hits, np.zeros(n))
    best = search.best(np.arange(n))
    assert best[3][0]["hit@10"] == 1 / n
    check = search.check(folds=5, seed=0)
    assert check["hit@10"] == 0.0 and check["gain"] == 0.0
    assert not check["adopted"]


def test_settings_better_on_every_fold_are_adopted():
    n = 60
    rng = np.random.default_rng(0)
    weights_hits = (rng.random((len(ASSISTANT_GRID), n)) < 0.3).astype(float)
    weights_hits[7] = (rng.random(n) < 0.9).astype(float)  # one setting finds most targets
    defaults = (rng.random(n) < 0.3).astype(float)
    search = search_over(np.zeros((len(BM25_GRID), n)), weights_hits, defaults)
    check = search.check(folds=5, seed=0)
    assert check["hit@10"] == round(weights_hits[7].mean(), 4)  # every fold chose it
    assert check["gain_ci95"][0] > 0 and check["p_value"] < 0.025 and check["adopted"]
    assert check["wins"] - check["losses"] == round(check["gain"] * n)


def test_three_wins_in_three_sessions_are_not_beyond_noise():
    """Only one setting ever finds a target, in all three sessions, and the defaults none: every fold chooses it,
    and its bootstrap interval is [1, 1], but three of three is what chance gives one time in eight."""
    weights_hits = np.zeros((len(ASSISTANT_GRID), 3))
    weights_hits[7] = 1.0
    check = search_over(np.zeros((len(BM25_GRID), 3)), weights_hits, np.zeros(3)).check(folds=5, seed=0)
    assert (check["wins"], check["losses"], check["gain_ci95"]) == (3, 0, [1.0, 1.0])
    assert check["p_value"] == 0.125 and not check["adopted"]
    more = np.zeros((len(ASSISTANT_GRID), 8))
    more[7] = 1.0
    assert search_over(np.zeros((len(BM25_GRID), 8)), more, np.zeros(8)).check(folds=5, seed=0)["adopted"]


def test_the_served_settings_see_nothing_after_the_validation_cut(shop):
    """The served settings are chosen before the test cut: changing the test window's events changes none of them."""
    interactions, catalogue, vectors = shop
    stages = evaluation_stages(interactions, catalogue, item_vectors=vectors, served_settings={}, encode=fake_encode)
    after = interactions["ts"] >= pd.Timestamp(stages["test"].cut)
    changed = pd.concat([interactions[~after], interactions[after].sample(frac=0.5, random_state=1)])
    assert tuned(changed, catalogue, vectors) == tuned(*shop)


def test_a_shop_without_settings_or_titles_cannot_be_simulated_and_says_why(tmp_path):
    from longtail.data.warehouse import connect, replace_rows
    from longtail.serving.assistant_tuning import CannotSimulate, stage_inputs

    with connect(tmp_path / "w.duckdb") as connection:
        with pytest.raises(CannotSimulate, match="no served recommendation settings"):
            stage_inputs(connection, "shop", fake_encode)
        replace_rows(connection, "recommendation_settings", pd.DataFrame({"dataset": ["shop"], "settings": ["{}"]}))
        items = pd.DataFrame({"dataset": "shop", "item_id": ["a", "b", "c"], "title": ["mug", None, None]})
        replace_rows(connection, "cleaned_items", items)
        with pytest.raises(CannotSimulate, match="fewer than 50% of its items have a title"):
            stage_inputs(connection, "shop", fake_encode)
