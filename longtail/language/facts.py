"""What is known about an item, for a generated description: which items need one, and their facts.

``needs_description`` finds the items without a usable description ("missing", "short" or "junk"); ``item_facts``
gathers what is known about each (title cleaned of HTML, category, brand, price, features, attributes, and what its
reviews establish: ``longtail.language.review_facts``, with injected instructions, links and phone numbers removed by
``longtail.language.unsafe_text.sanitize_highlights``). Everything a generated text may state comes from an
``ItemFacts``: the grounded text (``longtail.language.grounded``), the prompt (``longtail.language.prompts``) and the
guard (``longtail.language.guard``) read the same one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from longtail.data.text_repairs import HTML_TAG, strip_markup, with_currency
from longtail.language.review_facts import MAX_HIGHLIGHTS, ReviewFacts
from longtail.language.unsafe_text import sanitize_highlights
from longtail.validation import require_columns

# Descriptions shorter than this (characters, after cleaning) say too little to recommend from or to show: such a
# catalogue description is "short", and a generated one that the guard cuts below it is rejected.
MIN_DESCRIPTION_CHARS = 40
NEED_COLUMNS = ["item_id", "needs_description", "reason"]
# Review highlights are cut to this many characters: enough to colour the text, short enough to keep the prompt
# (and the chance of copying review noise) small.
MAX_HIGHLIGHT_CHARS = 150
# At most this many catalogue features are kept, each cut like a highlight.
MAX_FEATURES = 4

# The end of a tag cut off at the front, as in the Magazine title ' Magazines" />': text, a quote, then "/>" or ">".
_TAG_TAIL = re.compile(r"^[^<>]*[\"']\s*/?>")
_LETTER = re.compile(r"[^\W\d_]")
# A title names the item when it has a word of three letters or more: "72754D" or "C2" do not.
_NAMING_WORD = re.compile(r"[^\W\d_]{3,}")


@dataclass(frozen=True)
class ItemFacts:
    """Everything a generated text may state about one item.

    ``title``, ``category`` (a path "A > B") and ``brand`` are cleaned text ("" when unknown), ``price`` a number
    or None, ``currency`` its ISO 4217 code ("GBP") or None when the data does not name it, ``features`` the
    catalogue's feature strings, ``attributes`` extra ``name -> value`` texts (e.g. {"Format": "Print Magazine"}).
    From the reviews (``ReviewFacts``):
    ``review_count``, ``mean_rating`` (1-5 stars or None), ``review_mentions`` ((phrase, reviews mentioning it),
    ...), ``review_highlights`` short review titles that passed ``longtail.language.unsafe_text.sanitize_highlights``
    and ``dropped_highlights`` how many did not.
    """

    item_id: str
    title: str = ""
    category: str = ""
    brand: str = ""
    price: float | None = None
    currency: str | None = None
    features: tuple[str, ...] = ()
    attributes: dict[str, str] = field(default_factory=dict)
    review_count: int = 0
    mean_rating: float | None = None
    review_mentions: tuple[tuple[str, int], ...] = ()
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
    return strip_markup(_TAG_TAIL.sub(" ", text)) or ""


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
    reviews_by_item: Mapping[object, ReviewFacts] | None = None,
    attribute_columns: Sequence[str] = (),
) -> list[ItemFacts]:
    """The facts of each item of ``items``, in its order.

    ``items`` has ``item_id``, ``title``, ``category``, ``brand`` and ``price`` (the cleaned item columns; text may
    be null or hold HTML, price null or a number), and optionally ``currency`` (an ISO 4217 code, or null) and
    ``features`` (a JSON array of strings, or null);
    each column named in ``attribute_columns`` becomes an attribute of that name where the item has a non-blank
    value. ``reviews_by_item`` maps ``item_id`` to its ``ReviewFacts``; highlights and features are sanitized
    (``longtail.language.unsafe_text.sanitize_highlights``: a text with a link, a phone number or an instruction is
    dropped), the first ``MAX_HIGHLIGHTS`` highlights and ``MAX_FEATURES`` features kept, each cut to
    ``MAX_HIGHLIGHT_CHARS`` characters. A title that is nothing but markup becomes "".
    """
    require_columns(items, ["item_id", "title", "category", "brand", "price", *attribute_columns], "items")
    reviews_by_item = reviews_by_item or {}
    facts = []
    for row in items.to_dict("records"):
        reviews = reviews_by_item.get(row["item_id"], ReviewFacts())
        kept, dropped = sanitize_highlights(reviews.highlights)
        features, _ = sanitize_highlights(_text_list(row.get("features")))
        price, currency = row["price"], row.get("currency")
        attributes = {name: clean_text(row[name]) for name in attribute_columns}
        facts.append(
            ItemFacts(
                item_id=str(row["item_id"]),
                title=clean_text(row["title"]),
                category=clean_text(row["category"]),
                brand=clean_text(row["brand"]),
                price=None if pd.isna(price) else float(price),
                currency=None if pd.isna(price) or pd.isna(currency) else str(currency),
                features=tuple(_shorten(text, MAX_HIGHLIGHT_CHARS) for text in features[:MAX_FEATURES]),
                attributes={name: value for name, value in attributes.items() if value},
                review_count=reviews.count,
                mean_rating=reviews.mean_rating,
                review_mentions=reviews.mentions,
                review_highlights=tuple(_shorten(text, MAX_HIGHLIGHT_CHARS) for text in kept[:MAX_HIGHLIGHTS]),
                dropped_highlights=dropped,
            )
        )
    return facts


def review_only_ids(reviews_by_item: Mapping[object, ReviewFacts], catalogue_ids: Iterable[object]) -> list:
    """The ids of the items that have reviews but no catalogue row (their reviews are all that is known of them),
    in the order of ``reviews_by_item``."""
    known = set(catalogue_ids)
    return [item_id for item_id in reviews_by_item if item_id not in known]


def facts_to_dict(facts: ItemFacts) -> dict:
    """``facts`` as JSON-ready data (``facts_from_dict`` reads it back)."""
    data = asdict(facts)
    data["review_mentions"] = [list(mention) for mention in facts.review_mentions]
    return data


def facts_from_dict(data: Mapping) -> ItemFacts:
    """The ``ItemFacts`` that ``facts_to_dict`` wrote."""
    return ItemFacts(
        **{
            **data,
            "features": tuple(data.get("features", ())),
            "attributes": dict(data.get("attributes", {})),
            "review_mentions": tuple((str(phrase), int(count)) for phrase, count in data.get("review_mentions", ())),
            "review_highlights": tuple(data.get("review_highlights", ())),
        }
    )


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
        ("Price", "" if facts.price is None else price_text(facts.price, facts.currency)),
        ("Features", "; ".join(facts.features)),
        *sorted(facts.attributes.items()),
        ("Reviews", review_summary(facts)),
        ("Reviews say", "; ".join(facts.review_highlights)),
    ]
    return "\n".join(f"{label}: {value}" for label, value in lines if value)


def price_text(price: float, currency: str | None) -> str:
    """A price as a shopper reads it, to the penny: "£2.55", "$12.99", "€3.50", "12.00 CHF" for another ISO 4217
    code, "2.55" when the currency is unknown."""
    return with_currency(f"{price:.2f}", currency)


def review_summary(facts: ItemFacts) -> str:
    """The review figures of ``facts`` in words: "12 reviews, average rating 4.3 out of 5; mentioned: fit (5
    reviews), colour (3 reviews)"; "" without reviews."""
    if not facts.review_count:
        return ""
    parts = [plural(facts.review_count, "review")]
    if facts.mean_rating is not None:
        parts[0] += f", average rating {facts.mean_rating:.1f} out of 5"
    if facts.review_mentions:
        parts.append("mentioned: " + ", ".join(f"{p} ({plural(n, 'review')})" for p, n in facts.review_mentions))
    return "; ".join(parts)


def plural(count: int, noun: str) -> str:
    """ "1 review", "3 reviews"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def names_item(title: str) -> bool:
    """Whether a cleaned title names the item: it has a word of three letters or more ("72754D" does not)."""
    return bool(_NAMING_WORD.search(title))


def is_describable(facts: ItemFacts) -> bool:
    """Whether the facts say what the item is: a title that names it, a brand and a category, or reviews that
    mention something. Without them every such item would get the same generic text."""
    return names_item(facts.title) or bool(facts.brand and facts.category) or bool(facts.review_mentions)


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


def _text_list(value: object) -> list[str]:
    """A JSON array of strings (as in the ``features`` column) as a list of cleaned strings; [] for null or blank."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)) or not str(value).strip():
        return []
    try:
        parts = json.loads(str(value))
    except ValueError:
        parts = [value]
    return [text for text in (clean_text(part) for part in (parts if isinstance(parts, list) else [parts])) if text]


def _shorten(text: str, max_chars: int) -> str:
    """At most ``max_chars`` characters, cut at a space when there is one."""
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars]
    return cut[: cut.rfind(" ")] if " " in cut else cut
