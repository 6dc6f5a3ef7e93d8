import numpy as np
import pytest

from longtail.language.aspects import (
    ITEM_AGNOSTIC_WORDS,
    aspect_phrases,
    beyond_name,
    contrast_phrases,
    generic_phrases,
    kind_word,
    phrase_matrix,
    top_phrases,
)


def test_aspect_phrases_keep_things_and_drop_opinions():
    phrases = aspect_phrases("The battery life is terrible, but I love the screen resolution!")
    assert phrases == ["battery", "life", "battery life", "screen", "resolution", "screen resolution"]


def test_words_that_qualify_an_opinion_are_not_aspects():
    # "highly", "quite" and "especially" were praise phrases of magazines: VADER's intensifiers, like its negations,
    # which also take what follows them ("never late" praises no lateness)
    phrases = aspect_phrases("Highly recommended, quite informative, especially the recipes; never late")
    assert phrases == ["informative", "recipes"]


def test_aspect_phrases_do_not_join_words_across_punctuation_or_dropped_words():
    assert "smell shipping" not in aspect_phrases("Strong smell. Shipping took weeks")
    assert "customer service" in aspect_phrases("Customer service never answered")
    assert "box tape" not in aspect_phrases("box with tape")


@pytest.mark.parametrize(
    "text, phrases",
    [
        ("The ointment is not greasy at all, lovely scent", ["ointment", "scent"]),
        ("my face did not feel dry and tight", ["face", "did", "face did"]),
        ("without that tight feeling", []),
        ("I don\u2019t get razor burn", []),  # a curly apostrophe negates as a straight one
        ("Not cheap but the fabric is soft", ["fabric", "soft"]),  # "but" ends the negation's scope
        ("No complaints, the fabric is soft", ["fabric", "soft"]),  # so does punctuation
    ],
)
def test_words_in_a_negations_scope_are_not_aspects(text, phrases):
    assert aspect_phrases(text) == phrases


def test_the_negation_scope_can_be_left_out():
    assert aspect_phrases("not greasy at all", negation_scope=False) == ["greasy"]
    matrix, vocabulary = phrase_matrix(["not greasy", "greasy"], negation_scope=False)
    assert vocabulary.tolist() == ["greasy"] and matrix.toarray().ravel().tolist() == [1.0, 1.0]


def test_aspect_phrases_rejects_non_strings():
    with pytest.raises(TypeError, match="string"):
        aspect_phrases(None)


def test_phrase_matrix_counts_documents_not_mentions():
    matrix, vocabulary = phrase_matrix(["smell smell smell", "smell of the bottle", "okay"])
    smell = list(vocabulary).index("smell")
    assert matrix.shape == (3, len(vocabulary))
    assert matrix[:, smell].toarray().ravel().tolist() == [1.0, 1.0, 0.0]


def test_phrase_matrix_of_stop_words_only_is_empty():
    matrix, vocabulary = phrase_matrix(["it is the", "and so"])
    assert matrix.shape == (2, 0) and len(vocabulary) == 0


def test_contrast_phrases_favours_the_side_that_mentions_a_phrase():
    # Phrase 0 is in 8 of 10 side documents and 1 of 10 others; phrase 1 is equally common on both.
    z = contrast_phrases(np.array([8, 5]), 10, np.array([1, 5]), 10, np.array([9, 10]), 20)
    assert z[0] > 1.96
    assert abs(z[1]) < 1e-9
    flipped = contrast_phrases(np.array([1, 5]), 10, np.array([8, 5]), 10, np.array([9, 10]), 20)
    assert flipped[0] == pytest.approx(-z[0])


def test_contrast_phrases_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="one shape"):
        contrast_phrases(np.zeros(2), 1, np.zeros(3), 1, np.zeros(2), 1)


def test_top_phrases_prefers_bigrams_and_skips_overlapping_words():
    vocabulary = np.array(["battery", "battery life", "life", "screen", "price"])
    z = np.array([3.0, 3.0, 2.5, 1.0, -1.0])
    counts = np.array([2, 2, 2, 1, 1])
    assert top_phrases(z, counts, vocabulary, k=3) == ["battery life", "screen"]
    assert top_phrases(z, counts, vocabulary, k=1) == ["battery life"]
    with pytest.raises(ValueError, match="k must be"):
        top_phrases(z, counts, vocabulary, k=0)


def test_top_phrases_skip_phrases_in_fewer_documents_than_asked():
    vocabulary = np.array(["battery life", "screen", "price"])
    z = np.array([3.0, 2.0, 1.0])
    counts = np.array([1, 2, 3])
    assert top_phrases(z, counts, vocabulary, k=3, min_documents=2) == ["screen", "price"]
    with pytest.raises(ValueError, match="min_documents"):
        top_phrases(z, counts, vocabulary, min_documents=0)


def test_a_phrase_made_only_of_the_items_name_says_nothing_more():
    phrases = ["national", "geographic", "maps", "national parks", "educational"]
    assert beyond_name(phrases, "NATIONAL GEOGRAPHIC") == ["maps", "national parks", "educational"]
    assert beyond_name(["reader's", "digest"], "Reader's Digest (Large Print)") == []
    assert beyond_name(["scent"], "") == ["scent"]


def test_a_phrase_that_restates_the_items_name_in_either_number_says_nothing_more():
    phrases = ["skirt", "pockets", "pleats", "dresses", "glass"]
    assert beyond_name(phrases, "Skirts") == ["pockets", "pleats", "dresses", "glass"]
    assert beyond_name(["dress", "lace"], "Summer Dresses") == ["lace"]
    assert beyond_name(["glasses", "frames"], "Reading glass") == ["frames"]


def test_phrases_of_people_acts_sizes_and_contractions_are_generic():
    vocabulary = np.array(["husband", "read", "runs small", "there's", "world's", "recipes", "husband recipes", "fit"])
    assert generic_phrases(vocabulary).tolist() == [True, True, True, True, True, False, False, False]
    # the words before these lists: only item-agnostic ones
    assert generic_phrases(vocabulary, ITEM_AGNOSTIC_WORDS).tolist() == [False] * 3 + [True] * 2 + [False] * 3
    # the wearer's body, a price conceded in a positive review, "fit as expected": none names the item
    conceded = np.array(["hips", "pricey", "expected", "pricey fabric", "sleeves"])
    assert generic_phrases(conceded).tolist() == [True, True, True, False, False]


def test_the_word_reviews_put_after_this_or_these_is_the_items_kind():
    reviews = ["This romper is adorable, love the color", "Love this romper!", "This color is lovely", "this is cute"]
    assert kind_word(reviews) == "romper"
    # one review is not enough; a tie names nothing; stop words and sentiment words are no kind
    assert kind_word(["This romper is adorable"]) is None
    assert kind_word(["this romper", "these shorts", "this romper too", "these shorts too"]) is None
    # reviews that call it by a generic word ("this magazine") name no kind: "these recipes" is what it holds
    assert kind_word(["this magazine", "this magazine has", "this magazine!", "these recipes", "these recipes"]) is None
