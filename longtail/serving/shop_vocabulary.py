"""What the query parser knows of one shop (``ShopVocabulary``), and the price check every parsed value passes."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field


def checked_price(value, name: str) -> float:
    """``value`` as a float when it is a finite real number >= 0 (bools refused), else ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def _no_item(phrase: str) -> str | None:
    return None


def _no_shown_item(phrase: str, shown_ids: Sequence[str]) -> str | None:
    return None


def _no_category(phrase: str) -> str | None:
    return None


def _no_title_category(phrase: str, within: str | None = None) -> str | None:
    return None


def _no_items_called(phrase: str, min_words: int = 2) -> tuple[str, dict[str, float]]:
    return "", {}


@dataclass(frozen=True)
class ShopVocabulary:
    """What the parser knows of one shop: ``category_paths``, every node of its category tree (full paths and
    their prefixes, see ``longtail.serving.vocabulary.category_nodes``) or its item-cluster names, empty for
    none; ``price_quantiles``, percent (25, 50, 75) -> item price, empty when the shop has no prices;
    ``find_item``, the item id a phrase names (``TitleFinder``); ``find_shown``, the one of the given shown item
    ids whose title the phrase names (``TitleFinder.among``); ``match_category``, a node for a phrase
    (``CategoryMatcher``), the last fallback; ``title_category``, the node the items whose titles use a phrase's
    words lie in, optionally within a given node (``TitleCategories``), which narrows a node the label words name
    and is the first fallback when they name none; ``items_called``, the share of the items whose titles end with a
    name a phrase holds, of at least the given number of words, under each node (``ItemsCalled``), which overrules
    the node that name's label words name; ``title_words``, singular words the shop's titles use often, which are
    never read as misspellings of a category word."""

    category_paths: tuple[str, ...]
    price_quantiles: Mapping[int, float] = field(default_factory=dict)
    find_item: Callable[[str], str | None] = _no_item
    match_category: Callable[[str], str | None] = _no_category
    find_shown: Callable[[str, Sequence[str]], str | None] = _no_shown_item
    title_category: Callable[[str, str | None], str | None] = _no_title_category
    items_called: Callable[[str, int], tuple[str, dict[str, float]]] = _no_items_called
    title_words: frozenset[str] = frozenset()

    def __post_init__(self):
        if isinstance(self.category_paths, str) or not all(
            isinstance(path, str) and path.strip() for path in self.category_paths
        ):
            raise ValueError("category_paths must be a sequence of non-empty strings")
        object.__setattr__(self, "category_paths", tuple(self.category_paths))
        quantiles = {}
        for percent, price in dict(self.price_quantiles).items():
            if isinstance(percent, bool) or not isinstance(percent, numbers.Integral) or not 0 < percent < 100:
                raise ValueError(f"price_quantiles keys must be percents 1-99, got {percent!r}")
            quantiles[int(percent)] = checked_price(price, f"price_quantiles[{percent}]")
        object.__setattr__(self, "price_quantiles", quantiles)
        finders = (self.find_item, self.match_category, self.find_shown, self.title_category, self.items_called)
        if not all(callable(finder) for finder in finders):
            raise ValueError("find_item, match_category, find_shown, title_category and items_called must be callables")
        if isinstance(self.title_words, str) or not all(isinstance(word, str) for word in self.title_words):
            raise ValueError("title_words must be a set of strings")
        object.__setattr__(self, "title_words", frozenset(self.title_words))
