import pytest

from longtail.serving.titles import ItemsCalled, ShopNames, TitleCategories, TitleFinder

TITLES = {
    "85123A": "WHITE HANGING HEART T-LIGHT HOLDER",
    "85123B": "RED HANGING HEART T-LIGHT HOLDER",
    "22423": "REGENCY CAKESTAND 3 TIER",
    "22697": "GREEN REGENCY TEACUP AND SAUCER",
    "21212": "PACK OF 72 RETROSPOT CAKE CASES",
    "85099B": "JUMBO BAG RED RETROSPOT",
    "99999": None,
}


@pytest.fixture(scope="module")
def finder():
    return TitleFinder(list(TITLES), list(TITLES.values()))


@pytest.mark.parametrize(
    "phrase, expected",
    [
        ("WHITE HANGING HEART T-LIGHT HOLDER", "85123A"),
        ("white hanging heart t-light holder", "85123A"),
        ("regency cakestand", "22423"),
        ("the red hanging heart", "85123B"),
        ("jumbo bag", "85099B"),
        ("a dinosaur lamp", None),  # no title word
        ("regency dinosaur lamp", None),  # most of the phrase is in no title
        ("the", None),  # stop words only
    ],
)
def test_title_finder(finder, phrase, expected):
    assert finder(phrase) == expected


def test_title_finder_validates():
    with pytest.raises(ValueError, match="as many item ids as titles"):
        TitleFinder(["a", "b"], ["only one"])
    with pytest.raises(ValueError, match="min_coverage"):
        TitleFinder(["a"], ["mug"], min_coverage=0)


KINDS = {
    "t1": "KNITTED TEA COSY",
    "t2": "KNITTED TEA COSY OWL",
    "t3": "KNITTED TEA COSY FOX",
    "t4": "TEA COSY STRIPES",
    "t5": "TEA COSY STRIPES",  # the same title under another id
    "m1": "MARMITE",
    "m2": "MARMITE SQUEEZY",
    "f1": "FOX MUG",
    "f2": "FOX SOCKS",
    "f3": "FOX PRINT",
}


@pytest.mark.parametrize(
    "phrase, expected",
    [
        ("knitted tea cosy owl", "t2"),  # the one title holding every word
        ("knitted tea cosy", "t1"),  # several hold them; one is exactly these words
        ("tea cosy", None),  # several hold them and none is exactly: a kind, not an item
        ("tea cosy stripes", "t4"),  # a repeated title counts once, under its first id
        ("marmite", "m1"),
        ("cosy", None),  # one word in more than TITLE_MAX_TITLES_FOR_ONE_WORD titles
        ("fox", None),  # in 4 titles
        ("owl", "t2"),  # in 1
        ("knitted tea cosy badger", None),  # a word no title has, and too little of the phrase covered
    ],
)
def test_title_finder_needs_words_that_fit_one_item(phrase, expected):
    finder = TitleFinder(list(KINDS), list(KINDS.values()))
    assert finder(phrase) == expected


@pytest.mark.parametrize(
    "phrase, expected",
    [
        ("jumbo", "85099B"),  # one word names one of the shown titles
        ("retrospot", None),  # two shown titles hold it
        ("cake case", "21212"),  # compared singular
        ("hanging heart", None),  # two shown titles hold it
        ("dinosaur", None),  # no shown title holds it
        ("the", None),
    ],
)
def test_title_finder_among_the_shown_items(finder, phrase, expected):
    shown = ["85123A", "85123B", "21212", "85099B", "unknown-id"]
    assert finder.among(phrase, shown) == expected


def test_common_words_are_the_singular_words_of_enough_titles(finder):
    assert finder.common_words(2) == {"hanging", "heart", "holder", "light", "red", "regency", "retrospot"}
    assert "cake" in finder.common_words(1) and not finder.common_words(3)


# --- TitleCategories --------------------------------------------------------------------------------------------

AISLE_TITLES = {
    "Frozen Garden Peas": "frozen > frozen produce",
    "Frozen Sweet Corn": "frozen > frozen produce",
    "Frozen Broccoli Florets": "frozen > frozen produce",
    "Frozen Lasagna": "frozen > frozen meals",
    "Frozen Pizza Margherita": "frozen > frozen meals",
    "Garden Peas in Water": "canned goods > canned vegetables",
    "Canned Sweet Corn": "canned goods > canned vegetables",
    "Classic Hummus": "deli > fresh dips",
    "Roasted Red Pepper Hummus": "deli > fresh dips",
    "Reading Glasses": "",  # no category: left out of the model
}


