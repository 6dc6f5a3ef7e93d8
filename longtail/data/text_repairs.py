"""Repairs of catalogue text the sources carry: HTML tags and entities, list-valued fields, price strings.

Each repair maps one value to its tidied form (None when nothing is left); cleaning applies them per distinct value
and counts what they changed.
"""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pandas as pd

HTML_TAG = re.compile(r"<[^<>]*>|<[A-Za-z/!][^<>]*$")
WHITESPACE = re.compile(r"\s+")
PRICE_NUMBER = re.compile(r"^\s*[^\d\-.]{0,4}\s*(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s*[^\d]{0,4}\s*$")


def strip_markup(text: str) -> str | None:
    """Remove HTML tags (also an unterminated trailing one) and entities; collapse whitespace; None if empty."""
    cleaned = WHITESPACE.sub(" ", html.unescape(HTML_TAG.sub(" ", html.unescape(text)))).strip()
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


def category_path(text: str) -> str | None:
    parts = json_list(text)
    if parts is None:
        parts = text.split(">")
    steps = [strip_markup(part) for part in parts]
    return " > ".join(s for s in steps if s) or None


def parse_prices(values: pd.Series) -> pd.Series:
    """ "12.99", "$12.99", "£1,299.00", "12.99 USD" -> float; ranges, words and empties -> NaN."""
    text = values.astype("string")
    parts = text.str.extract(PRICE_NUMBER)
    number = (parts[0].str.replace(",", "", regex=False) + parts[1].fillna("")).astype("string")
    return pd.to_numeric(number, errors="coerce").astype("float64").where(lambda p: p >= 0, np.nan)


def text_cell(value: object) -> str:
    """A possibly missing text cell as one line with single spaces; "" for null or blank."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return WHITESPACE.sub(" ", str(value)).strip()
