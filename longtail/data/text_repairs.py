"""Repairs of catalogue text the sources carry: HTML tags and entities, list-valued fields (categories that carry
feature bullets among them), price strings.

Each repair maps one value to its tidied form (None when nothing is left); cleaning applies them per distinct value
and counts what they changed.
"""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pandas as pd

# A tag starts with "<" and a letter, "/" or "!" ("<b>", "</p>", "<!-- -->"), so "a < b and c > d" holds none. One
# left open ("<span class=" at the end, "<b<i>") ends where the next "<" or the text does: after removing the
# matches no "<" is followed by a letter, "/" or "!".
HTML_TAG = re.compile(r"<[A-Za-z/!][^<>]*>?")
WHITESPACE = re.compile(r"\s+")
# The signs that an element of a list-valued category is a feature bullet, not a shelf name (``is_feature``).
SENTENCE_END = re.compile(r"[.!?]$")
MAX_CATEGORY_WORDS = 6
AMOUNT = re.compile(r"[$£€]\s?\d|\d\s?%")
PRICE_NUMBER = re.compile(r"^\s*[^\d\-.]{0,4}\s*(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s*[^\d]{0,4}\s*$")
# The currencies known by symbol, by ISO 4217 code. "$" is the US dollar: the sources that write it (Amazon's US
# store) mean that one.
CURRENCY_SYMBOLS = {"GBP": "£", "USD": "$", "EUR": "€"}
# The currency a price text names, by symbol or code, before or after the number.
CURRENCY_MARKS = {
    **{symbol: code for code, symbol in CURRENCY_SYMBOLS.items()},
    **{code: code for code in CURRENCY_SYMBOLS},
    "US$": "USD",
}
_CURRENCY_MARK = re.compile(r"^\s*([^\d\s\-.,]{1,4})?\s*[\d.,]+\s*([^\d\s\-.,]{1,4})?\s*$")


def with_currency(number: str, currency: str | None) -> str:
    """``number`` (already formatted) as a shopper reads it in ``currency`` (an ISO 4217 code): "£2.55" and "$10" by
    symbol where ``CURRENCY_SYMBOLS`` knows one, "12.00 CHF" by code otherwise, the bare number with no currency."""
    symbol = CURRENCY_SYMBOLS.get(currency or "")
    if symbol:
        return f"{symbol}{number}"
    return f"{number} {currency}" if currency else number


def strip_markup(text: str) -> str | None:
    """Remove HTML tags (also an unterminated trailing one), decode entities, collapse whitespace; None if empty.

    Entities are decoded exactly once, after the tags are removed, so text that names a tag in entities
    ("&amp;lt;b&amp;gt;") keeps its one level of escaping ("&lt;b&gt;"). Tags that only the decoding produces
    ("&lt;script&gt;" -> "<script>") are removed too, without decoding again: cleaned text never holds a tag.
    """
    decoded = html.unescape(HTML_TAG.sub(" ", text))
    cleaned = WHITESPACE.sub(" ", HTML_TAG.sub(" ", decoded)).strip()
    return cleaned or None


def json_list(text: str) -> list[str] | None:
    """The strings of a JSON array written as text (a list-valued source field); None for anything else."""
    if not text.lstrip().startswith("["):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return [str(part) for part in value] if isinstance(value, list) else None


def join_description(text: str) -> str | None:
    parts = json_list(text)
    paragraphs = [strip_markup(part) for part in (parts if parts is not None else [text])]
    return "\n".join(p for p in paragraphs if p) or None


def is_feature(step: str) -> bool:
    """Whether one element of a list-valued category (markup already stripped) reads as a feature claim rather
    than a shelf name: it ends like a sentence (``.``, ``!``, ``?``), has more than ``MAX_CATEGORY_WORDS`` words, or
    names an amount of money or a percentage ("$25", "10%"). Plain numbers are no sign: "Ages 9-12" is a shelf."""
    return bool(SENTENCE_END.search(step) or len(step.split()) > MAX_CATEGORY_WORDS or AMOUNT.search(step))