@pytest.fixture(scope="module")
def aisles():
    return TitleCategories(list(AISLE_TITLES), list(AISLE_TITLES.values()))


@pytest.mark.parametrize(
    "phrase, within, expected",
    [
        ("hummus", None, "deli > fresh dips"),
        ("Classic HUMMUS dips", None, "deli > fresh dips"),  # case-insensitive; "dips" is in no title
        ("lasagna", None, "frozen > frozen meals"),
        ("lasgna", None, "frozen > frozen meals"),  # a letter dropped from the title word "lasagna"
        ("hummos", None, None),  # a changed letter is read as a slip only in words of nine letters or more
        ("peas", None, None),  # as many frozen as canned: no node is likely enough
        ("peas", "frozen", "frozen > frozen produce"),  # within the frozen department
        ("peas", "canned goods", "canned goods > canned vegetables"),
        ("a dinosaur lamp", None, None),  # no title word
        ("hummus", "unknown > node", None),
        (None, None, None),
    ],
)
def test_title_categories_name_the_node_of_the_titles(aisles, phrase, within, expected):
    assert aisles(phrase, within) == expected


def test_title_categories_name_the_department_when_its_aisles_share_the_words(aisles):
    # "frozen" is in every frozen title, split between two aisles: the department is what the word names.
    assert aisles("frozen") == "frozen"


def test_title_categories_never_name_a_sole_root():
    titles = ["Yoga Journal", "Yoga Today", "Knitting Weekly", "Knitting Now"]
    paths = ["Magazines > Fitness", "Magazines > Fitness", "Magazines > Knitting", "Magazines > Knitting"]
    categories = TitleCategories(titles, paths)
    assert categories("yoga") == "Magazines > Fitness"
    assert categories("weekly today") is None  # one word of each: only the root holds both


def test_title_categories_validate():
    with pytest.raises(ValueError, match="one category per title"):
        TitleCategories(["a", "b"], ["x"])
    with pytest.raises(ValueError, match="min_probability"):
        TitleCategories(["a"], ["x"], min_probability=0.5)
    with pytest.raises(ValueError, match="at least one item with a category"):
        TitleCategories(["a", "b"], ["", None])


# --- ItemsCalled ------------------------------------------------------------------------------------------------

CALLED_TITLES = {
    "Creamy Peanut Butter": "pantry > spreads",
    "Crunchy Peanut Butter": "pantry > spreads",
    "Natural Peanut Butters": "pantry > spreads",
    "Organic Peanut Butter": "snacks > nut butters",
    "Peanut Butter Granola Bar": "snacks > energy bars",  # a bar, not peanut butter
    "Peanut Butter Chocolate Cups": "snacks > candy",
    "Salted Butter": "dairy > butter",
    "Unsalted Butter": "dairy > butter",
    "Sweet Cream Butter": "dairy > butter",
    "Smooth Peanut Butter": "",  # no category: it counts towards the titles needed, not the shares
    "Spicy Beef Jerky": "snacks > jerky",
    "Original Beef Jerky": "",
    "Teriyaki Beef Jerky": "",
}


@pytest.fixture(scope="module")
def called():
    return ItemsCalled(list(CALLED_TITLES), list(CALLED_TITLES.values()))


def test_the_items_called_a_phrase_are_those_whose_titles_end_with_it(called):
    ending, shares = called("peanut butter")
    assert ending == "peanut butter"
    assert shares == pytest.approx(
        {"pantry": 0.75, "pantry > spreads": 0.75, "snacks": 0.25, "snacks > nut butters": 0.25}
    )


def test_the_longest_run_of_words_that_enough_titles_end_with_is_read(called):
    # Two titles say "crunchy peanut butter" or fewer: below the three needed, so "peanut butter" is read, wherever
    # it stands in the phrase.
    assert called("nice crunchy peanut butters")[0] == "peanut butter"
    assert called("peanut butter if you have it, the crunchy kind")[0] == "peanut butter"
    assert called("sweet cream butter") == ("", {})  # one title, and "cream butter" is in one too
    assert called("butter") == ("", {})  # one word calls every title that ends with it: read only when asked
    assert called("some butter please", min_words=1) == ("butter", pytest.approx({
        "dairy": 3 / 7, "dairy > butter": 3 / 7, "pantry": 3 / 7, "pantry > spreads": 3 / 7, "snacks": 1 / 7,
        "snacks > nut butters": 1 / 7,
    }))  # fmt: skip
    assert called("granola bar") == ("", {})
    assert called(None) == ("", {})


