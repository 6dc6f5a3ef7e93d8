"""The diets a shopper states ("I'm vegetarian", "vegan ones only", "my daughter's gone veggie"), for the query parser
(``longtail.serving.query``), and the item titles that break them, for the catalogue's hard filters
(``longtail.serving.catalogue``). A diet is a hard constraint like an exclusion, but it rules out a family of words
the shopper never typed ("pepperoni", "chicken", "tuna") and spares the titles that state the diet ("Vegan Chicken
Veggie Kungpao", "Almond Milk"). Text is lower case, with straight apostrophes."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

DIETS = ("vegetarian", "vegan")

# "veggie" is a diet when said of a person ("she's gone veggie") or of a meat substitute ("veggie burgers"), and
# vegetables otherwise ("veggie chips", "fruit and veggie snacks").
_VEGGIE = (
    r"(?:'s|\b(?:is|am|are|i'm|im|gone|went|go|going|turned|being|become|became|be|a|for)) veggie\b"
    r"(?! (?:chips|straws|snacks?|trays?|platters?|sticks|mix|medley|stir|soup|crackers?|puffs|dip|pasta|noodles|"
    r"juice|broth|sides?|fries|tots|pizza|omelet(?:te)?s?)\b)|"
    r"\bveggie (?=(?:friendly|ones?|options?|only|guests?|friends?|burgers?|sausages?|mince|nuggets|patties|dogs|"
    r"meals?|dinners?|food)\b)"
)
_NO_MEAT = r"(?:doesn't|don't|does not|do not|can't|won't|cannot|never) eats? (?:any )?meat\b"
_NO_ANIMAL = r"(?:doesn't|don't|does not|do not|can't|won't|cannot|never) eats? (?:any )?animal (?:products|stuff)\b"
# Shopper phrases -> the diet they state.
DIET_PATTERNS = {
    "vegetarian": re.compile(rf"\bvegetarians?\b|\bmeat[- ]?(?:free|less)\b|{_VEGGIE}|{_NO_MEAT}"),
    "vegan": re.compile(rf"\bvegans?\b|\bplant[- ]based\b|\bwithout (?:any )?animal (?:products|stuff)\b|{_NO_ANIMAL}"),
}
# Any phrase that states a diet.
DIET_PHRASE = re.compile("|".join(pattern.pattern for pattern in DIET_PATTERNS.values()))

_MEAT = (
    r"meats?|beef|steaks?|angus|pork|chicken|turkey|hams?|bacon|sausages?|salami|pepperoni|chorizo|prosciutto|"
    r"pancetta|jerky|veal|lamb|mutton|venison|duck|goose|bison|brisket|ribs?|wings|meatballs?|hot ?dogs?|"
    r"frankfurters?|franks|bratwurst|brats|kielbasa|bologna|pastrami|corned|carnitas|liver|anchov(?:y|ies)|fish|"
    r"tuna|salmon|cod|haddock|tilapia|halibut|trout|sardines?|mackerel|shrimp|prawns?|crab|lobster|clams?|oysters?|"
    r"mussels?|scallops?|squid|calamari|octopus|seafood|caviar|lard|salame|sopp?ressata|capicola|capocollo|mortadella|"
    r"lunchmeat|bockwurst|liverwurst|wurst|drumsticks?|thighs?|giblets|cornish|hens?|breasts?|spareribs?|bresaola|"
    r"pate|p\u00e2t\u00e9|salamini|meatloaf|speck|lardons|guanciale|coppa|nduja|andouille|kabanos|biltong|rillettes|confit"
)
# What holds gelatin: a vegetarian's too, unless the title says it has none.
_GELATIN = r"gelatine?|gumm(?:y|ies|i|is)|marshmallows?|jell-?o"
_ANIMAL = (
    r"milk|cheeses?|butter|buttermilk|cream|creamer|yog(?:h)?urts?|eggs?|honey|whey|ghee|mayo|mayonnaise|custard|"
    r"kefir|cheddar|mozzarella|parmesan|brie|feta|ricotta|gouda|provolone|paneer|queso|gelato"
)
# Words in a title that break each diet, and the words that say an item keeps it though it names one of them (a
# "veggie" pizza may hold cheese, so only vegan words keep a vegan diet).
_BREAKS = {
    "vegetarian": re.compile(rf"\b(?:{_MEAT}|{_GELATIN})\b"),
    "vegan": re.compile(rf"\b(?:{_MEAT}|{_GELATIN}|{_ANIMAL})\b"),
}
_STATED = r"vegetarian|vegan|veggie|meat[- ]?(?:free|less)|meatless|plant[- ]based|beefless|chickenless|fishless"
_PLANT = (
    r"(?:peanut|almond|cashew|nut|cocoa|apple|shea|sunflower|seed|soy|pumpkin|hazelnut|coconut|body) butter|"
    r"(?:almond|soy|soya|oat|coconut|rice|cashew|hemp|flax|pea|macadamia|plant) (?:milk|beverage|cream|creamer|"
    r"yog(?:h)?urt|cheese)|cream (?:soda|of tartar)|egg[- ]?(?:free|less|replacer)|dairy[- ]free|non[- ]?dairy"
)
_NO_GELATIN = r"gelatine?[- ]free|pectin"
# A title that states the diet keeps it whatever else it names; a plant product's name ("almond milk", "peanut
# butter") keeps only its own animal word ("Honey Peanut Butter" still holds honey).
_KEEPS = {
    "vegetarian": re.compile(rf"\b(?:{_STATED}|{_NO_GELATIN})\b"),
    "vegan": re.compile(r"\b(?:vegan|plant[- ]based)\b"),
}
_PLANT_NAME = re.compile(rf"\b(?:{_PLANT})\b")
_MEAT_WORD = re.compile(rf"\b(?:{_MEAT})\b")
# A shelf of meat or fish (Instacart's "lunch meat", "poultry counter"), whose items break a vegetarian diet though
# their titles may name none ("Premium Genoa", "Rock Cornish"); not "tofu meat alternatives" nor "marinades meat
# preparation".
_MEAT_SHELF = re.compile(
    r"^(?!.*\b(?:marinades?|preparation|alternatives?|substitutes?)\b).*\b(?:meats?|poultry|seafood|sausages?|bacon|"
    r"hot dogs)\b"
)
# A meat named after a diet's word is a substitute ("vegan chicken nuggets", "plant based bacon"), and a diet's word
# after a negation states none ("not that vegetarian fake bacon").
_SUBSTITUTE = re.compile(rf"\b((?:{_STATED})(?: [a-z'-]+)?) (?:{_MEAT})\b")
_NEGATED = re.compile(rf"\b(?:not|no|nothing|none|never|isn't|aren't|hate|hates)(?: [a-z']+)? (?:{_STATED})\b")
# The real thing asked for ("so I can buy real cheese again", "real bacon"): the diet named is no longer wanted.
_REAL = re.compile(rf"\breal (?:[a-z]+ )?(?:{_MEAT}|{_ANIMAL})\b")


# Ruled-out words that state a diet: "no meat" rules out chicken and tuna too.
EXCLUDED_DIETS = {"meat": "vegetarian", "animal": "vegan", "animal product": "vegan"}
_NOT_EATEN = re.compile(rf"{_NO_MEAT}|{_NO_ANIMAL}")


def take_diets(text: str, excluded: Sequence[str] = ()) -> tuple[tuple[str, ...], str]:
    """(the diets ``text`` states or its ruled-out words ``excluded`` imply, ``text`` less "doesn't eat meat"): "my
    roommate doesn't eat meat" and "no meat" are vegetarian. A vegan diet includes a vegetarian one, but only the
    stated word is returned. None where ``text`` names a meat outside a meat substitute ("I need steaks for me, my
    sister's vegan": the diet is someone else's, and the steaks are wanted; "no meat, but fish is fine, any salmon?"
    is no vegetarian's; "my vegan roommate moved out, so real cheese" neither; "vegan chicken nuggets" keeps it)."""
    affirmed = _NEGATED.sub(" ", text)
    stated = {diet for diet, pattern in DIET_PATTERNS.items() if pattern.search(affirmed)}
    stated |= {EXCLUDED_DIETS[word] for word in excluded if word in EXCLUDED_DIETS}
    wanted = re.sub(rf"\b(?:{_STATED})\b", " ", without_substitute_meat(_NOT_EATEN.sub(" ", affirmed)))
    if _MEAT_WORD.search(wanted) or _REAL.search(text):  # "meat-free" names no meat; "but fish is fine" does
        stated = set()
    return tuple(sorted(stated)), " ".join(_NOT_EATEN.sub(" | ", text).split())


def without_substitute_meat(text: str) -> str:
    """``text`` less the meat words that name a substitute ("vegan chicken nuggets" -> "vegan nuggets"): the
    nuggets' shelf, not the poultry counter."""
    return _SUBSTITUTE.sub(r"\1", text)


def breaks_diet(lower_titles: pd.Series, diet: str, lower_shelves: pd.Series | None = None) -> np.ndarray:
    """(n_items,) bool: the items whose lower-case title names something ``diet`` rules out (a vegetarian's meat,
    fish or gelatin sweets, a vegan's also dairy, eggs and honey), or that sits on a shelf of meat or fish (its own
    category node, lower case, aligned with the titles; None where the shop has no categories of its own), and does
    not state that it keeps the diet; ``ValueError`` for an unknown diet."""
    if diet not in _BREAKS:
        raise ValueError(f"unknown diet {diet!r}; diets: {DIETS}")
    named = lower_titles.str.replace(_PLANT_NAME, " ", regex=True) if diet == "vegan" else lower_titles
    breaks = named.str.contains(_BREAKS[diet], regex=True)
    if lower_shelves is not None:
        breaks |= lower_shelves.str.contains(_MEAT_SHELF, regex=True).to_numpy(dtype=bool)
    keeps = lower_titles.str.contains(_KEEPS[diet], regex=True)
    return (breaks & ~keeps).to_numpy(dtype=bool)
