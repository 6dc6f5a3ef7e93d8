"""Simulated shoppers for the interactive evaluation: a query written by rules from an item a user really bought
later (in the test window), as a shopper who wants that kind of thing might type it.

The query never repeats the title: it keeps ``words_per_query`` of its content words (at most all but one, so
never the whole title), sometimes swapped for a shopper's synonym, and may add the item's aisle (shops with real
categories) and a price bound the item meets (shops with prices), in the shop's currency. The bound and the
category it names are the shopper's hard constraints, against which every system's results are checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from longtail.data.text_repairs import with_currency
from longtail.serving.catalogue import Filters, ShopIndex
from longtail.serving.vocabulary import SEPARATOR

# Round price bounds a shopper names: the smallest one at or above the item's price is used.
PRICE_BANDS = (1, 2, 3, 5, 10, 15, 20, 30, 50, 100, 200, 500)
# Shopper words for catalogue words (both directions are common in gift and grocery shops).
SYNONYMS = {
    "t-light": "tealight",
    "holder": "stand",
    "decoration": "ornament",
    "cushion": "pillow",
    "mug": "cup",
    "bag": "tote",
    "retrospot": "polka dot",
    "jumbo": "big",
    "lunch": "lunchbox",
    "organic": "bio",
    "soda": "fizzy drink",
    "chips": "crisps",
    "cookies": "biscuits",
    "magazine": "mag",
}
TEMPLATES = (
    "{words}{category}{price}",
    "looking for {words}{category}{price}",
    "any {words}{category}{price}?",
    "i'd like some {words}{category}{price}",
    "do you have {words}{category}{price}",
)
WORD = re.compile(r"[a-z][a-z'-]+")


@dataclass(frozen=True)
class SimulatedSession:
    """A shopper ``user_id`` who later bought item row ``target``, asking ``query`` with hard ``constraints``."""

    user_id: str
    target: int
    query: str
    constraints: Filters


def content_words(title: str) -> list[str]:
    """Lowercase words of a title worth typing: no stop words, numbers or one-letter scraps."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return [word for word in WORD.findall(title.lower()) if word not in ENGLISH_STOP_WORDS and len(word) > 2]


def simulate_sessions(
    index: ShopIndex,
    purchases: pd.DataFrame,
    *,
    words_per_query: int = 2,
    max_sessions: int = 500,
    use_categories: bool = True,
    seed: int = 0,
) -> list[SimulatedSession]:
    """One session per user of ``purchases`` (``user_id, item_id``: test-window purchases; a random one per user),
    for users the ``index`` knows and items with at least one content word, at most ``max_sessions`` users drawn
    at random. ``words_per_query`` title words are typed: 2 names the item nearly (a shopper who knows what they
    want), 1 names its kind (a shopper browsing, whose history must tell which of many matches they mean).
    ``use_categories`` False leaves categories out of the queries (a shop whose categories are item clusters: no
    shopper knows those names)."""
    rng = np.random.default_rng(seed)
    known = purchases[purchases["item_id"].astype(str).isin(index.position)]
    known = known[[index.knows_user(user) for user in known["user_id"]]]
    if not len(known):
        return []
    picked = known.sample(frac=1.0, random_state=seed).drop_duplicates("user_id")
    if len(picked) > max_sessions:
        picked = picked.iloc[:max_sessions]
    sessions = []
    for user_id, item_id in zip(picked["user_id"], picked["item_id"].astype(str)):
        row = index.position[item_id]
        session = _session(index, str(user_id), row, rng, words_per_query, use_categories)
        if session is not None:
            sessions.append(session)
    return sessions


def _session(index: ShopIndex, user_id: str, row: int, rng: np.random.Generator, n_words: int, use_categories: bool):
    words = content_words(index.titles[row])
    if not words:
        return None
    keep = max(1, min(n_words, len(words) - 1))
    chosen = sorted(rng.choice(len(words), size=keep, replace=False))
    typed = [SYNONYMS.get(words[i], words[i]) if rng.random() < 0.3 else words[i] for i in chosen]
    category = ""
    constraint_category = None
    if use_categories and index.categories[row] and rng.random() < 0.5:
        aisle = index.categories[row].split(SEPARATOR)[-1]
        category = f" from the {aisle} aisle" if rng.random() < 0.5 else f" in {aisle}"
        constraint_category = index.categories[row]
    price = ""
    band = next((band for band in PRICE_BANDS if band >= index.prices[row]), None)  # None for NaN prices too
    max_price = float(band) if band is not None and rng.random() < 0.5 else None
    if max_price is not None:
        amount = with_currency(f"{max_price:g}", index.settings.get("currency"))
        price = f" under {amount}" if rng.random() < 0.5 else f" for {amount} or less"
    template = TEMPLATES[rng.integers(len(TEMPLATES))]
    query = template.format(words=" ".join(typed), category=category, price=price)
    return SimulatedSession(user_id, row, query, Filters(category=constraint_category, max_price=max_price))
