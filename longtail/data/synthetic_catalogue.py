"""The synthetic shop's catalogue (``longtail.data.synthetic``): items in "Department > Shelf" categories with
lognormal prices and Zipf-like popularity, sampled by the event generator, and their titles, descriptions and brands
built from word lists per department, with the thin and junk text real catalogues have."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

ZIPF_EXPONENT = 1.1
ZIPF_OFFSET = 5.0
# Share of the items with each kind of thin or junk text, and without brand.
NO_DESCRIPTION_SHARE, CODE_TITLE_SHARE, HTML_TITLE_SHARE, NO_BRAND_SHARE = 0.12, 0.04, 0.02, 0.05
# The catalogue's random stream of a seed (``longtail.data.synthetic`` draws the others).
CATALOGUE_STREAM = 0

# department -> (shelves, nouns, what it is for)
DEPARTMENTS = {
    "Kitchen": (
        ("Cookware", "Tableware", "Storage", "Baking", "Utensils"),
        ("pan", "pot", "mug", "bowl", "plate", "jar", "whisk", "tray", "kettle", "colander", "teapot", "ladle"),
        ("everyday cooking", "weekend baking", "a well-stocked pantry", "serving guests"),
    ),
    "Home": (
        ("Lighting", "Decor", "Textiles", "Candles", "Frames"),
        ("lamp", "cushion", "throw", "candle", "photo frame", "vase", "mirror", "wall clock", "rug", "lantern"),
        ("a cosy living room", "the bedroom", "a calm reading corner", "housewarming gifts"),
    ),
    "Garden": (
        ("Planters", "Tools", "Outdoor Lighting", "Bird Care"),
        ("planter", "trowel", "watering can", "bird feeder", "hose", "string lights", "pruner", "seed tray"),
        ("balcony gardens", "the allotment", "summer evenings outdoors", "feeding garden birds"),
    ),
    "Toys": (
        ("Games", "Puzzles", "Plush", "Crafts"),
        ("jigsaw", "board game", "teddy bear", "kite", "yo-yo", "craft kit", "building set", "rag doll"),
        ("rainy afternoons", "family game night", "ages 6 and up", "birthday parties"),
    ),
    "Beauty": (
        ("Skincare", "Bath", "Fragrance", "Hair"),
        ("soap bar", "hand lotion", "bath bomb", "shampoo", "lip balm", "face mask", "eau de toilette", "hair oil"),
        ("sensitive skin", "a relaxing bath", "daily care", "travel bags"),
    ),
    "Stationery": (
        ("Notebooks", "Pens", "Cards", "Wrapping"),
        ("notebook", "pen set", "greeting card", "gift wrap", "planner", "sticker sheet", "pencil case", "envelope"),
        ("school and office", "journaling", "wrapping presents", "writing letters"),
    ),
    "Sports": (
        ("Fitness", "Cycling", "Camping", "Yoga"),
        ("water bottle", "yoga mat", "tent", "bike light", "dumbbell", "backpack", "headlamp", "skipping rope"),
        ("morning runs", "weekend hikes", "home workouts", "commuting by bike"),
    ),
    "Electronics": (
        ("Audio", "Cables", "Chargers", "Accessories"),
        ("speaker", "headphones", "charger", "usb cable", "power bank", "phone case", "adapter", "earbuds"),
        ("travel", "the home office", "music on the go", "charging several devices"),
    ),
}
ADJECTIVES = (
    "vintage", "classic", "modern", "rustic", "compact", "deluxe", "handmade", "travel", "mini", "large", "retro",
    "Nordic", "floral", "striped", "spotted", "eco",
)  # fmt: skip
MATERIALS = (
    "ceramic", "glass", "oak", "cotton", "enamel", "steel", "bamboo", "linen", "recycled plastic", "silicone", "wool",
    "paper",
)  # fmt: skip
COLOURS = ("red", "blue", "green", "pink", "ivory", "black", "white", "grey", "mustard", "teal", "navy", "sage")
BRAND_HEADS = ("Nor", "Val", "Ast", "Bel", "Cor", "Dun", "Eld", "Fen", "Gra", "Hal", "Isk", "Jun", "Kel", "Lum")
BRAND_TAILS = ("vik", "ora", "ton", "ex", "ia", "mond", "by", "lund", "wick", "stone")
# Median list price by department (currency units), spread lognormally with ``PRICE_SIGMA``.
MEDIAN_PRICE = {"Kitchen": 9.0, "Home": 14.0, "Garden": 12.0, "Toys": 11.0, "Beauty": 7.0, "Stationery": 4.0,
                "Sports": 18.0, "Electronics": 22.0}  # fmt: skip
PRICE_SIGMA = 0.6


@dataclass(frozen=True)
class Catalogue:
    """The items as the event generator samples them. ``order`` lists the item indices sorted by category;
    ``cumulative[j]`` is the popularity of ``order[:j + 1]`` (ends at 1); category ``c`` spans positions
    ``starts[c]:starts[c + 1]`` of ``order`` and ``mass_bounds[c]:mass_bounds[c + 1]`` of the cumulative mass."""

    item_ids: np.ndarray  # (n_items,) object: "SKU0000000", ...
    category: np.ndarray  # (n_items,) int: index into ``categories``
    categories: list[str]  # "Department > Shelf"
    department: np.ndarray  # (n_items,) int: index into DEPARTMENTS
    price: np.ndarray  # (n_items,) float64: list price
    order: np.ndarray
    cumulative: np.ndarray
    starts: np.ndarray  # (n_categories + 1,)
    mass_bounds: np.ndarray  # (n_categories + 1,)

    @classmethod
    def build(cls, n_items: int, seed: int) -> Catalogue:
        rng = np.random.default_rng([seed, CATALOGUE_STREAM])
        departments = list(DEPARTMENTS)
        shelves = [(d, shelf) for d, name in enumerate(departments) for shelf in DEPARTMENTS[name][0]]
        categories = [f"{departments[d]} > {shelf}" for d, shelf in shelves]
        category = rng.integers(len(categories), size=n_items)
        department = np.array([d for d, _ in shelves])[category]
        medians = np.array([MEDIAN_PRICE[name] for name in departments])[department]
        price = np.round(medians * rng.lognormal(0.0, PRICE_SIGMA, size=n_items), 2).clip(min=0.5)
        # Popularity: Zipf over a random ranking, so that an item's id says nothing of its popularity.
        rank = rng.permutation(n_items) + 1
        weight = (rank + ZIPF_OFFSET) ** -ZIPF_EXPONENT
        order = np.argsort(category, kind="stable")
        cumulative = np.cumsum(weight[order])
        cumulative /= cumulative[-1]
        starts = np.searchsorted(category[order], np.arange(len(categories) + 1))
        mass_bounds = np.concatenate([[0.0], cumulative])[starts]
        item_ids = np.array([f"SKU{i:07d}" for i in range(n_items)], dtype=object)
        return cls(item_ids, category, categories, department, price, order, cumulative, starts, mass_bounds)

    @property
    def category_mass(self) -> np.ndarray:
        """``(n_categories,)`` the share of the purchases each category draws."""
        return np.diff(self.mass_bounds)

    def sample_items(self, rng: np.random.Generator, category: np.ndarray) -> np.ndarray:
        """One item per entry of ``category`` by popularity: within that category, or over all items where it is
        -1. Returns item indices."""
        anywhere = category < 0
        within = np.where(anywhere, 0, category)
        low = np.where(anywhere, 0.0, self.mass_bounds[within])
        high = np.where(anywhere, 1.0, self.mass_bounds[within + 1])
        position = np.searchsorted(self.cumulative, low + rng.random(len(category)) * (high - low), side="right")
        # Rounding may step just past a category's last item: keep each draw inside its category.
        first = np.where(anywhere, 0, self.starts[within])
        last = np.where(anywhere, len(self.order), self.starts[within + 1]) - 1
        return self.order[np.clip(position, first, last)]

    def sample_categories(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` categories drawn by the popularity of their items."""
        return np.searchsorted(self.mass_bounds[1:-1], rng.random(size), side="right")


