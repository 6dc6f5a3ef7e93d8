"""One embedding-ready text per item, built from its cleaned catalogue fields (and optional extra text).

``build_item_text`` turns cleaned items (``longtail.data.schema.CLEANED_ITEM_COLUMNS``, one dataset at a time) into
``ITEM_TEXT_COLUMNS``. The text reads like a short product blurb, most informative part first, because sentence
embedding models were trained on sentences and all-MiniLM-L6-v2 reads only its first 256 word pieces (about
1,000 characters of English):

    "{title}. Brand: {brand}. Category: {category}. {description}"

Empty parts are skipped, whitespace is collapsed and the text is cut at ``MAX_TEXT_CHARS``. Extra text (such as
a generated description) is kept apart in ``extra_text`` rather than appended: the embedding step blends its
vector in at a lower weight (``longtail.recommend.item_vectors.embed_item_texts``), because appended generic prose
outweighed short, specific titles and made items look alike. ``text_hash`` lets the embedding step re-embed only items
whose text changed (see ``longtail.recommend.item_vectors.plan_embedding_refresh``).
"""

from __future__ import annotations

import hashlib
import re

import pandas as pd

from longtail.data.text_repairs import text_cell
from longtail.language.review_facts import REVIEW_FACT_COLUMNS, review_facts
from longtail.validation import require_columns

ITEM_TEXT_COLUMNS = ["item_id", "text", "extra_text", "text_hash", "has_text", "has_description", "text_source"]
REQUIRED_ITEM_COLUMNS = ["item_id", "title", "description", "category", "brand"]
EXTRA_TEXT_COLUMNS = ["item_id", "text", "source"]
CATALOGUE_SOURCE = "catalogue"
# Source of the text of an item that only reviews know (``review_only_texts``).
REVIEWS_SOURCE = "reviews"
# Source of the text of an item with no catalogue field and no extra text: its id, so that it still gets a vector.
ITEM_ID_SOURCE = "item_id"
# Twice what the default model reads: enough for any model with a 512-token window, small enough to store.
MAX_TEXT_CHARS = 2000
TEXT_HASH_CHARS = 16

_SENTENCE_END = (".", "!", "?", ":", ";")
_WORDS = re.compile(r"[a-z0-9]+")


