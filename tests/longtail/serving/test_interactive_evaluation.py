"""The interactive evaluation on the synthetic two-theme shop, with the fake encoder."""

import io
from dataclasses import replace

import pandas as pd
import pytest

from longtail.serving import assistant_tuning as tuning
from longtail.serving.assistant import AssistantWeights, ShopAssistant
from longtail.serving.assistant_tuning import ASSISTANT_GRID, BM25_GRID, evaluation_stages
from longtail.serving.catalogue import ShopIndex
from longtail.serving.interactive_evaluation import SYSTEMS, evaluate_interactive
from longtail.serving.query import parse_query
from longtail.serving.simulated_sessions import SYNONYMS, content_words, simulate_sessions
from tests.fixtures import shop_history
from tests.longtail.serving.shops import fake_encode, small_shop


@pytest.fixture(scope="module")
def shop():
    events, items = shop_history()
    interactions = pd.read_csv(io.StringIO(events), parse_dates=["ts"])[["user_id", "item_id", "ts", "price"]]
    catalogue = pd.read_csv(io.StringIO(items))
    vectors = (catalogue["item_id"].to_numpy(), fake_encode(catalogue["title"].tolist()))
    return interactions, catalogue, vectors


def evaluate(interactions, catalogue, vectors, served_assistant_settings=None):
    stages = evaluation_stages(interactions, catalogue, item_vectors=vectors, served_settings={}, encode=fake_encode)
    return evaluate_interactive(stages, served_assistant_settings=served_assistant_settings, max_sessions=40)


@pytest.fixture(scope="module")
def report(shop):
    return evaluate(*shop)


def test_every_system_is_scored_in_both_regimes_with_intervals(report):
    assert set(report["regimes"]) == {"1 word", "2 words"}
    for regime in report["regimes"].values():
        assert set(regime["models"]) == set(SYSTEMS)
        for figures in regime["models"].values():
            low, high = figures["hit@10_ci95"]
            assert 0 <= low <= figures["hit@10"] <= high <= 1
        assert regime["tuning"]["budgets"] == {"assistant": len(ASSISTANT_GRID), "bm25": len(BM25_GRID)}
        assert regime["examples"] and {"query", "bought", "assistant", "bm25"} <= set(regime["examples"][0])


def test_the_served_assistant_is_scored_with_the_servers_defaults(shop, monkeypatch):
    """Where tuning can only choose the server's defaults, the served assistant's figures are the tuned one's."""
    monkeypatch.setattr(tuning, "ASSISTANT_GRID", [AssistantWeights()])
    monkeypatch.setattr(tuning, "BM25_GRID", [{"k1": 1.5, "b": 0.75}])  # bm25s's defaults, as served
    for regime in evaluate(*shop)["regimes"].values():
        assert regime["models"]["served_assistant"] == regime["models"]["assistant"]


def test_the_served_assistant_is_scored_with_the_published_settings(shop, report):
    """Served with the settings this evaluation tuned for one regime, it scores as the tuned assistant there."""
    chosen = report["regimes"]["2 words"]["tuning"]
    published = {"weights": chosen["assistant"], "bm25": chosen["bm25"]}
    regime = evaluate(*shop, served_assistant_settings=published)["regimes"]["2 words"]
    assert regime["models"]["served_assistant"] == regime["models"]["assistant"]


def test_hard_filters_are_never_violated(report):
    for regime in report["regimes"].values():
        for system in ("assistant", "bm25+filters", "embedding+filters"):
            assert regime["models"][system]["constraint_satisfaction"] == 1.0


def test_a_bigger_tail_bonus_never_shrinks_the_tail_share(report):
    for regime in report["regimes"].values():
        shares = [point["tail_share"] for point in regime["tail_tradeoff"]]
        assert shares[-1] >= shares[0]


def test_tuning_is_frozen_at_the_cut(shop, report):
    """Changing only events after the test cut changes no tuning choice."""
    interactions, catalogue, vectors = shop
    cut = pd.Timestamp(report["split"]["cut"])
    after = interactions["ts"] >= cut
    changed = pd.concat([interactions[~after], interactions[after].sample(frac=0.5, random_state=1)])
    other = evaluate(changed, catalogue, vectors)
    for name, regime in report["regimes"].items():
        assert other["regimes"][name]["tuning"] == regime["tuning"]


def test_simulated_queries_never_repeat_the_title_and_their_constraints_hold_for_the_target():
    index = ShopIndex("shop", small_shop())
    purchases = pd.DataFrame({"user_id": ["u1", "u2", "u3", "u4"], "item_id": ["I09", "I11", "I05", "I10"]})
    for words in (1, 2):
        sessions = simulate_sessions(index, purchases, words_per_query=words, seed=3)
        assert len(sessions) == 4
        for session in sessions:
            title = index.titles[session.target].lower()
            assert title not in session.query
            typed = [w for w in content_words(title) if w in session.query or SYNONYMS.get(w, w) in session.query]
            assert typed  # the kind of thing, at least, is named
            assert index.mask(session.constraints)[session.target]


@pytest.mark.parametrize("currency,symbol", [("GBP", "£"), ("USD", "$"), (None, "")])
def test_simulated_price_bounds_are_typed_in_the_shops_currency_and_parsed_as_their_constraint(currency, symbol):
    tables = small_shop()
    index = ShopIndex("shop", replace(tables, settings={**tables.settings, "currency": currency}))
    purchases = pd.DataFrame({"user_id": ["u1", "u2", "u3", "u4"], "item_id": ["I09", "I11", "I05", "I10"]})
    priced = [
        session
        for seed in range(12)
        for session in simulate_sessions(index, purchases, seed=seed)
        if session.constraints.max_price is not None
    ]
    assert priced
    vocabulary = ShopAssistant(index, fake_encode).vocabulary
    for session in priced:
        amount = f"{symbol}{session.constraints.max_price:g}"
        assert f"under {amount}" in session.query or f"for {amount} or less" in session.query
        assert not {"£", "$", "€"} - {symbol} & set(session.query)
        assert parse_query(session.query, vocabulary).max_price == session.constraints.max_price
