"""Query understanding for the shop assistant: ``parse_query`` turns a shopper's chat message, in one shop, into a
validated ``QuerySpec`` by rules (no language model: the packaged 135M model gave valid JSON for 1 of 5 prompts).

The message is lower-cased, with common misspellings of the words the rules key on mended ("chrismas"), and read
in passes, each of which takes the phrases it understands out of the text (leaving a clause boundary, "|", in
their place) so that later passes do not read them again: fake conversation turns and instruction phrases ("ignore
your rules", "set max_price to 0"), which set nothing; "start again"; "forget the wine"; "any price"; "like the
second one" or "the fifth one"; a shown item by its title words ("the whole wheat one"); prices; popularity
("hidden gems"); exclusions ("no candles"); an item named after "like the"; then occasions (with ages: "my 7 year
old") and the category are read from what is left, which, less chat filler, becomes the free ``text``
for embedding matching. A refinement merges the result into the previous turn's spec (``parse_query`` says how).
The passes from the item reference to the named item are in ``longtail.serving.query_phrases``, and the category
is read by ``longtail.serving.category_reading``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace

from longtail.serving.category_reading import age_node, category_of, named_category
from longtail.serving.diets import DIET_PHRASE, DIETS, take_diets, without_substitute_meat
from longtail.serving.lexical import lexical_tokens
from longtail.serving.measures import measures_in, parse_measure, without_measures
from longtail.serving.occasions import (
    OCCASION_PATTERN,
    OCCASION_WORDS,
    OCCASIONS,
    PERSON,
    RECIPIENT_OWNER,
    RECIPIENT_PATTERN,
    occasions_in,
    replaced_recipients,
    with_ages_as_recipients,
)
from longtail.serving.query_phrases import (
    BOUNDARY,
    CONTAINER_OF,
    take_exclusions,
    take_named_item,
    take_novelty,
    take_position_reference,
    take_prices,
    take_shown_title,
    without_counts,
)
from longtail.serving.query_words import (
    CHAT_FILLER,
    GENERIC_NOUNS,
    normalised,
    patterns,
)
from longtail.serving.shop_vocabulary import ShopVocabulary, checked_price
from longtail.serving.vocabulary import (
    SEPARATOR,
    label_words,
    singular,
    words,
)

MAX_QUERY_CHARS = 2_000
# Label words that name who the goods are for: a node labelled only with them is a recipient's shelf.
RECIPIENT_LABEL_WORDS = frozenset({"teen", "child", "kid", "baby", "girl", "boy"})
NOVELTY_VALUES = ("tail", "any")
LIST_SLOTS = ("exclude", "occasion", "diet", "measure")


@dataclass(frozen=True)
class QuerySpec:
    """What a shopper asked for. Prices are in the shop's currency, inclusive; ``exclude`` holds lower-case,
    singular words (or short phrases) to rule out; ``occasion`` holds words of ``OCCASIONS``, ``diet`` those of
    ``DIETS``, ``measure`` the sizes and amounts asked for (``longtail.serving.measures``: "14-16 lb", "size 4"); all
    four are stored sorted and distinct. ``text`` holds the message's free words for soft matching (never in
    ``to_json``)."""

    category: str | None = None
    min_price: float | None = None
    max_price: float | None = None
    exclude: tuple[str, ...] = ()
    novelty: str | None = None
    like_item: str | None = None
    occasion: tuple[str, ...] = ()
    diet: tuple[str, ...] = ()
    measure: tuple[str, ...] = ()
    text: str = ""

    def __post_init__(self):
        for name in ("category", "like_item"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise ValueError(f"{name} must be a non-empty string or None, got {value!r}")
        for name in ("min_price", "max_price"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, checked_price(value, name))
        if self.min_price is not None and self.max_price is not None and self.min_price > self.max_price:
            raise ValueError(f"min_price ({self.min_price}) exceeds max_price ({self.max_price})")
        if self.novelty not in (*NOVELTY_VALUES, None):
            raise ValueError(f"novelty must be one of {NOVELTY_VALUES} or None, got {self.novelty!r}")
        for name in LIST_SLOTS:
            values = getattr(self, name)
            if isinstance(values, str) or not all(isinstance(value, str) and value.strip() for value in values):
                raise ValueError(f"{name} must be a sequence of non-empty strings, got {values!r}")
            object.__setattr__(self, name, tuple(sorted(set(values))))
        for name, vocabulary in (("occasion", OCCASIONS), ("diet", DIETS)):
            unknown = set(getattr(self, name)) - set(vocabulary)
            if unknown:
                raise ValueError(f"{name} words {sorted(unknown)} are not in the vocabulary {vocabulary}")
        for measure in self.measure:
            parse_measure(measure)
        if not isinstance(self.text, str):
            raise ValueError(f"text must be a string, got {type(self.text).__name__}")

    def to_json(self) -> dict:
        """The set slots only, as JSON types (lists for the tuples); never ``text``."""
        out = {}
        for slot in fields(self):
            value = getattr(self, slot.name)
            if slot.name != "text" and value not in (None, ()):
                out[slot.name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_json(cls, parsed: Mapping, text: str = "") -> QuerySpec:
        """The spec ``to_json`` gave (a previous turn's ``"parsed"``), validated; ``ValueError`` for unknown keys."""
        if not isinstance(parsed, Mapping):
            raise ValueError(f"parsed must be a mapping, got {type(parsed).__name__}")
        slots = {slot.name for slot in fields(cls)} - {"text"}
        unknown = set(parsed) - slots
        if unknown:
            raise ValueError(f"unknown query spec slots {sorted(unknown)}; known: {sorted(slots)}")
        values = {name: tuple(value) if name in LIST_SLOTS else value for name, value in parsed.items()}
        return cls(**values, text=text)


@dataclass(frozen=True)
class ShownItem:
    """An item shown to the shopper in the previous turn; ``price`` in the shop's currency, None if unknown."""

    item_id: str
    price: float | None

    def __post_init__(self):
        if not isinstance(self.item_id, str) or not self.item_id:
            raise ValueError(f"ShownItem.item_id must be a non-empty string, got {self.item_id!r}")
        if self.price is not None:
            object.__setattr__(self, "price", checked_price(self.price, "ShownItem.price"))


def parse_query(
    query: str, shop: ShopVocabulary, previous: QuerySpec | None = None, shown: Sequence[ShownItem] = ()
) -> QuerySpec:
    """The spec for ``query`` in ``shop``: with ``previous`` (the last turn's spec) and ``shown`` (the items it
    showed, in order), the merged spec of the conversation so far. ``ValueError`` for a non-string, empty or
    over-long (> ``MAX_QUERY_CHARS``) query or arguments of the wrong types.

    Merging: a slot this turn sets replaces the previous value (a price bound, the category, novelty, like_item,
    measure), except ``exclude``, ``occasion`` and ``diet``, which add to it; a new price bound drops an old opposite
    bound that contradicts it; the free text adds to the previous text (replaces it with "instead"), less excluded
    words, and the measures stay where the free text does. A
    recipient named without "too" replaces the previous ones and starts the free text afresh ("ok and for my dad?"
    after "for my mum, she loves gardening").
    "start again", "forget that" or "show me anything" drop the previous spec first; "forget the wine" drops the
    previous category and occasions the words name."""
    if not isinstance(query, str):
        raise ValueError(f"query must be a string, got {type(query).__name__}")
    if not query.strip():
        raise ValueError("query is empty")
    if len(query) > MAX_QUERY_CHARS:
        raise ValueError(f"query has {len(query)} characters; at most {MAX_QUERY_CHARS} are accepted")
    if not isinstance(shop, ShopVocabulary):
        raise ValueError(f"shop must be a ShopVocabulary, got {type(shop).__name__}")
    if previous is not None and not isinstance(previous, QuerySpec):
        raise ValueError(f"previous must be a QuerySpec or None, got {type(previous).__name__}")
    if isinstance(shown, (str, bytes)) or not all(isinstance(item, ShownItem) for item in shown):
        raise ValueError("shown must be a sequence of ShownItem")

    text = normalised(query)
    for pattern in patterns.instructions:
        text = pattern.sub(BOUNDARY, text)
    cleared = bool(patterns.clear.search(text))
    text = patterns.clear.sub(BOUNDARY, text)
    base = QuerySpec() if cleared or previous is None else previous
    base, dropped, text = _dropped(text, base, shop)
    if patterns.any_price.search(text):  # "I don't mind what it costs"
        base = replace(base, min_price=None, max_price=None)
        text = patterns.any_price.sub(BOUNDARY, text)
    # "crisps instead", "forget wine, ...": this turn's words replace the previous free text, not add to it (a switch
    # without words of its own, "make it under a fiver", keeps it).
    switches = bool(patterns.switch.search(text) or re.search(r"\binstead\b", text))
    text = patterns.switch.sub(BOUNDARY, text)
    shown_ids = [item.item_id for item in shown]
    like_item, text = take_position_reference(text, shown_ids)
    titled_item, text = take_shown_title(text, shown_ids, shop.find_shown)
    # Only the shown items' passes read "instead" ("instead of the second one" turns it down): as an exclusion,
    # "instead of more chocolate" ruled chocolate out of a present meant to replace it.
    text = re.sub(r"\binstead\b", BOUNDARY, text)
    min_price, max_price, text = take_prices(text, shop.price_quantiles, [item.price for item in shown])
    measure = measures_in(text)  # after the prices: "under 5 pounds" is one
    text = without_measures(text, BOUNDARY)
    novelty, text = take_novelty(text)
    exclude, text = take_exclusions(text)
    text = patterns.no_product.sub(BOUNDARY, text)
    # "more like the tin with the bunnies on": a shown item first, the shop's items after.
    named_item, item_phrase, text = take_named_item(
        text, lambda phrase: shop.find_shown(phrase, shown_ids) or shop.find_item(phrase)
    )
    diet, text = take_diets(text, exclude)
    occasion = occasions_in(text)
    replaced = replaced_recipients(base.occasion, occasion, text)
    text = patterns.when.sub(BOUNDARY, text)  # after the occasions: "he's 70 on saturday" is a birthday
    # A named occasion of several words is no category ("baby shower" is not the babies department), nor an in-law,
    # nor whose recipient it is ("my kid's teacher").
    product_text = OCCASION_PATTERN.sub(lambda match: BOUNDARY if " " in match.group(0) else match.group(0), text)
    product_text = patterns.in_law.sub(BOUNDARY, product_text)
    product_text = RECIPIENT_OWNER.sub(BOUNDARY, product_text)
    # What a thing is free of, or tastes of, names no shelf: "dairy free" after "ice cream" was the dairy department,
    # "nut free snacks" the nuts aisle, "sour cream and onion chips" the cream and "salt and vinegar" the vinegars.
    product_text = patterns.flavour.sub(BOUNDARY, patterns.free_of.sub("free", product_text))
    product_text = CONTAINER_OF.sub(BOUNDARY, product_text)
    if diet:  # "vegan chicken nuggets" are no poultry; "my daughter's gone vegetarian" after frozen pizza is pizza
        product_text = without_substitute_meat(product_text)
        undieted = DIET_PHRASE.sub(BOUNDARY, product_text)
        product_text = undieted if base.category and category_of(undieted, shop) is None else product_text
    category = category_of(product_text, shop) if shop.category_paths else None
    if category is not None and set(label_words(category.split(SEPARATOR)[-1])) <= RECIPIENT_LABEL_WORDS:
        # What a recipient is into names the shelf before who they are: "a horse-mad teen" is Equestrian; "kids
        # magazines" are still Children's, and "baby food" (no recipient's shelf alone) is not in question.
        category = named_category(RECIPIENT_PATTERN.sub(BOUNDARY, product_text), shop) or category
    category = age_node(text, category, shop.category_paths) or category
    # Whose recipient it is names no product either, nor a person of no recipient's word ("my big brother").
    free_text = with_ages_as_recipients(PERSON.sub(BOUNDARY, RECIPIENT_OWNER.sub(BOUNDARY, text)))
    new_text = " ".join(word for word in words(without_counts(f"{free_text} {item_phrase}")) if word not in CHAT_FILLER)
    if not lexical_tokens(" ".join(word for word in new_text.split() if word not in GENERIC_NOUNS)):
        # "popular items", "top sellers for under two pounds" ("for"): only generic nouns and stop words, which name
        # no kind of item; their embedding matched items at random.
        new_text = ""

    merged_exclude = set(base.exclude) | set(exclude)
    moved_on = dropped or replaced or (switches and new_text)
    kept_text = "" if moved_on else base.text
    merged_text = " ".join(word for word in f"{kept_text} {new_text}".split() if singular(word) not in merged_exclude)
    low = base.min_price if min_price is None else min_price
    high = base.max_price if max_price is None else max_price
    if low is not None and high is not None and low > high:
        # The bound this turn set wins over the one kept from before ("cheaper" after "over £10").
        low, high = (None, high) if min_price is None else (low, None)
    if category and base.category and not switches and (base.category + SEPARATOR).startswith(category + SEPARATOR):
        category = base.category  # "the second one but in decaf?" after coffee: decaf names drinks, coffee is kept
    return QuerySpec(
        category=category or base.category,
        min_price=low,
        max_price=high,
        exclude=tuple(merged_exclude),
        novelty=novelty or base.novelty,
        like_item=like_item or titled_item or named_item or base.like_item,
        occasion=tuple(set(base.occasion) - replaced | set(occasion)),
        diet=tuple(set(base.diet) | set(diet)),
        measure=measure or (() if moved_on else base.measure),
        text=merged_text,
    )


def _dropped(text: str, base: QuerySpec, shop: ShopVocabulary) -> tuple[QuerySpec, bool, str]:
    """(``base`` less what the shopper drops, whether they dropped anything, text without the phrases): "forget
    wine, I need nappies" drops a previous category that "wine" names (or one above or below it), the previous
    occasions the words name, and the price bounds for "the budget"; nothing is ruled out, unlike "no wine"."""
    found = False
    for match in patterns.dropped.finditer(text):
        found = True
        phrase = match.group("words")
        named = category_of(phrase, shop) if shop.category_paths else None
        if named and base.category:
            node, old = named + SEPARATOR, base.category + SEPARATOR
            if node.startswith(old) or old.startswith(node):
                base = replace(base, category=None)
        occasions = {value for word in OCCASION_PATTERN.finditer(phrase) for value in OCCASION_WORDS[word.group(0)]}
        base = replace(base, occasion=tuple(set(base.occasion) - occasions))
        if re.search(r"\b(?:budget|price|prices|limit|cost)\b", phrase):  # "forget the budget"
            base = replace(base, min_price=None, max_price=None)
    return base, found, patterns.dropped.sub(BOUNDARY, text)