def build_item_text(items: pd.DataFrame, extra: pd.DataFrame | None = None) -> pd.DataFrame:
    """Build one embedding text per item.

    Parameters
    ----------
    items : DataFrame
        Cleaned items of one dataset, one row per ``item_id`` (non-null), with columns ``item_id``, ``title``,
        ``description``, ``category`` (a path "A > B"), ``brand``; the four text columns may hold nulls or blank
        strings. Other columns (``dataset``, ``price``, provenance) are ignored; the caller groups by dataset.
    extra : DataFrame, optional
        More text about items, columns ``item_id``, ``text`` and ``source`` (a non-blank label such as
        "generated" or "review_aspects"), any number of rows per item. The non-blank texts of an item that add a
        content word to its catalogue text, ordered by ``(source, text)`` so that the result does not depend on
        row order, make its ``extra_text``. Rows for items not in ``items`` are ignored.

    Returns
    -------
    DataFrame
        One row per item, in the order of ``items``, with columns ``ITEM_TEXT_COLUMNS``:

        - ``item_id``: as given.
        - ``text`` (str): the catalogue text; never empty. An item with no catalogue field has its extra text as
          text instead, and with no extra text either its ``item_id``, so that every item has a vector;
          ``has_text`` tells those apart.
        - ``extra_text`` (str): the extra texts joined, "" when there are none (or when they became ``text``).
        - ``text_hash`` (str): the first ``TEXT_HASH_CHARS`` (16) hex digits of the SHA-256 of ``text`` (UTF-8),
          followed by a newline and ``extra_text`` when that is not empty; it changes exactly when either changes
          (64 bits make an accidental collision negligible).
        - ``has_text`` (bool): the item has a title, a description or extra text (brand and category alone
          describe a shelf, not the item).
        - ``has_description`` (bool): the catalogue description is non-blank.
        - ``text_source`` (str): the sources that contributed, joined by "+": "catalogue" when any catalogue
          field did, then the extra sources in sorted order, e.g. "catalogue+generated"; "item_id" for the
          fallback.

    Raises
    ------
    ValueError
        A required column is missing, an ``item_id`` is null or repeated (the message names the ids), or
        ``extra`` lacks a column or has a blank ``source``.
    """
    require_columns(items, REQUIRED_ITEM_COLUMNS, "items")
    if items["item_id"].isna().any():
        raise ValueError(f"items have {int(items['item_id'].isna().sum())} rows with a null item_id")
    duplicated = items["item_id"][items["item_id"].duplicated()].unique()
    if len(duplicated):
        shown = ", ".join(map(str, duplicated[:10])) + (", ..." if len(duplicated) > 10 else "")
        raise ValueError(f"items must have one row per item_id; {len(duplicated)} ids repeat: {shown}")
    extra_by_item = _extra_texts(extra)

    rows = []
    for item_id, title, description, category, brand in zip(
        items["item_id"], *(items[column].map(text_cell) for column in REQUIRED_ITEM_COLUMNS[1:])
    ):
        parts = [_sentence(title), _labelled("Brand", brand), _labelled("Category", category), _sentence(description)]
        text = " ".join(part for part in parts if part)
        extras = [(source, extra) for source, extra in extra_by_item.get(item_id, []) if _adds_words(extra, text)]
        sources = [CATALOGUE_SOURCE] if any((title, description, category, brand)) else []
        sources += sorted({source for source, _ in extras})
        extra_text = _truncate(" ".join(_sentence(text) for _, text in extras))
        if not text:
            text, extra_text = extra_text, ""
        if not text:
            text, sources = text_cell(str(item_id)), [ITEM_ID_SOURCE]
        text = _truncate(text)
        hashed = f"{text}\n{extra_text}" if extra_text else text
        rows.append(
            (
                item_id,
                text,
                extra_text,
                hashlib.sha256(hashed.encode()).hexdigest()[:TEXT_HASH_CHARS],
                bool(title or description or extras),
                bool(description),
                "+".join(sources),
            )
        )
    frame = pd.DataFrame(rows, columns=ITEM_TEXT_COLUMNS)
    # An empty input yields no rows, so pin the dtypes that the rows would have given.
    return frame.astype(
        {"text": object, "extra_text": object, "text_hash": object, "has_text": bool, "has_description": bool}
    )


def _extra_texts(extra: pd.DataFrame | None) -> dict[object, list[tuple[str, str]]]:
    """``item_id -> [(source, text), ...]`` of the non-blank extra texts, sorted by (source, text)."""
    if extra is None:
        return {}
    require_columns(extra, EXTRA_TEXT_COLUMNS, "extra")
    sources = extra["source"].map(text_cell)
    if (sources == "").any():
        raise ValueError(f"extra has {int((sources == '').sum())} rows with a blank source")
    texts = extra["text"].map(text_cell)
    by_item: dict[object, list[tuple[str, str]]] = {}
    for item_id, source, text in sorted(zip(extra["item_id"], sources, texts), key=lambda row: row[1:]):
        if text:
            by_item.setdefault(item_id, []).append((source, text))
    return by_item


