from dataclasses import replace

import numpy as np
import pytest

from longtail.serving.assistant import ShopAssistant, lexical_index, lexical_scores
from longtail.serving.catalogue import ShopIndex
from longtail.serving.snapshot import ITEM_CLUSTERS
from tests.longtail.serving.shops import TITLES, fake_encode, small_shop

TEXTS = ["scented candle", "scented candle holder in a gift box with a ribbon and a card"]


def test_bm25_length_normalisation_follows_b():
    """b = 1 favours the short text for a word both hold once; b near 0 scores them nearly alike."""
    normalised = lexical_scores(lexical_index(TEXTS, {"b": 1.0}), "candle", len(TEXTS))
    flat = lexical_scores(lexical_index(TEXTS, {"b": 0.01}), "candle", len(TEXTS))
    assert normalised[0] > 1.5 * normalised[1]
    assert flat[0] == pytest.approx(flat[1], rel=0.05)


def test_no_indexed_word_scores_zero():
    assert lexical_scores(lexical_index(TEXTS), "zebra", len(TEXTS)).tolist() == [0.0, 0.0]


@pytest.mark.parametrize("params", [{"k1": 0}, {"b": -1}, {"k1": True}, {"delta": 1.0}])
def test_bad_bm25_params_are_refused(params):
    with pytest.raises(ValueError, match="BM25 params"):
        lexical_index(TEXTS, params)


def test_the_assistant_matches_words_with_its_bm25_params():
    index = ShopIndex("shop", small_shop())
    default = ShopAssistant(index, fake_encode).signals("scented").lexical
    flat = ShopAssistant(index, fake_encode, bm25_params={"b": 0.01}).signals("scented").lexical
    scented = [row for row, title in enumerate(TITLES) if "SCENTED" in title]
    assert set(np.flatnonzero(default)) == set(np.flatnonzero(flat)) == set(scented)
    # Both scented items hold the word once; with length normalisation the shorter text scores higher.
    short, long = sorted(scented, key=lambda row: len(TITLES[row].split()))
    assert default[short] > default[long]
    assert flat[short] == pytest.approx(flat[long], rel=0.05)


def test_item_clusters_filter_only_where_the_shopper_names_them():
    """A shop's own categories may be guessed from the query's embedding; item clusters, which no shopper names,
    only by the words of their whole label."""
    shop = small_shop()
    calls = []

    def encode(texts):
        calls.extend(texts)
        return np.ones((len(texts), 8), np.float32) / np.sqrt(8)  # every text alike: any guess would match

    catalogue = ShopAssistant(ShopIndex("shop", shop), encode)
    assert catalogue.vocabulary.match_category("something cosy for the evening") is not None
    clustered = ShopAssistant(ShopIndex("shop", replace(shop, settings={"categories": ITEM_CLUSTERS})), encode)
    calls.clear()
    assert clustered.vocabulary.match_category("something cosy for the evening") is None
    assert calls == []  # no cluster label is even embedded
    assert clustered.signals("something cosy for the evening").filters.category is None
    assert clustered.signals("scented candles").filters.category == "home > candles"