def test_titles_without_a_category_count_towards_a_name_not_its_shares(called):
    # Three titles end with "beef jerky", one of them with a category.
    assert called("beef jerky") == ("beef jerky", {"snacks": 1.0, "snacks > jerky": 1.0})
    titles = ["Original Beef Jerky", "Teriyaki Beef Jerky", "Spicy Beef Jerky"]
    assert ItemsCalled(titles, [None, "", None])("beef jerky") == ("beef jerky", {})


def test_items_called_compare_without_stop_words():
    titles = ["Half & Half", "Organic Half and Half", "Fat Free Half & Half", "Half Caff Coffee"]
    shop = ItemsCalled(titles, ["dairy > cream", "dairy > cream", "dairy > cream", "drinks > coffee"])
    assert shop("half and half for my coffee") == ("half half", {"dairy": 1.0, "dairy > cream": 1.0})


def test_items_called_leave_out_a_sole_root_and_validate():
    titles = ["Yoga Journal", "Knitting Journal", "Travel Journal"]
    shop = ItemsCalled(titles, ["Magazines > Fitness", "Magazines > Knitting", "Magazines > Travel"], min_titles=1)
    assert shop("yoga journal") == ("yoga journal", {"Magazines > Fitness": 1.0})
    with pytest.raises(ValueError, match="one category per title"):
        ItemsCalled(["a", "b"], ["x"])
    with pytest.raises(ValueError, match="min_titles"):
        ItemsCalled(["a"], ["x"], min_titles=0)
    with pytest.raises(ValueError, match="min_words"):
        shop("yoga journal", min_words=0)


GROCERY = {
    "1": "Organic Zucchini",
    "2": "Zucchini Noodles",
    "3": "Grilled Zucchini Slices",
    "4": "Courgette Soup",
    "5": "Light String Cheese",
    "6": "Double Cream",
    "7": "Heavy Cream",
    "8": "Baby Diapers Size 2",
}


@pytest.fixture(scope="module")
def grocery():
    return TitleFinder(list(GROCERY), list(GROCERY.values()))


@pytest.mark.parametrize(
    "phrase, expected",
    [
        ("zucchini", 3),
        ("courgette", 1),
        ("string cheese", 1),
        ("string light", 0),  # both words, not in a row
        ("diaper", 1),  # either form of the word
        ("diapers", 1),
        ("the", 0),
        ("aubergine", 0),
    ],
)
def test_titles_with_counts_the_titles_holding_the_phrase(grocery, phrase, expected):
    assert grocery.titles_with(phrase) == expected


def test_usual_form_spells_each_word_as_most_titles_do():
    finder = TitleFinder(["1", "2", "3"], ["Baby Diapers Size 2", "Diapers, Size 4", "Swim Diaper"])
    assert finder.usual_form("diaper") == "diapers"
    assert finder.usual_form("diapers") == "diapers"
    assert finder.usual_form("swim nappy") == "swim nappy"  # no title holds "nappy"


def test_shop_names_add_the_name_the_shop_uses_far_more(grocery):
    pairs = [("courgette", "zucchini"), ("double cream", "heavy cream"), ("nappy", "diaper"), ("swede", "rutabaga")]
    names = ShopNames(grocery, pairs)
    assert grocery.titles_with("zucchini") == 3 * grocery.titles_with("courgette")  # at the ratio
    assert names("a few courgettes") == "a few courgettes zucchini"
    assert names("nappies for the baby") == "nappies for the baby diapers"  # as the titles spell it
    assert names("double cream") == "double cream"  # both names are the shop's (1 title each)
    assert names("swede") == "swede"  # neither name is in a title
    assert names("zucchini") == "zucchini"  # already the shop's name: nothing goes the other way
    with pytest.raises(ValueError, match="min_ratio"):
        ShopNames(grocery, pairs, min_ratio=0.5)