def _adds_words(extra: str, text: str) -> bool:
    """Whether ``extra`` has a content word (letters or digits, not an English stop word, any case) that ``text``
    lacks. A grounded description that only restates the title and category ("Organic Banana, in produce > fresh
    fruits.", every Instacart item) would leave the blended vector where it was and cost an encoding each."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words = set(_WORDS.findall(extra.lower())) - ENGLISH_STOP_WORDS
    return not words <= set(_WORDS.findall(text.lower()))


def _sentence(text: str) -> str:
    """``text`` ending with sentence punctuation, so that joined parts read as separate sentences."""
    if not text or text.endswith(_SENTENCE_END):
        return text
    return text + "."


def _labelled(label: str, text: str) -> str:
    return _sentence(f"{label}: {text}") if text else ""


def _truncate(text: str) -> str:
    """At most ``MAX_TEXT_CHARS`` characters, cut at the last space before the limit when there is one."""
    if len(text) <= MAX_TEXT_CHARS:
        return text
    cut = text[:MAX_TEXT_CHARS]
    space = cut.rfind(" ")
    return cut[:space] if space > 0 else cut


def build_catalogue_texts(
    items: pd.DataFrame, extra: pd.DataFrame | None = None, reviews: pd.DataFrame | None = None
) -> pd.DataFrame:
    """``build_item_text`` of every dataset of ``items`` (cleaned items of any number of datasets, with a
    ``dataset`` column), each with the rows of ``extra`` (``dataset`` plus ``EXTRA_TEXT_COLUMNS``) of its own
    dataset, and after them the items that only ``reviews`` know (``review_only_texts``; a shop without a catalogue,
    such as the review-only 5-core one, has no other items). Returns ``dataset`` and ``ITEM_TEXT_COLUMNS``, datasets
    in sorted order; no rows for a dataset with no items."""
    require_columns(items, ["dataset", *REQUIRED_ITEM_COLUMNS], "items")
    if reviews is not None and len(reviews):
        only_reviewed = review_only_texts(reviews, items)
        if len(only_reviewed):
            key = ["dataset", "item_id"]
            if extra is not None:  # an extra text of a reviewed item (its grounded description) is not its text
                require_columns(extra, key, "extra")
                extra = extra[pd.MultiIndex.from_frame(extra[key]).isin(pd.MultiIndex.from_frame(items[key]))]
            extra = pd.concat([extra, only_reviewed], ignore_index=True) if extra is not None else only_reviewed
            ids = pd.concat([items[key], only_reviewed[key]])
            items = ids.merge(items, on=key, how="left")  # null fields for the reviewed items
    frames = [
        build_item_text(group, extra=None if extra is None else extra[extra["dataset"] == dataset]).assign(
            dataset=dataset
        )
        for dataset, group in items.groupby("dataset")
    ]
    return pd.concat(frames or [pd.DataFrame(columns=["dataset", *ITEM_TEXT_COLUMNS])], ignore_index=True)


def review_only_texts(reviews: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """``dataset`` plus ``EXTRA_TEXT_COLUMNS`` (source ``REVIEWS_SOURCE``) for each item of ``reviews``
    (``longtail.language.review_facts.REVIEW_FACT_COLUMNS``) that ``items`` (``dataset, item_id``) lacks: the phrases
    most of its reviews mention, then the titles of its newest reviews (``review_facts``), each a sentence, e.g.
    "hair, shampoo, conditioner. Great product. Love it!"; where its reviews share no phrase and have no title of
    their own (Amazon's "Five Stars" only repeats the rating), the text of its newest review ("Smells amazing and
    does a good job of refreshing."). Without a catalogue this is what the shop knows of an item. The grounded
    description written from the same reviews is not used: its counts and ratings, which every item's has, made the
    items look alike (random pairs of 5-core items cosine 0.58 at the median, against 0.29 with this text;
    ``bench/review_only_texts.py``)."""
    require_columns(reviews, REVIEW_FACT_COLUMNS, "reviews")
    known = pd.MultiIndex.from_frame(items[["dataset", "item_id"]])
    reviews = reviews[~pd.MultiIndex.from_frame(reviews[["dataset", "item_id"]]).isin(known)]
    newest = reviews.sort_values(["ts", "review_id"]).groupby(["dataset", "item_id"])["text"].last()
    rows = []
    for dataset, by_item in review_facts(reviews).items():
        for item_id, facts in by_item.items():
            text = " ".join(_sentence(part) for part in (facts.mentioned, *facts.highlights) if part)
            rows.append((dataset, item_id, text or text_cell(newest.get((dataset, item_id)))))
    return pd.DataFrame(rows, columns=["dataset", "item_id", "text"]).assign(source=REVIEWS_SOURCE)


def changed_texts(previous: pd.DataFrame, current: pd.DataFrame) -> int:
    """How many rows of ``current`` (``dataset, item_id, text_hash``) are new or have another ``text_hash`` than
    in ``previous`` (the same columns; empty before the first run)."""
    if previous.empty:
        return len(current)
    keys = ["dataset", "item_id", "text_hash"]
    return int((~current[keys].merge(previous[keys], how="left", indicator=True)["_merge"].eq("both")).sum())


# A description that opens with the publication's name: the name, then a verb or an apposition ("Esquire is ...",
# "GQ helps ...", "Harper's BAZAAR, the fashion authority, ..."). Capitalised words, joined by a few lower-case
# connectors; a lower-case "magazine" after the name is not part of it ("Prevention magazine gives ...").
_NAME_VERBS = (
    "is|was|has|gives|brings|focuses|offers|features|covers|helps|honors|honours|presents|delivers|provides|includes"
    "|celebrates|showcases|explores|inspires|aims|takes|shows|keeps|reaches|serves|combines|contains|remains|uncovers"
    "|publishes|examines|probes|discovers|dishes"
)
_NAME_WORD = r"[A-Z0-9][\w'’&.:-]*,?"
_NAME = rf"{_NAME_WORD}(?:\s+(?:(?:of|the|and|for|en|de|&)\s+)?{_NAME_WORD})*"
# "Objective is to inform ..." opens with a purpose, not a name.
_NAMED_OPENING = re.compile(
    rf"^\s*(?P<name>{_NAME})(?:\s+magazine)?\s*(?:\s(?:{_NAME_VERBS})\b(?!\s+to\b)|,\s+(?:the|a|an)\s)"
)
# Words that open a sentence without naming anything ("Each issue brings ...", "In Equus, the world's top ...",
# "Nobody knows ..."): a name never starts with one.
_NOT_NAME_STARTS = frozenset(
    "it this that these those each every our your we you he she they there here what who which where when why how "
    "nobody everyone everything magazine issue a an in at on with for from by as since whether along if after before "
    "while though although because published written edited dedicated".split()
)
_MAX_NAME_WORDS = 8
# The longest opening of a description shown as a name (``description_opening``): about a card's line.
OPENING_CHARS = 60
# A description that says it has none: 5 magazines' read "SPID SHORT DESCRIPTION NOT AVAILABLE".
_PLACEHOLDER = re.compile(r"\bnot available\b", re.IGNORECASE)


def name_from_description(description: str | None) -> str | None:
    """The publication's name where a catalogue description opens with it, else None.

    Amazon's magazine metadata has no usable title for 93% of its items, but many descriptions start with the name
    ("Esquire is the original ...", "Prevention magazine gives ..."). Only that opening counts: a name later in the
    text ("Nobody knows more about star power than Vanity Fair") is left alone, because a wrong name is worse than
    none. On 80 held-out magazine descriptions labelled by hand (``docs/labels/magazine_names_rubric.md``), 35 names
    were found, all 35 right, of the 49 the descriptions state.
    """
    if not isinstance(description, str):
        return None
    match = _NAMED_OPENING.match(description)
    if match is None:
        return None
    name = match.group("name").strip(" ,")
    words = name.split()
    if words[0].lower() in _NOT_NAME_STARTS or words == ["The"] or len(words) > _MAX_NAME_WORDS:
        return None
    return name


def display_titles(
    titles: pd.Series,
    categories: pd.Series | None,
    brands: pd.Series | None,
    descriptions: pd.Series | None = None,
) -> pd.Series:
    """The name a person reads for each item (lists, reasons, the API), from the catalogue alone, never generated:
    its title; where it has none (or only a scrap of HTML, as most Amazon magazine titles), the name its
    description opens with (``name_from_description``); else its category's last part and its brand, e.g. "Nature &
    Ecology (Pardson Inc)"; with no category either, its description's opening and its brand, e.g. "The magazine
    that celebrates smart, sophisticated 40+… (Meredith)" (``description_opening``), or its brand alone where the
    description names the brand or there is none; missing when none is known (the reader then sees the id).
    Series of strings aligned with each other; ``categories``, ``brands`` or ``descriptions`` None when the
    catalogue has no such column."""
    if categories is None:
        categories = pd.Series(pd.NA, index=titles.index, dtype="string")
    markup = titles.str.contains(r"[<>]|^[^A-Za-z0-9]*$", regex=True, na=False)
    leaf = categories.str.split(" > ").str[-1]
    built = leaf.str.cat(" (" + brands + ")", na_rep="") if brands is not None else leaf
    built = built.where(leaf.notna(), brands if brands is not None else pd.NA)
    usable = titles.notna() & ~markup
    if descriptions is not None:
        untitled = descriptions[~usable]
        named = pd.Series([name_from_description(text) for text in untitled], index=untitled.index, dtype="string")
        named = named.reindex(titles.index)
        if brands is not None:
            # A brand alone is mostly the publisher ("Meredith", "Redan, Inc."), which tells a shopper nothing of
            # the magazine; where the description does not name the brand, its opening says what the item is.
            texts = descriptions.astype("string")
            unnamed = leaf.isna() & brands.notna() & texts.notna() & ~usable & named.isna()
            unnamed &= ~pd.Series(
                [str(brand).lower() in str(text).lower() for brand, text in zip(brands, texts)], index=titles.index
            )
            openings = texts[unnamed].map(description_opening).astype("string")
            built = built.where(~unnamed | openings.reindex(titles.index).isna(), openings + " (" + brands + ")")
        built = named.fillna(built)
    return titles.where(usable, built)


def description_opening(description: str, max_chars: int = OPENING_CHARS) -> str | None:
    """The first sentence of ``description``, cut at a word boundary with "…" past ``max_chars`` characters; None
    for an empty one or a placeholder. "Singapore's English entertainment and television magazine. Covers stories,
    ..." gives "Singapore's English entertainment and television magazine". A sentence ends at ".", "!" or "?" after
    a word of three letters or more and before a capital, so "Dr. Oz" and "Nail It! Magazine" are not cut."""
    text = re.sub(r"\s+", " ", str(description)).strip()
    if _PLACEHOLDER.search(text):
        return None
    sentence = re.split(r"(?<=[a-z]{3}[.!?])\s+(?=[A-Z])", text, maxsplit=1)[0].rstrip(". ")
    if not sentence:
        return None
    if len(sentence) <= max_chars:
        return sentence
    cut = sentence[: max_chars + 1].rsplit(" ", 1)[0] if " " in sentence[:max_chars] else sentence[:max_chars]
    return cut.rstrip(",;:-– ") + "…"


def titles_from_reviews(mentions: pd.Series) -> pd.Series:
    """The title of an item that nothing in its catalogue names (no title, no named description, no category or
    brand), from ``mentions`` (the phrases its reviews mention most, by item id, e.g. from
    ``longtail.language.review_facts.mentioned_phrases``): "B0009RF9DW (reviews mention body, scent, shower)". The
    shopper reads what the item is, and the id keeps apart two items whose reviews mention the same things. A string
    Series by item id."""
    ids = mentions.index.astype(str).to_series(index=mentions.index)
    return (ids + " (reviews mention " + mentions.astype("string") + ")").astype("string")
