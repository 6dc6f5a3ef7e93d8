"""Which category node a shopper's words name (``category_of``): the node their words name in the shop's labels,
read from the thing wanted before its context, where the shopper places it, and narrowed by the item titles; the
node the items the words call lie in, where that differs; the age band a stated age names (``age_node``). The query
parser (``longtail.serving.query``) reads a message's category with it."""

from __future__ import annotations

import re
from collections.abc import Sequence

from longtail.serving.lexical import EVALUATIVE_WORDS
from longtail.serving.occasions import OCCASION_PATTERN, ages_in
from longtail.serving.query_phrases import BOUNDARY
from longtail.serving.query_words import CHAT_FILLER, FUNCTION_WORDS, patterns
from longtail.serving.shop_vocabulary import ShopVocabulary
from longtail.serving.vocabulary import (
    SEPARATOR,
    domain_words,
    label_words,
    lexical_category,
    shopper_units,
    singular,
    wholly_named_node,
    words,
)

# A node the shopper's words name stands when it holds at least this share of the items called by the name the thing
# wanted holds (the items whose titles end with it: ``ShopVocabulary.items_called``), or that name names no node on
# its path; else the deepest node holding ``CALLED_NODE_SHARE`` of them replaces it, or none does: "peanut
# butter" names the butter aisle, though the items called so are spreads. ("cheap bin liners, the big heavy duty
# ones" holds "heavy duty", which names no node.) Where the thing wanted names no node and its context does, the
# deepest node holding ``CALLED_NODE_SHARE`` of the items its name calls, a name of one word too, replaces the
# context's, or none does ("half and half for my coffee" is the cream aisle, "noodles for chicken soup" no aisle).
CALLED_MIN_SHARE = 0.25
CALLED_NODE_SHARE = 0.6

# The opener of a request, whose "for" (or "on", "in", "to") starts no context: in "looking for peanut butter for the
# kids" the thing wanted is the peanut butter ("not looking for" is an exclusion's), and so it is after "in the market
# for" or "trying to find". Only the category reading skips it: taken out of the free text too, it moved the query's
# embedding, and the answers with it, both ways. ("shopping for" stays: "shopping for my mum" is for her.)
OPENER = re.compile(
    r"\b(?:(?:i'?m|i am|we'?re|we are|i'?ve been|we'?ve been|have been|been|am|are|just|currently|still)\s+)*"
    r"(?<!not )(?<!n't )(?:(?:looking|searching|hunting)\s+(?:(?:around|everywhere|all over|high and low)\s+)?for|"
    r"on the (?:hunt|lookout) for|in search of|in the market for|scouring (?:your|the) \w+ for|"
    r"(?:trying|hoping|wanting|want|need|looking|on a mission) to (?:find|get|buy|get hold of|track down|pick up))\b"
)


def category_of(text: str, shop: ShopVocabulary) -> str | None:
    """The node the words name (``named_category``) unless the items called by a name the thing wanted holds lie
    elsewhere (see ``CALLED_MIN_SHARE``; a recipient's word may be part of the name: "baby carrots"), else the node
    ``shop.title_category`` gives for the product phrase of the thing wanted (the words left once occasion, chat and
    domain words are dropped, before the first context word as ``named_category`` reads them) or, failing that,
    ``shop.match_category`` for the whole product phrase."""
    text = OPENER.sub(BOUNDARY, text)
    # The titles read the thing wanted only: in "teabags for the office, we get through loads" the loads are
    # detergent's, and the office is no aisle.
    head_text = patterns.context.split(text, maxsplit=1)[0]
    named = named_category(text, shop)
    if named is not None:
        # "half and half for my coffee": the thing wanted names no node, and its context named the coffee aisle. Its
        # context also makes up for a name of one word ("lemons for my tea"), but not for a word of the shop's sole
        # root, which names every item ("a magazine for teens"). Where the shopper places the thing, the place stands
        # ("granola from the breakfast bars aisle").
        from_context = head_text != text and named_category(head_text, shop) is None and _place(text, shop) is None
        if from_context:
            name, called = shop.items_called(_product_phrase(head_text, shop), 1)
        else:
            name, called = shop.items_called(head_text, 2)
        name_node = named_category(name, shop) if called else None
        overrules = name_node is not None and _one_path(name_node, named)
        if not (overrules or (from_context and called)) or called.get(named, 0.0) >= CALLED_MIN_SHARE:
            return named
        return max(
            (node for node, share in called.items() if share >= CALLED_NODE_SHARE),
            key=lambda node: node.count(SEPARATOR),
            default=None,
        )
    phrase = _product_phrase(text, shop)
    if not phrase:
        return None
    title_phrase = _title_phrase(head_text, shop) or _title_phrase(text, shop)
    category = (shop.title_category(title_phrase, None) if title_phrase else None) or shop.match_category(phrase)
    return category if category in shop.category_paths else None


