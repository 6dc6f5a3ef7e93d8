from longtail.language import guard
from longtail.language.facts import ItemFacts
from longtail.language.grounded import display_title, grounded_text

FULL = ItemFacts(
    "g",
    title="Olive Garden Gift Card",
    brand="Olive Garden",
    category="Gift Cards > Restaurants",
    price=25.0,
    features=("Use at any Olive Garden location", "Card never expires"),
    review_count=12,
    mean_rating=4.25,
    review_mentions=(("breadsticks", 5), ("birthday", 3)),
    review_highlights=("Perfect gift!", "Easy to use"),
)


def test_grounded_text_restates_every_fact_and_nothing_else():
    description, ad = grounded_text(FULL)
    assert description == (
        "Olive Garden Gift Card, in Gift Cards > Restaurants. Features: Use at any Olive Garden location; Card never "
        "expires. Price: 25.00. 12 reviews, rated 4.2 out of 5 on average. Reviewers mention breadsticks (5 reviews) "
        "and birthday (3 reviews). One reviewer wrote: \u201cPerfect gift!\u201d"
    )
    assert ad == "Olive Garden Gift Card: rated 4.2 out of 5 in 12 reviews."
    # The guard finds nothing to object to: every number and word is in the facts.
    assert guard.find_violations(description, FULL, ("Olive Garden", "Acme")) == []
    assert guard.find_violations(ad, FULL, ("Olive Garden", "Acme")) == []


def test_grounded_text_says_less_when_less_is_known():
    assert grounded_text(ItemFacts("a", title="WHITE HANGING HEART T-LIGHT HOLDER", price=2.55)) == (
        "White Hanging Heart T-Light Holder. Price: 2.55.",
        "White Hanging Heart T-Light Holder, 2.55.",
    )
    sterling = ItemFacts("a", title="WHITE HANGING HEART T-LIGHT HOLDER", price=2.55, currency="GBP")
    assert grounded_text(sterling) == (
        "White Hanging Heart T-Light Holder. Price: £2.55.",
        "White Hanging Heart T-Light Holder, £2.55.",
    )
    assert guard.find_violations(grounded_text(sterling)[0], sterling, ()) == []
    assert grounded_text(ItemFacts("b", brand="Hearst", category="Magazines > Cooking")) == (
        "An item from Hearst in Magazines > Cooking.",
        "Cooking from Hearst.",
    )
    reviewed = ItemFacts("c", review_count=2, mean_rating=5.0, review_mentions=(("scent", 2),))
    assert grounded_text(reviewed) == (
        "2 reviews, rated 5.0 out of 5 on average. Reviewers mention scent (2 reviews).",
        "This item: rated 5.0 out of 5 in 2 reviews.",
    )
    # A price of 0 is a bookkeeping line, and a code is not a name: nothing to say.
    assert grounded_text(ItemFacts("d", title="lost", price=0.0)) == ("lost.", "lost.")
    assert grounded_text(ItemFacts("e", title="72754D", price=1.0)) == ("", "")
    assert grounded_text(ItemFacts("f", title="Mug", brand="Mug")) == ("Mug.", "Mug.")


def test_display_title_fixes_only_all_capitals():
    assert display_title("CHILDREN'S APRON SPACEBOY") == "Children's Apron Spaceboy"
    assert display_title("iPhone case") == "iPhone case"
    assert display_title("12 PENCILS") == "12 Pencils"
