import pytest

from longtail.serving.lexical import lexical_index, lexical_scores, lexical_tokens

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


def test_a_query_s_function_words_match_nothing():
    """bm25s's English stop list keeps "who" and "her": "a gift for someone who has everything" matched DR WHO."""
    texts = ["DR WHO TOP TRUMPS GAME", "HER ROYAL HIGHNESS MUG", "SCENTED CANDLE"]
    index = lexical_index(texts)
    assert lexical_tokens("a game for someone who likes her candles") == ["game", "someone", "likes", "candles"]
    assert lexical_scores(index, "who her", len(texts)).tolist() == [0.0, 0.0, 0.0]
    # "who" adds nothing to the game's score: it is scored as for "game" alone.
    assert lexical_scores(index, "who plays a game", len(texts)).tolist() == lexical_scores(index, "game", 3).tolist()


def test_chat_s_particles_and_a_contraction_s_pronoun_match_nothing():
    """ "these are all a bit samey" matched a CARRY-ALL BASKET; "she's into gardening" titles that hold "she"."""
    texts = ["SWEETHEART CARRY-ALL BASKET", "SHE SHED SIGN", "PICK ME UP SMOOTHIE", "GARDENING KNEELER"]
    assert lexical_tokens("she's into gardening, you've got all the pick-me-up stuff") == [
        "gardening",
        "got",
        "pick",
        "me",
        "stuff",
    ]
    index = lexical_index(texts)
    assert lexical_scores(index, "these are all from her so she's up for anything", 4).tolist() == [0.0] * 4


def test_how_good_a_thing_should_be_matches_no_brand():
    """ "good coffee beans" matched Good Buddy dog treats; "best" stays, a brand's word too often (Best Foods)."""
    texts = ["GOOD BUDDY DOG TREATS", "WHOLE COFFEE BEANS", "BEST FOODS MAYONNAISE"]
    index = lexical_index(texts)
    assert lexical_tokens("a really good, nice, decent, great or lovely coffee") == ["really", "coffee"]
    assert lexical_scores(index, "good coffee beans", 3).tolist() == lexical_scores(index, "coffee beans", 3).tolist()
    assert lexical_scores(index, "best mayonnaise", 3)[2] > lexical_scores(index, "mayonnaise", 3)[2]