def catalogue_text(catalogue: Catalogue, rng: np.random.Generator) -> pd.DataFrame:
    """The canonical items frame of ``catalogue``: titles, descriptions, categories, brands and prices, with the
    thin and junk text ``longtail.data.synthetic``'s docstring lists."""
    n = len(catalogue.item_ids)
    names = list(DEPARTMENTS)
    nouns = np.empty(n, dtype=object)
    uses = np.empty(n, dtype=object)
    for d, name in enumerate(names):
        mine = catalogue.department == d
        _, department_nouns, department_uses = DEPARTMENTS[name]
        nouns[mine] = np.array(department_nouns, dtype=object)[rng.integers(len(department_nouns), size=mine.sum())]
        uses[mine] = np.array(department_uses, dtype=object)[rng.integers(len(department_uses), size=mine.sum())]
    adjective, material, colour = (_pick(rng, words, n) for words in (ADJECTIVES, MATERIALS, COLOURS))
    brands = np.array([head + tail for head in BRAND_HEADS for tail in BRAND_TAILS], dtype=object)
    brand = brands[rng.integers(len(brands), size=n)]
    pack = rng.integers(2, 7, size=n).astype(str).astype(object)
    size_cm = rng.integers(5, 60, size=n).astype(str).astype(object)

    title = adjective + " " + colour + " " + material + " " + nouns
    title = np.where(rng.random(n) < 0.15, title + ", set of " + pack, title)
    title = np.char.capitalize(title.astype(str)).astype(object)
    article = np.where(np.isin([word[0] for word in adjective], list("aeiouAEIOU")), "An ", "A ").astype(object)
    description = article + adjective + " " + nouns + " in " + colour + " " + material + "."
    for share, sentence in ((0.7, " Perfect for " + uses + "."), (0.5, " Measures " + size_cm + " cm."),
                            (0.3, " Designed by " + brand + ".")):  # fmt: skip
        description = np.where(rng.random(n) < share, description + sentence, description)

    kind = rng.random(n)
    code_title = kind < CODE_TITLE_SHARE
    no_description = kind < CODE_TITLE_SHARE + NO_DESCRIPTION_SHARE
    html_title = (kind >= CODE_TITLE_SHARE + NO_DESCRIPTION_SHARE) & (
        kind < CODE_TITLE_SHARE + NO_DESCRIPTION_SHARE + HTML_TITLE_SHARE
    )
    title = np.where(html_title, "<b>" + title + "</b>", title)
    title = np.where(code_title, _product_codes(rng, n), title)
    return pd.DataFrame(
        {
            "item_id": catalogue.item_ids,
            "title": title,
            "description": np.where(no_description, None, description),
            "category": np.array(catalogue.categories, dtype=object)[catalogue.category],
            "brand": np.where(rng.random(n) < NO_BRAND_SHARE, None, brand),
            "price": catalogue.price,
        }
    )


def _product_codes(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` ALLCAPS codes such as "KX-4821 BLK": titles that say nothing of the product."""
    letters = np.array(list("ABCDEFGHJKLMNPRSTVWXZ"), dtype=object)
    colours = np.array(["BLK", "WHT", "RED", "BLU", "GRN", "ASST"], dtype=object)
    number = rng.integers(1000, 10000, size=n).astype(str).astype(object)
    return (
        letters[rng.integers(len(letters), size=n)]
        + letters[rng.integers(len(letters), size=n)]
        + "-"
        + number
        + " "
        + colours[rng.integers(len(colours), size=n)]
    )


def _pick(rng: np.random.Generator, words: tuple[str, ...], n: int) -> np.ndarray:
    return np.array(words, dtype=object)[rng.integers(len(words), size=n)]
