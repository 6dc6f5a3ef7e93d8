import numpy as np
import pytest

from longtail.serving.vocabulary import (
    CategoryMatcher,
    category_nodes,
    domain_words,
    item_clusters,
    lexical_category,
    singular,
    slips,
)

# Real-looking Instacart aisles and magazine categories, typed in (tests do not read the warehouse).
AISLES = [
    "snacks > chips pretzels",
    "snacks > candy chocolate",
    "snacks > cookies cakes",
    "snacks > fruit vegetable snacks",
    "snacks > ice cream toppings",
    "beverages > soft drinks",
    "beverages > tea",
    "alcohol > red wines",
    "alcohol > white wines",
    "alcohol > specialty wines champagnes",
    "household > air fresheners candles",
    "household > trash bags liners",
    "household > paper goods",
    "pets > dog food care",
    "pets > cat food care",
    "babies > baby food formula",
    "international > asian foods",
    "international > indian foods",
    "international > kosher foods",
    "frozen > ice cream ice",
    "frozen > frozen pizza",
    "dairy eggs > cream",
    "personal care > body lotions soap",
]
MAGAZINES = [
    "Magazine Subscriptions > Cooking, Food & Wine > Recipes & Techniques",
    "Magazine Subscriptions > Cooking, Food & Wine > Wine & Cocktails",
    "Magazine Subscriptions > Crafts & Hobbies > Knitting",
    "Magazine Subscriptions > Children & Teen > Children",
    "Magazine Subscriptions > Children & Teen > Teen",
    "Magazine Subscriptions > Sports, Recreation & Outdoors > Sports & Leisure > Golf",
    "Magazine Subscriptions > Sports, Recreation & Outdoors > Sports & Leisure > Racket Sports",
    "Magazine Subscriptions > Science, History & Nature > Agricultural Sciences",
    "Magazine Subscriptions > Literary, Sci-Fi & Mystery > Literary Magazines & Journals",
    "Magazine Subscriptions > Automotive & Motorcycles > Automotive",
    "Magazine Subscriptions > Men's Interest",
]
COOKING = "Magazine Subscriptions > Cooking, Food & Wine"


@pytest.fixture(scope="module")
def encode():
    from longtail.recommend.embedding import encode_texts, load_encoder

    model = load_encoder(device="cpu")
    return lambda texts: encode_texts(model, texts)


@pytest.mark.parametrize(
    "word, expected",
    [
        ("boxes", "box"), ("candies", "candy"), ("glasses", "glass"), ("nuts", "nut"), ("candles", "candle"),
        ("cookies", "cookie"), ("knives", "knife"), ("tomatoes", "tomato"), ("shoes", "shoe"),
        ("peaches", "peach"), ("christmas", "christmas"), ("news", "news"), ("glass", "glass"), ("men's", "man"),
        ("children", "child"), ("gas", "gas"),
    ],
)  # fmt: skip
def test_singular(word, expected):
    assert singular(word) == expected


def test_category_nodes_adds_every_prefix_sorted_and_distinct():
    nodes = category_nodes(["b > c > d", "a > x", "b > c", "", "a > x"])
    assert nodes == ("a", "a > x", "b", "b > c", "b > c > d")


def test_category_nodes_refuses_an_empty_level_and_non_strings():
    with pytest.raises(ValueError, match="empty level"):
        category_nodes(["a >  > b"])
    with pytest.raises(TypeError):
        category_nodes(["a", None])


def test_domain_words_are_the_sole_roots_label_words():
    assert domain_words(category_nodes(MAGAZINES)) == {"magazine", "subscription"}
    assert domain_words(category_nodes(AISLES)) == frozenset()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("crisps", "snacks > chips pretzels"),  # synonym
        ("something from the snacks", "snacks"),  # the department, not "fruit vegetable snacks"
        ("fizzy pop", "beverages > soft drinks"),
        ("wine", "alcohol"),  # red and white wines tie: their common ancestor
        ("red wine", "alcohol > red wines"),
        ("dog food", "pets > dog food care"),
        ("ice cream", "frozen > ice cream ice"),  # whole label named beats "ice cream toppings"
        ("hand cream", "personal care > body lotions soap"),  # a phrase, not dairy cream
        ("bin bags", "household > trash bags liners"),
        ("food", None),  # vague: names many aisles
        ("something red", None),  # a describing word alone names no aisle
        ("frozen", "frozen"),  # ... unless it is the whole label
        ("a birthday present for my mum", None),
    ],
)
def test_lexical_category_in_aisles(text, expected):
    assert lexical_category(text, category_nodes(AISLES)) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a cooking magazine", COOKING),
        ("recipe magazine", f"{COOKING} > Recipes & Techniques"),
        ("a wine magazine", f"{COOKING} > Wine & Cocktails"),  # a whole part of the deeper label
        ("a magazine for kids", "Magazine Subscriptions > Children & Teen > Children"),
        ("golf", "Magazine Subscriptions > Sports, Recreation & Outdoors > Sports & Leisure > Golf"),
        ("sports", "Magazine Subscriptions > Sports, Recreation & Outdoors > Sports & Leisure"),
        ("science", "Magazine Subscriptions > Science, History & Nature"),  # not into "Agricultural Sciences"
        ("cars", "Magazine Subscriptions > Automotive & Motorcycles > Automotive"),
        ("for men", "Magazine Subscriptions > Men's Interest"),
        ("a magazine", None),  # the sole root holds every item; "magazine" names nothing
    ],
)
def test_lexical_category_in_magazines(text, expected):
    assert lexical_category(text, category_nodes(MAGAZINES)) == expected