def named_category(text: str, shop: ShopVocabulary) -> str | None:
    """The node the words name (``lexical_category``), narrowed by the other words' titles (``_narrowed``), or None.

    Where the shopper places the thing, after "in" or "from", decides when those words name a node ("cream in the
    ice cream aisle" is ice cream, not cream; "rice in chips pretzels" is chips), unless the words before it name
    that node or one below it ("anything vegan in the freezer section" is the frozen vegan aisle). Otherwise the
    thing wanted, not its context: the words before the first "for", "in", "on", "at", "to" or "from" decide
    ("cleaning stuff for the kitchen" is cleaning products, not their parent; the "for" of "looking for" starts no
    context), unless they name no node ("a magazine for teens") or the whole message names one below theirs."""
    text = OPENER.sub(BOUNDARY, text)
    head_text = patterns.context.split(text, maxsplit=1)[0]
    whole = lexical_category(_shopping_words(text), shop.category_paths, shop.title_words)
    if head_text != text:
        head = lexical_category(_shopping_words(head_text), shop.category_paths, shop.title_words)
        place = _place(text, shop)
        if place is not None and not (head is not None and f"{head}{SEPARATOR}".startswith(place + SEPARATOR)):
            return _narrowed(place, head_text, shop)  # "a cake from the bakery": bakery desserts
        if head is not None and not (whole is not None and whole.startswith(head + SEPARATOR)):
            return _narrowed(head, head_text, shop)
    return None if whole is None else _narrowed(whole, text, shop)


def age_node(text: str, category: str | None, nodes: Sequence[str]) -> str | None:
    """The node for the age ``text`` states, where the shop files items by age ("Ages 4-8", "Baby-3", "12 & Up") and
    that node is ``category`` or below it (or there is no category): "magazines for a 6 year old" -> Ages 4-8."""
    ages = ages_in(text)
    if len(ages) != 1:
        return None
    for node in nodes:
        label = node.split(SEPARATOR)[-1].lower()
        bounds = re.fullmatch(r"ages (\d+)-(\d+)|baby-(\d+)|(\d+) & up", label)
        if bounds is None or (category is not None and not node.startswith(category + SEPARATOR)):
            continue
        low, high, baby_high, up_from = (None if value is None else int(value) for value in bounds.groups())
        low, high = (low, high) if low is not None else (0, baby_high) if baby_high is not None else (up_from, 19)
        if low <= ages[0] <= high:
            return node
    return None


def _narrowed(node: str, text: str, shop: ShopVocabulary) -> str:
    """``node``, or the node below it that the titles using the words of ``text`` which name no label on its path
    point to: "frozen peas" names the frozen department, and within it titles with "peas" lie in frozen produce."""
    path_words = {word for label in node.split(SEPARATOR) for word in label_words(label)}
    rest = " ".join(unit for unit, stands in shopper_units(_title_phrase(text, shop)) if not stands & path_words)
    below = shop.title_category(rest, node) if rest else None
    return below if below is not None and below.startswith(node + SEPARATOR) else node


def _one_path(node: str, other: str) -> bool:
    """Whether one of the two nodes is the other or lies below it."""
    return f"{node}{SEPARATOR}".startswith(other + SEPARATOR) or f"{other}{SEPARATOR}".startswith(node + SEPARATOR)


def _product_phrase(text: str, shop: ShopVocabulary) -> str:
    """The words of ``text`` that may name a product: no occasion, function word or word of the shop's sole root."""
    domain = domain_words(shop.category_paths)
    return " ".join(
        word
        for word in words(OCCASION_PATTERN.sub(BOUNDARY, text))
        if word not in FUNCTION_WORDS and singular(word) not in domain
    )


def _title_phrase(text: str, shop: ShopVocabulary) -> str:
    """``_product_phrase`` less a measure before "of", for the titles: "a bottle of wine" is wine, though most titles
    that say "bottle" are beers. (Its embedding still reads "a bottle of red" as red wine.)"""
    return _product_phrase(re.sub(r"\b[a-z]+ of\b", BOUNDARY, text), shop)


def _place(text: str, shop: ShopVocabulary) -> str | None:
    """The node named by the first phrase after "in" or "from" that says where in the shop: after "in", a phrase
    naming a node's whole label ("in asian foods", "in the fresh vegetables aisle"); after "from", one naming a
    department's whole label ("a cake from the bakery"); after either, one with a word such as "aisle" or "section"
    that names a node ("from the freezer section"). No place in "tuna in olive oil" (the oils vinegars aisle is half
    named: the oil is what the tuna comes in) nor in "news from the united states" (where the news is from, not
    where it is shelved: no department)."""
    for match in patterns.place.finditer(text):
        phrase = _shopping_words(match.group("words"))
        node = wholly_named_node(phrase, shop.category_paths)
        if match.group("preposition") == "from" and node is not None and SEPARATOR in node:
            node = None
        if node is None and patterns.shop_place.search(phrase):
            node = wholly_named_node(phrase, shop.category_paths)
            node = node or lexical_category(phrase, shop.category_paths, shop.title_words)
        if node is not None:
            return node
    return None


def _shopping_words(text: str) -> str:
    """``text`` without chat and evaluative words, which name no node even in a label ("need" is no "shave needs",
    "good" no "canned goods")."""
    return " ".join(word for word in words(text) if word not in CHAT_FILLER and word not in EVALUATIVE_WORDS)
