import pandas as pd
import pytest

from longtail.serving.diets import breaks_diet, take_diets, without_substitute_meat


@pytest.mark.parametrize(
    ("text", "diets"),
    [
        ("i'm vegetarian, something quick for dinner", ("vegetarian",)),
        ("my daughter's gone veggie", ("vegetarian",)),
        ("veggie burgers for the bbq", ("vegetarian",)),
        ("vegan cheese", ("vegan",)),
        ("plant-based burgers", ("vegan",)),
        ("vegan chicken nuggets", ("vegan",)),  # a meat substitute keeps the diet
        ("my roommate doesn't eat meat, any soup?", ("vegetarian",)),
        # "veggie" meaning vegetables states no diet
        ("veggie chips for the kids", ()),
        ("fruit and veggie snacks", ()),
        ("frozen mixed veggies", ()),
        # the diet is someone else's where the shopper names a meat they want
        ("my vegan sister is visiting but i need steaks for me", ()),
        # a negated diet word states none
        ("the real stuff, not that vegetarian fake bacon", ()),
        ("gummy candy, i'm vegetarian", ("vegetarian",)),  # gelatin is no meat the shopper wants
        ("vegetarian lunch meat?? does that even exist", ("vegetarian",)),
        ("my vegan roommate finally moved out so i can buy real cheese again", ()),
        ("", ()),
    ],
)
def test_the_diets_a_shopper_states(text, diets):
    assert take_diets(text)[0] == diets


def test_a_ruled_out_meat_is_a_diet_and_not_eating_meat_leaves_no_free_words():
    assert take_diets("", ("meat",))[0] == ("vegetarian",)
    assert take_diets("soup", ("animal",))[0] == ("vegan",)
    assert take_diets("", ("nut",))[0] == ()
    assert take_diets("for me but fish is fine. frozen salmon fillets?", ("meat",))[0] == ()  # a pescatarian
    assert take_diets("a few friends don't eat meat so some should be meat-free")[0] == ("vegetarian",)
    diets, text = take_diets("my roommate doesn't eat meat, any soup?")
    assert "meat" not in text.split() and "soup?" in text.split()


TITLES = pd.Series(
    [
        "pepperoni pizza",
        "cheese pizza",
        "italian sausage & fire-roasted veggie pizza",
        "vegan chicken veggie kungpao",
        "tuna in olive oil",
        "almond milk",
        "whole milk",
        "creamy peanut butter",
        "natural honey peanut butter",
        "vegetarian roast",
        "eggplant parmesan",
        "honeydew melon",
        "organic gummy bears",
        "vegan gummy bears",
        "toscano salame",
    ]
)


def test_a_vegetarian_diet_rules_out_meat_and_fish_unless_the_title_states_the_diet():
    broken = TITLES[breaks_diet(TITLES, "vegetarian")].tolist()
    # The sausage pizza is "veggie" yet names sausage: the title states the diet, so it is spared.
    assert broken == ["pepperoni pizza", "tuna in olive oil", "organic gummy bears", "toscano salame"]


def test_a_vegan_diet_also_rules_out_dairy_eggs_and_honey_but_not_plant_milks_or_nut_butters():
    broken = TITLES[breaks_diet(TITLES, "vegan")].tolist()
    assert broken == [
        "pepperoni pizza",
        "cheese pizza",
        "italian sausage & fire-roasted veggie pizza",
        "tuna in olive oil",
        "whole milk",
        "natural honey peanut butter",
        "eggplant parmesan",
        "organic gummy bears",
        "toscano salame",
    ]


def test_an_unknown_diet_is_refused():
    with pytest.raises(ValueError, match="keto"):
        breaks_diet(TITLES, "keto")


def test_a_meat_after_a_diet_word_is_a_substitute():
    assert without_substitute_meat("plant based chicken nuggets") == "plant based nuggets"
    assert without_substitute_meat("vegetarian lunch meat") == "vegetarian lunch"
    assert without_substitute_meat("chicken nuggets") == "chicken nuggets"


def test_a_shelf_of_meat_breaks_a_vegetarian_diet_unless_the_title_states_it():
    titles = pd.Series(["premium genoa", "veggie dogs", "firm tofu", "teriyaki marinade"])
    shelves = pd.Series(
        ["lunch meat", "hot dogs bacon sausage", "tofu meat alternatives", "marinades meat preparation"]
    )
    assert breaks_diet(titles, "vegetarian", shelves).tolist() == [True, False, False, False]
    assert breaks_diet(titles, "vegetarian").tolist() == [False, False, False, False]