def test_lexical_category_in_a_flat_vocabulary_needs_every_label_word():
    clusters = ["candle scented tin", "mug coffee", "tea towel"]
    assert lexical_category("tea towels", clusters) == "tea towel"
    assert lexical_category("candles", clusters) is None


def test_category_matcher_with_the_real_encoder(encode):
    matcher = CategoryMatcher(AISLES, encode)
    assert matcher("fizzy pop") == "beverages > soft drinks"
    assert matcher("bin bags") == "household > trash bags liners"
    assert matcher("biscuits") == "snacks > cookies cakes"
    for phrase in ("vintage", "gift for mum", "christmas", "hello"):
        assert matcher(phrase) is None, phrase
    assert matcher("") is None
    magazines = CategoryMatcher(MAGAZINES, encode)
    assert magazines("knitting") == "Magazine Subscriptions > Crafts & Hobbies > Knitting"
    assert magazines("teenagers") == "Magazine Subscriptions > Children & Teen > Teen"


def test_category_matcher_validates():
    def encode(texts):
        return np.eye(len(texts), 4, dtype=np.float32)

    with pytest.raises(ValueError, match="threshold"):
        CategoryMatcher(AISLES[:2], encode, threshold=1.5)
    with pytest.raises(ValueError, match="at least one"):
        CategoryMatcher([], encode)
    with pytest.raises(ValueError, match="one row per text"):
        CategoryMatcher(AISLES[:2], lambda texts: np.zeros((1, 4), dtype=np.float32))


def _three_groups(seed=0):
    rng = np.random.default_rng(seed)
    centres = np.eye(3, 8, dtype=np.float32) * 10
    groups = [
        ["red coffee mug", "blue coffee mug", "spotty coffee mug", "large mug"],
        ["scented candle tin", "pillar candle", "candle holder", "scented candle"],
        ["tea towel", "kitchen tea towel", "striped tea towel", "towel set"],
    ]
    titles = [title for group in groups for title in group]
    vectors = np.vstack([centres[g] + rng.normal(0, 0.1, (len(group), 8)) for g, group in enumerate(groups)])
    return titles, vectors.astype(np.float32), [g for g, group in enumerate(groups) for _ in group]


def test_item_clusters_groups_items_and_names_clusters_by_distinctive_words():
    titles, vectors, groups = _three_groups()
    labels, names = item_clusters(titles, vectors, 3)
    assert labels.shape == (len(titles),) and labels.dtype.kind == "i"
    # Same cluster within a group, different clusters across groups.
    assert len({labels[i] for i, g in enumerate(groups) if g == 0}) == 1
    assert len({labels[i] for i in range(len(titles))}) == 3
    name_of_group = {g: names[labels[groups.index(g)]] for g in range(3)}
    assert name_of_group[0].split()[0] == "mug"
    assert name_of_group[1].split()[0] == "candle"
    assert "towel" in name_of_group[2].split()[:2]
    assert all(2 <= len(name.split()) <= 3 for name in names)
    assert len(set(names)) == 3


def test_item_clusters_makes_names_unique():
    vectors = np.vstack([np.zeros((2, 4)), np.ones((2, 4)) * 5]).astype(np.float32)
    labels, names = item_clusters(["red mug", "red mug", "red mug", "red mug"], vectors, 2)
    assert len(set(labels.tolist())) == 2
    assert len(set(names)) == 2 and all(name.startswith("mug red") for name in names)


def test_item_clusters_validates():
    titles, vectors, _ = _three_groups()
    with pytest.raises(ValueError, match="exceeds the number of items"):
        item_clusters(titles, vectors, len(titles) + 1)
    with pytest.raises(ValueError, match="one row per title"):
        item_clusters(titles, vectors[:3], 2)
    with pytest.raises(ValueError, match="n_clusters"):
        item_clusters(titles, vectors, 0)


