"""The served assistant's tuning on the synthetic two-theme shop, with the fake encoder."""

import io
from dataclasses import asdict

import pandas as pd
import pytest

from longtail.serving.assistant_tuning import (
    ASSISTANT_GRID,
    BM25_GRID,
    evaluation_stages,
    tune_served_assistant,
)
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
    assert chosen["weights"] in [asdict(weights) for weights in ASSISTANT_GRID]
    assert chosen["bm25"] in BM25_GRID
    assert chosen["cut"] == str(stages["validation"].cut)
    one_regime = len(stages["validation"].sessions(40, words_per_query=1))
    assert chosen["validation_sessions"] == one_regime + len(stages["validation"].sessions(40, words_per_query=2))
    best = chosen["best_on_validation"]["assistant"][0]
    assert (best["hit@10"], best["mrr@10"]) == (chosen["hit@10"], chosen["mrr@10"])
    assert all(row["hit@10"] <= chosen["hit@10"] for row in chosen["best_on_validation"]["assistant"])
    assert 0 <= chosen["defaults"]["hit@10"] <= 1


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
