"""How much, how big or how many a shopper asks for ("14-16 lbs", "half a gallon", "size 4", "a 12 pack") and the
measures item titles state ("Size 4 Diapers", "Tall Kitchen 13-Gallon Bags", "BLACK CHRISTMAS TREE 60CM"). The parser
takes a weight, volume or length out of the free words (``MEASURE``: its unit alone chose aisles and matched any title
stating it) and keeps every measure as a slot (``measures_in``, as canonical text such as "14-16 lb", "size 4"); the
assistant ranks the items whose titles state one of them (``TitleMeasures``) above those whose titles state none, and
those above the ones whose titles state another size."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "eight": 8, "ten": 10, "twelve": 12,
    "half": 0.5, "half a": 0.5, "half an": 0.5, "a quarter": 0.25,
}  # fmt: skip
# Each unit as a shopper or a title spells it -> (canonical name, dimension, size in the dimension's base unit).
# Weights and volumes share one dimension, in grams or millilitres alike: a shopper's "32 oz" of juice is a title's
# "32 fl oz", and water weighs a gram a millilitre.
_UNITS = [
    (r"fl\.? ?oz", "fl oz", "amount", 29.57), (r"lbs?|pounds?", "lb", "amount", 453.6),
    (r"oz|ounces?", "oz", "amount", 28.35), (r"kgs?|kilos?|kilograms?", "kg", "amount", 1000.0),
    (r"g|grams?|gr", "g", "amount", 1.0), (r"ml", "ml", "amount", 1.0), (r"cl", "cl", "amount", 10.0),
    (r"l|ltrs?|litres?|liters?", "l", "amount", 1000.0), (r"gal|gallons?", "gal", "amount", 3785.0),
    (r"qts?|quarts?", "qt", "amount", 946.0), (r"pints?|pt", "pt", "amount", 473.0),
    (r"cm", "cm", "length", 1.0), (r"mm", "mm", "length", 0.1), (r"inch(?:es)?", "inch", "length", 2.54),
    (r"ft|feet|foot", "ft", "length", 30.48), (r"ct|count", "ct", "count", 1.0),
]  # fmt: skip
_UNIT = "|".join(f"(?P<u{i}>{pattern})" for i, (pattern, *_) in enumerate(_UNITS))
_QUANTITY = (
    r"(?:\d+(?:\.\d+)?|\.\d+|\d+/\d+|"
    + "|".join(sorted((re.escape(word) for word in _NUMBER_WORDS), key=len, reverse=True))
    + ")"
)
_AMOUNT = rf"(?<![\w/.,])(?P<low>{_QUANTITY})(?:\s?(?:-|to)\s?(?P<high>{_QUANTITY}))?[\s-]?(?:{_UNIT})\b\.?"
# A pack's count ("a 12 pack", "6-pk", "pack of 24"), but not how many packs ("10 packs" of 72 cupcake cases).
_PACK = r"(?<![\w.])(?P<count>\d{1,3})[\s-]?(?:pack|pk|pcs|pieces)\b|\bpack of (?P<count_of>\d{1,3})\b"
# How much or how many of something, with the "of" after it ("2 lbs", "14-16 lb", "half a gallon of", "500g", "1/2
# gal", "20 cm", "a 12 pack of"), never what: its unit alone chose an aisle ("need a turkey, 14-16 lbs" was the
# diapers aisle, whose titles state babies' weights) or matched any title that states it ("2 liter of sprite" showed a
# 1 Liter jar, "a 12 pack of coke" a Lemon-Lime 12 Pack Soda).
# What an amount comes in, said straight after it, goes with it ("3lb bag yellow onions" was the trash bags aisle), but
# not after a length ("a 20cm tin" is the tin wanted), nor a bag after a volume ("13 gallon bags" are bin bags).
_CONTAINER = (
    r"bags?|box(?:es)?|jars?|tubs?|tins?|cans?|cartons?|bottles?|jugs?|sacks?|blocks?|pouch(?:es)?|packets?|"
    r"containers?|trays?|punnets?|bricks?"
)
_VOLUMES = frozenset({"fl oz", "ml", "cl", "l", "gal", "qt", "pt"})
MEASURE = re.compile(rf"(?:{_AMOUNT}(?: (?P<container>{_CONTAINER})\b)?|{_PACK})(?: of\b)?")
# A size ("size 4", "sz 5") stays a free word too ("size 4" matches titles that say Size), and is a measure.
_SIZE = re.compile(r"\b(?:size|sz)\.?\s?(?P<size>\d{1,2})\b")
# Measures an item is sold in are close to, not exactly, what a shopper says: "2 liter" is a title's "67.6 fl oz".
TOLERANCE = 0.1


@dataclass(frozen=True)
class Measure:
    """A measure in its dimension's base unit: ``low`` to ``high`` grams or millilitres ("amount"), centimetres
    ("length"), items ("count") or a size number ("size"); ``text`` as the shopper's canonical words."""

    low: float
    high: float
    dimension: str
    text: str

    def overlaps(self, low: np.ndarray, high: np.ndarray) -> np.ndarray:
        """Whether each range ``low``-``high`` (arrays, same unit) meets this measure, within ``TOLERANCE`` for
        amounts and lengths (a count or a size must be the same)."""
        slack = TOLERANCE if self.dimension in ("amount", "length") else 0.0
        return (low <= self.high * (1 + slack)) & (high >= self.low * (1 - slack))


