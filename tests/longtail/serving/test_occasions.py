import pytest

from longtail.serving.occasions import with_ages_as_recipients, without_event_nouns, without_gift_words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("stocking fillers for my 14 year old", "stocking fillers for my teenager"),
        ("formula for my 3 month old", "formula for my baby"),  # the occasion ``occasions_in`` reads, "baby"
        ("a 7-year-old's party", "a kid's party"),
        ("bits for my 5yo", "bits for my kid"),
        ("a watch for my 25 year old son", "a watch for my son"),  # a grown-up: no recipient's word
        ("my nephew who's 17", "my nephew who's 17"),  # said without "old": the number stays
    ],
)
def test_an_age_said_with_old_reads_as_its_recipient(text, expected):
    assert with_ages_as_recipients(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("stocking fillers for teens", "for teens"),
        ("secret santa gift", ""),
        ("bits for her christmas stocking", "bits for her christmas stocking"),  # a product too: the shop sells them
        ("christmas presents for the kids", "christmas for the kids"),
        ("gift wrap", "wrap"),
        ("a gifted child", "a gifted child"),
    ],
)
def test_the_words_for_a_present_are_taken_out(text, expected):
    assert without_gift_words(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("baby shower gifts", "baby gifts"),  # shower caps and cleaners were matched
        ("mothers day present", "mothers present"),  # and WEDDING DAY cards
        ("father's day", "father's"),
        ("valentine's day chocolates", "valentine's chocolates"),
        ("a shower cap", "a shower cap"),
        ("a day out", "a day out"),
    ],
)
def test_the_noun_that_names_an_event_is_taken_out(text, expected):
    assert without_event_nouns(text) == expected