def split_category(text: str) -> tuple[list[str], list[str]]:
    """``(path steps, features)`` of one category value, each element cleaned by ``strip_markup`` (empties dropped).

    A JSON array (Amazon's list-valued ``category``) is read in order: the elements before the first one that
    ``is_feature`` are the path, with consecutive repeats collapsed ("Gift Cards", "Gift Cards" -> one step); that
    element and every one after it are features, because a category path never resumes after a feature bullet.
    Text ("A > B") is a path as written, repeats included, and has no features.
    """
    parts = json_list(text)
    if parts is None:
        return [step for step in map(strip_markup, text.split(">")) if step], []
    elements = [element for element in map(strip_markup, parts) if element]
    first_feature = next((i for i, element in enumerate(elements) if is_feature(element)), len(elements))
    path = [step for i, step in enumerate(elements[:first_feature]) if i == 0 or step != elements[i - 1]]
    return path, elements[first_feature:]


def category_path(text: str) -> str | None:
    """The category path "A > B" of one category value (see ``split_category``); None when it has no steps."""
    return " > ".join(split_category(text)[0]) or None


def category_features(text: str) -> list[str]:
    """The feature strings a list-valued category carries after its path (see ``split_category``)."""
    return split_category(text)[1]


def feature_list(text: str) -> list[str]:
    """The cleaned strings of a features field: a JSON array's elements, or else the text itself as one feature;
    each cleaned by ``strip_markup``, empties dropped."""
    parts = json_list(text)
    return [feature for feature in map(strip_markup, parts if parts is not None else [text]) if feature]


def features_json(*groups: list[str]) -> str | None:
    """The strings of ``groups`` chained in order, later repeats dropped, as JSON array text; None if there are none."""
    features = list(dict.fromkeys(feature for group in groups for feature in group))
    return json.dumps(features, ensure_ascii=False) if features else None


def parse_prices(values: pd.Series) -> pd.Series:
    """ "12.99", "$12.99", "£1,299.00", "12.99 USD" -> float; ranges, words and empties -> NaN."""
    text = values.astype("string")
    parts = text.str.extract(PRICE_NUMBER)
    number = (parts[0].str.replace(",", "", regex=False) + parts[1].fillna("")).astype("string")
    return pd.to_numeric(number, errors="coerce").astype("float64").where(lambda p: p >= 0, np.nan)


def price_currencies(values: pd.Series) -> pd.Series:
    """The ISO 4217 code each price text names ("$12.99" -> "USD", "12.99 EUR" -> "EUR"); null where it names none,
    an unknown one, or is not a single price."""
    marks = values.astype("string").str.extract(_CURRENCY_MARK)
    mark = marks[0].fillna(marks[1]).str.upper()
    return mark.map(CURRENCY_MARKS, na_action="ignore").astype("string")


def text_cell(value: object) -> str:
    """A possibly missing text cell as one line with single spaces; "" for null or blank."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return WHITESPACE.sub(" ", str(value)).strip()


def repair_column(function, values: pd.Series, rule: str, repairs: dict[str, int]) -> pd.Series:
    """Apply ``function`` to each distinct non-null value; count the values it changed under ``rule``."""
    values = values.astype("string")
    distinct = values.dropna().unique()
    mapping = {value: function(value) for value in distinct}
    repaired = values.map(mapping, na_action="ignore").astype("string")
    changed = values.notna() & (repaired.fillna("\0") != values)
    repairs[rule] = int(changed.sum())
    return repaired


def features_column(raw: pd.DataFrame, repairs: dict[str, int]) -> pd.Series:
    """Per raw item row, its features as JSON array text (null when none): those of its ``features`` field, then
    those its category carries, repeats dropped; each distinct field value is parsed once. Rows loaded before raw
    items had a ``features`` column have no features field."""
    listed = raw["features"] if "features" in raw.columns else pd.Series(pd.NA, index=raw.index, dtype="string")
    listed, category = listed.astype("string").fillna(""), raw["category"].astype("string").fillna("")
    own = {value: feature_list(value) for value in listed.unique()}
    spilled = {value: category_features(value) for value in category.unique()}
    repairs["features_from_category"] = int(category.map(lambda value: bool(spilled[value])).sum())
    merged = [features_json(own[a], spilled[c]) for a, c in zip(listed, category, strict=True)]
    return pd.Series(merged, index=raw.index, dtype="string")
