"""What is known about an item, for a generated description: which items need one, and their facts.

``needs_description`` finds the items without a usable description ("missing", "short" or "junk"); ``item_facts``
gathers what is known about each (title cleaned of HTML, category, brand, price, attributes, and review highlights
with injected instructions removed by ``longtail.language.unsafe_text.sanitize_highlights``). Everything a generated
text may state comes from an ``ItemFacts``: the prompt (``longtail.language.prompts``) and the guard
(``longtail.language.guard``) read the same one.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from longtail.data.text_repairs import HTML_TAG, WHITESPACE
from longtail.language.unsafe_text import sanitize_highlights
from longtail.validation import require_columns

# Descriptions shorter than this (characters, after cleaning) say too little to recommend from or to show: such a
# catalogue description is "short", and a generated one that the guard cuts below it is rejected.
MIN_DESCRIPTION_CHARS = 40
NEED_COLUMNS = ["item_id", "needs_description", "reason"]
# At most this many review highlights go into a prompt, each cut to this many characters: enough to colour the
# text, short enough to keep the prompt (and the chance of copying review noise) small.
MAX_HIGHLIGHTS = 3
MAX_HIGHLIGHT_CHARS = 150

# The end of a tag cut off at the front, as in the Magazine title ' Magazines" />': text, a quote, then "/>" or ">".
_TAG_TAIL = re.compile(r"^[^<>]*[\"']\s*/?>")
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class ItemFacts:
    """Everything a generated text may state about one item.

    ``title``, ``category`` (a path "A > B") and ``brand`` are cleaned text ("" when unknown), ``price`` a number
    in the dataset's currency or None, ``attributes`` extra ``name -> value`` texts (e.g. {"Format": "Print
    Magazine"}), ``review_highlights`` short review texts that passed
    ``longtail.language.unsafe_text.sanitize_highlights`` and ``dropped_highlights`` how many did not.
    """

    item_id: str
    title: str = ""
    category: str = ""
    brand: str = ""
    price: float | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    review_highlights: tuple[str, ...] = ()
    dropped_highlights: int = 0


def clean_text(value: object) -> str:
    """``value`` as one line of plain text: a JSON list of strings (as in raw Amazon metadata) joined, HTML
    entities decoded and tags removed (also an unterminated trailing one, as in Magazine titles ``<span
    class="a-size-medium a-color-secondary"``, and the cut-off end of one, as in `` Magazines" />``), whitespace
    collapsed; "" for null or blank."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = str(value)
    if text.lstrip().startswith("["):
        try:
            parts = json.loads(text)
        except ValueError:
            parts = None
        if isinstance(parts, list):
            text = " ".join(str(part) for part in parts)
    text = _TAG_TAIL.sub(" ", HTML_TAG.sub(" ", html.unescape(text)))
    return WHITESPACE.sub(" ", html.unescape(text)).strip()


def needs_description(items: pd.DataFrame, min_chars: int = MIN_DESCRIPTION_CHARS) -> pd.DataFrame:
    """Which items need a generated description, and why.

    ``items`` has ``item_id`` and ``description`` (text, a JSON list of strings, or null). Returns one row per
    item in the order of ``items``, columns ``NEED_COLUMNS``: ``needs_description`` (bool) and ``reason``:
    "missing" (null or blank), "junk" (markup only, or less than half of its non-space characters letters, e.g.
    a bare HTML fragment or a code), "short" (fewer than ``min_chars`` characters after ``clean_text``), or None
    when the description is usable.
    """
    require_columns(items, ["item_id", "description"], "items")
    if isinstance(min_chars, bool) or not isinstance(min_chars, int) or min_chars < 0:
        raise ValueError(f"min_chars must be a non-negative integer, got {min_chars!r}")
    reasons = [_description_gap(value, min_chars) for value in items["description"]]
    return pd.DataFrame(
        {
            "item_id": items["item_id"].to_numpy(),
            "needs_description": [reason is not None for reason in reasons],
            "reason": pd.Series(reasons, dtype=object),
        },
        columns=NEED_COLUMNS,
    )


def item_facts(
    items: pd.DataFrame,
    highlights_by_item: Mapping[object, Sequence[str]] | None = None,
    attribute_columns: Sequence[str] = (),
) -> list[ItemFacts]:
    """The facts of each item of ``items``, in its order.

    ``items`` has ``item_id``, ``title``, ``category``, ``brand`` and ``price`` (the cleaned item columns; text may
    be null or hold HTML, price null or a number); each column named in ``attribute_columns`` becomes an attribute
    of that name where the item has a non-blank value. ``highlights_by_item`` maps ``item_id`` to review
    highlights; they are sanitized (``longtail.language.unsafe_text.sanitize_highlights``) and the first
    ``MAX_HIGHLIGHTS`` kept, each cut to ``MAX_HIGHLIGHT_CHARS`` characters. A title that is nothing but markup
    becomes "".
    """
    require_columns(items, ["item_id", "title", "category", "brand", "price", *attribute_columns], "items")
    highlights_by_item = highlights_by_item or {}
    facts = []
    for row in items.to_dict("records"):
        kept, dropped = sanitize_highlights(highlights_by_item.get(row["item_id"], ()))
        price = row["price"]
        attributes = {name: clean_text(row[name]) for name in attribute_columns}
        facts.append(
            ItemFacts(
                item_id=str(row["item_id"]),
                title=clean_text(row["title"]),
                category=clean_text(row["category"]),
                brand=clean_text(row["brand"]),
                price=None if pd.isna(price) else float(price),
                attributes={name: value for name, value in attributes.items() if value},
                review_highlights=tuple(_shorten(text, MAX_HIGHLIGHT_CHARS) for text in kept[:MAX_HIGHLIGHTS]),
                dropped_highlights=dropped,
            )
        )
    return facts


def known_brands(facts: Iterable[ItemFacts]) -> tuple[str, ...]:
    """The distinct non-blank brands of ``facts`` (all items of a catalogue), sorted: the ``known_brands`` for
    ``longtail.language.guard``, so that one item's brand in another item's text counts as invented."""
    return tuple(sorted({item.brand for item in facts if item.brand}))


def format_facts(facts: ItemFacts) -> str:
    """The facts as "Label: value" lines, in a fixed order; empty facts are left out."""
    lines = [
        ("Title", facts.title),
        ("Brand", facts.brand),
        ("Category", facts.category),
        ("Price", "" if facts.price is None else f"{facts.price:.2f}"),
        *sorted(facts.attributes.items()),
        ("Reviews say", "; ".join(facts.review_highlights)),
    ]
    return "\n".join(f"{label}: {value}" for label, value in lines if value)


def is_describable(facts: ItemFacts) -> bool:
    """Whether the facts say what the item is: a title, or a brand and a category. Without them every such item
    would get the same prompt, and so the same generic text."""
    return bool(facts.title) or bool(facts.brand and facts.category)


def _description_gap(value: object, min_chars: int) -> str | None:
    raw = "" if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)) else str(value)
    text = clean_text(raw)
    if not text:
        # Markup with nothing inside is junk; a blank or an empty JSON list is simply missing.
        return "junk" if HTML_TAG.search(raw) else "missing"
    visible = text.replace(" ", "")
    if len(_LETTER.findall(visible)) < 0.5 * len(visible):
        return "junk"
    if len(text) < min_chars:
        return "short"
    return None


def _shorten(text: str, max_chars: int) -> str:
    """At most ``max_chars`` characters, cut at a space when there is one."""
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars]
    return cut[: cut.rfind(" ")] if " " in cut else cut