def test_a_vague_word_names_a_node_below_one_a_clear_word_names():
    assert lexical_category("some food for babies", category_nodes(AISLES)) == "babies > baby food formula"
    assert lexical_category("food", category_nodes(AISLES)) is None  # still vague alone


GENRES = [
    "Magazine Subscriptions > Literary, Sci-Fi & Mystery > Science Fiction & Fantasy > Science Fiction",
    "Magazine Subscriptions > Literary, Sci-Fi & Mystery > Science Fiction & Fantasy > Fantasy",
    "Magazine Subscriptions > Literary, Sci-Fi & Mystery > Literary Magazines & Journals",
    "Magazine Subscriptions > Science, History & Nature > Astronomy",
    "Magazine Subscriptions > Home & Garden > Gardening & Horticulture",
    "Magazine Subscriptions > Sports, Recreation & Outdoors > Sports & Leisure > Cycling",
    "Magazine Subscriptions > Crafts & Hobbies > Quilts & Quilting",
]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a sci-fi mag", GENRES[0]),  # the genre, not the literary department that spells it "Sci-Fi"
        ("scifi", GENRES[0]),
        ("for a keen gardener", GENRES[4]),  # the person who gardens names gardening
        ("cyclists", GENRES[5]),
        ("a quilter", GENRES[6]),
        ("astronomy", GENRES[3]),
    ],
)
def test_lexical_category_for_genres_and_hobbyists(text, expected):
    assert lexical_category(text, category_nodes(GENRES)) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("choccy", "snacks > candy chocolate"),
        ("dry kibble for my dog", "pets > dog food care"),  # "dry" describes; the dog names the aisle
        ("kibble for the cat", "pets > cat food care"),
        ("choclate", "snacks > candy chocolate"),  # one slip from a label word of six letters or more
        ("pretzles", "snacks > chips pretzels"),
        ("tee", None),  # a slip of a short word is no match ("tea" has three letters)
    ],
)
def test_lexical_category_reads_slang_describing_words_and_slips(text, expected):
    assert lexical_category(text, category_nodes(AISLES)) == expected


def test_a_diet_names_the_diet_shelf_over_the_recipes():
    nodes = category_nodes([*MAGAZINES, f"{COOKING} > Special Diet"])
    assert lexical_category("vegan recipe magazine", nodes) == f"{COOKING} > Special Diet"
    assert lexical_category("recipe magazine", nodes) == f"{COOKING} > Recipes & Techniques"


@pytest.mark.parametrize(
    "text, expected",
    [("dish soap", "household > dish detergents"), ("hot chocolate", "beverages > cocoa drink mixes")],
)
def test_two_word_shopper_phrases_name_their_aisle(text, expected):
    nodes = category_nodes([*AISLES, "household > dish detergents", "beverages > cocoa drink mixes"])
    assert lexical_category(text, nodes) == expected


def test_slips_never_touch_the_first_letter_and_change_letters_only_when_asked():
    assert {"cerael", "ceral", "cereeal"} <= slips("cereal")
    assert "cereal" not in slips("cereal")
    assert not any(typo[0] != "c" for typo in slips("cereal", changes=True))
    assert "cereel" in slips("cereal", changes=True) and "cereel" not in slips("cereal")


def test_a_word_the_shop_uses_is_never_read_as_a_slip():
    nodes = category_nodes([*AISLES, "household > cleaning products"])
    assert lexical_category("cleansing", nodes) == "household > cleaning products"  # one slip from "cleaning"
    assert lexical_category("cleansing", nodes, real_words=frozenset({"cleansing"})) is None


def test_a_slip_of_a_synonym_stands_for_its_label_words_but_occasion_words_are_no_slips():
    nodes = category_nodes(["dairy eggs > yogurt", "Magazines > Children & Teen > Teen"])
    assert lexical_category("yoghrt for the kids", nodes) == "dairy eggs > yogurt"
    assert lexical_category("teenage", nodes) is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("teabags", "beverages > tea"),
        ("sprinkles and food colouring", "pantry > baking supplies decor"),
        ("hummus and other dips", "deli > fresh dips tapenades"),
        ("model railways", "Mags > Crafts > Model Trains"),
    ],
)
def test_more_shopper_words(text, expected):
    nodes = category_nodes(
        [
            "beverages > tea",
            "pantry > baking supplies decor",
            "pantry > baking ingredients",
            "deli > fresh dips tapenades",
            "pantry > preserved dips spreads",
            "Mags > Crafts > Model Trains",
            "Mags > Crafts > Models",
        ]
    )
    assert lexical_category(text, nodes) == expected