def measures_in(text: str) -> tuple[str, ...]:
    """The measures ``text`` (lower case) states, as canonical text ("14-16 lb", "0.5 gal", "size 4", "12 ct"), in
    order, each once."""
    return tuple(dict.fromkeys(measure.text for measure in _measures(text)))


def parse_measure(text: str) -> Measure:
    """The ``Measure`` of a canonical text of ``measures_in``; ``ValueError`` for any other text."""
    found = _measures(text) if isinstance(text, str) else []
    if len(found) != 1 or found[0].text != text:
        raise ValueError(f"not a measure: {text!r} (say '2 lb', '14-16 oz', 'size 4' or '12 ct')")
    return found[0]


def without_measures(text: str, boundary: str) -> str:
    """``text`` with each ``MEASURE`` replaced by ``boundary``, or by ``boundary`` and the container after it where
    that container is the thing wanted (after a length; a bag after a volume)."""

    def replaced(match: re.Match) -> str:
        container = match.group("container")
        if container is None:
            return boundary
        _, unit, dimension, _ = _unit(match)
        wanted = dimension == "length" or (unit in _VOLUMES and container.startswith("bag"))
        return f"{boundary} {container}" if wanted else boundary

    return MEASURE.sub(replaced, text)


def _unit(match: re.Match) -> tuple[str, str, str, float]:
    """The ``_UNITS`` row of the unit an ``_AMOUNT`` match holds."""
    return next(row for i, row in enumerate(_UNITS) if match.group(f"u{i}") is not None)


def _measures(text: str) -> list[Measure]:
    found = []
    for match in re.finditer(_AMOUNT, text):
        _, unit, dimension, factor = _unit(match)
        low = _quantity(match.group("low"))
        high = _quantity(match.group("high")) if match.group("high") else low
        if low is None or high is None or not 0 < low <= high:
            continue
        said = f"{low:g}" if low == high else f"{low:g}-{high:g}"
        found.append(Measure(low * factor, high * factor, dimension, f"{said} {unit}"))
    for match in _SIZE.finditer(text):
        size = int(match.group("size"))
        found.append(Measure(size, size, "size", f"size {size}"))
    for match in re.finditer(_PACK, text):
        count = int(match.group("count") or match.group("count_of"))
        if count > 0:
            found.append(Measure(count, count, "count", f"{count} ct"))
    return found


def _quantity(said: str) -> float | None:
    if said in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[said])
    if "/" in said:
        top, bottom = said.split("/")
        return int(top) / int(bottom) if int(bottom) else None
    return float(said)


class TitleMeasures:
    """The measures each of ``titles`` states, read once, for ``agreement``."""

    def __init__(self, titles: Sequence[str | None]):
        rows, dimensions, lows, highs = [], [], [], []
        for row, title in enumerate(titles):
            for measure in _measures((title or "").lower()):
                rows.append(row)
                dimensions.append(measure.dimension)
                lows.append(measure.low)
                highs.append(measure.high)
        self.n_items = len(titles)
        self.rows = np.asarray(rows, dtype=np.int64)
        self.dimensions = np.asarray(dimensions, dtype=object)
        self.lows = np.asarray(lows, dtype=np.float64)
        self.highs = np.asarray(highs, dtype=np.float64)

    def agreement(self, measures: Sequence[str]) -> np.ndarray:
        """``(n_items,)`` floats: 1 where the title states one of ``measures`` (canonical texts of ``measures_in``),
        -1 where it states only other measures of their kinds (Size 6 for "size 4", 12 fl oz for "2 l"), 0 where it
        states none of their kinds."""
        stated = np.zeros(self.n_items, dtype=bool)
        other = np.zeros(self.n_items, dtype=bool)
        for text in measures:
            measure = parse_measure(text)
            same = self.dimensions == measure.dimension
            meets = measure.overlaps(self.lows[same], self.highs[same])
            stated[self.rows[same][meets]] = True
            other[self.rows[same][~meets]] = True
        return stated.astype(np.float64) - (other & ~stated)
