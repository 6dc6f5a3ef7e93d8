import pandas as pd
import pytest

from longtail.language.review_facts import MAX_HIGHLIGHTS, ReviewFacts, mentioned_phrases, review_facts


def reviews(rows):
    frame = pd.DataFrame(rows, columns=["dataset", "review_id", "item_id", "rating", "title", "text", "ts"])
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    return frame


ROWS = [
    ("s", "r1", "a", 5, "Great fit", "The fabric is soft and the colour is deep.", "2024-01-01"),
    ("s", "r2", "a", 4, "Five Stars", "Nice colour, the fabric runs small.", "2024-01-02"),
    ("s", "r3", "a", 3, "Okay", "Fabric okay. The product came late.", "2024-01-03"),
    ("s", "r4", "a", None, "", "Colour faded.", "2024-02-01"),
    ("s", "r5", "b", 1, "Broke", "The zipper broke.", "2024-01-05"),
    ("t", "r1", "a", 2, "Other shop", "Elsewhere.", "2024-01-01"),
]


def test_review_facts_count_rate_and_mention_what_reviews_say():
    facts = review_facts(reviews(ROWS))
    a = facts["s"]["a"]
    # Four reviews, three rated: (5 + 4 + 3) / 3.
    assert a.count == 4 and a.mean_rating == 4.0
    # "fabric" in three reviews, "colour" in three; "product" is generic, and a phrase must be in two reviews.
    assert a.mentions == (("colour", 3), ("fabric", 3))
    # "Five Stars" repeats the rating and the empty title says nothing: newest usable titles first.
    assert a.highlights == ("Okay", "Great fit")
    assert facts["s"]["b"] == ReviewFacts(count=1, mean_rating=1.0, mentions=(), highlights=("Broke",))
    assert facts["t"]["a"].highlights == ("Other shop",)
    assert review_facts(reviews([])) == {}


def test_review_facts_order_highlights_by_score_and_stop_at_the_cut():
    scores = pd.DataFrame({"dataset": ["s", "s", "s"], "review_id": ["r1", "r3", "r5"], "score": [0.9, 0.1, -0.9]})
    facts = review_facts(reviews(ROWS), scores)
    assert facts["s"]["a"].highlights[:2] == ("Great fit", "Okay")
    before = review_facts(reviews(ROWS), scores, before=pd.Timestamp("2024-01-03", tz="UTC"))
    # Only r1 and r2 are before the cut for a; nothing of the later reviews is counted or quoted.
    assert before["s"]["a"].count == 2 and before["s"]["a"].highlights == ("Great fit",)
    assert before["s"]["a"].mentions == (("colour", 2), ("fabric", 2))


def test_review_facts_keep_a_few_highlights():
    many = [("s", f"r{i}", "a", 5, f"Title {i}", "Fine.", f"2024-01-{i + 1:02d}") for i in range(6)]
    assert len(review_facts(reviews(many))["s"]["a"].highlights) == MAX_HIGHLIGHTS


def test_mentioned_phrases_name_items_by_what_their_reviews_share():
    shop = reviews(ROWS[:5])
    # "b" has one review: no phrase is shared, so nothing names it.
    assert mentioned_phrases(shop).to_dict() == {"a": "colour, fabric"}
    assert mentioned_phrases(shop.iloc[:0]).empty
    with pytest.raises(ValueError, match="one dataset"):
        mentioned_phrases(reviews(ROWS))
