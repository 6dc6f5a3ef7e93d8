"""The passes of ``parse_query`` (``longtail.serving.query``) that each read one kind of phrase from the normalised
message and take it out of the text, leaving a clause boundary (``BOUNDARY``) in its place so that later passes do
not read it again: a reference to a shown item ("like the second one"), prices, popularity, exclusions, and an item
named after "like the". Shown items come in as their ids and prices, so this module does not import ``query``.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Mapping, Sequence

from longtail.serving.query_words import (
    CARDINALS,
    FROM_LAST,
    ORDINALS,
    amount_value,
    normalised,
    patterns,
)
from longtail.serving.vocabulary import singular

BOUNDARY = " | "

# The word before "like" that makes it a verb, not a comparison ("I'd like the ...", "my kids would like ...").
LIKE_SUBJECTS = frozenset(
    "i i'd id we we'd you they would do don't dont really also might feel feels look looks sound sounds seem "
    "seems wouldn't didn't does did".split()
)
# Words before a pointer to a shown item that turn it down ("not the third one", "apart from #2").
NEGATIONS = frozenset("not no don't dont nothing none hate hated dislike except excluding without apart besides than "
                      "instead".split())  # fmt: skip
# After an exclusion trigger: words skipped before the excluded words, words that show the negation is not of an
# object ("not sure", "no idea"), words that end the excluded phrase, and generic words that end it and are dropped.
EXCLUDE_SKIP = frozenset(
    "any anything a an the of more those these real actual some with made containing including involving "
    "another ones".split()
)
EXCLUDE_NOT_OBJECTS = frozenset(
    "sure idea ideas thanks thank problem problems worries worry matter need rush hurry way doubt clue pressure fussed "
    "bother particular preference fuss fussy bothered keen bad very so quite exactly necessarily just only even yet "
    "there "
    "now really too that much many limit budget longer kidding for to in on at with about from by if when what i me "
    "you it they he she we yes no ok okay else filter filters".split()
)
EXCLUDE_STOP = frozenset(
    "for to in on at with under over below above from by about but as than that which who whose i me my we our "
    "you your it its they them is are was were be been so because just though either then this these those if "
    "please thanks thank something anything nothing no not without except also too neither all only instead "
    "really and or nor like between around it's that's there's he's she's they're we're i'm you're he she they "
    "he'd she'd they'd every".split()
)
# After an excluded word and a separator: words that start something wanted, not another excluded thing ("no
# chocolate, some cookies").
EXCLUDE_LIST_ENDS = frozenset({"some", "a", "an"})
# Phrases with "and" that name one thing, so that "no cheese and onion" rules out the flavour, not cheese and onions.
EXCLUDE_COMPOUNDS = frozenset(
    "salt and vinegar|cheese and onion|sour cream and onion|salt and pepper|sweet and sour|sweet and salty|fish and "
    "chips|mac and cheese|macaroni and cheese|peanut butter and jelly|bread and butter|strawberries and cream|cookies "
    "and cream|ham and cheese|bangers and mash|pie and mash|rock and roll|black and white|gin and tonic".split("|")
)
# (Singular words: "fish flavours" rules out fish.)
EXCLUDE_TRAILING = frozenset(
    "stuff thing item product one related themed flavoured flavored flavour flavor variety version kind type sort "
    "based style whatsoever anymore bit".split()
)
# Describing words that end an excluded phrase after its noun ("nothing lemon scented" rules out lemon) but belong to
# it at its start ("no scented candles").
EXCLUDE_DESCRIBING = frozenset({"scented", "printed", "patterned"})


def take_position_reference(text: str, shown_ids: Sequence[str]) -> tuple[str | None, str]:
    """The id, of ``shown_ids`` (the items shown, in order), that a phrase such as "more like the second one",
    "similar to #3" or "the fifth one is lovely" points at (1-based), and the text without the phrase. A position
    past the shown items points at nothing, and so does one the shopper turns down ("not the third one", "apart from
    #2"); the last pointer wins."""
    item_id = None
    for match in patterns.position.finditer(text):
        item_id = _shown_at(match.group("position"), shown_ids) or item_id
    text = patterns.position.sub(BOUNDARY, text)
    if not shown_ids:
        return item_id, text
    for match in patterns.position_alone.finditer(text):
        before = set(text[: match.start()].split()[-3:])
        if not before & NEGATIONS:
            position = match.group("position") or match.group("bare") or match.group("number")
            item_id = _shown_at(position, shown_ids) or item_id
    return item_id, patterns.position_alone.sub(BOUNDARY, text)


def take_shown_title(
    text: str, shown_ids: Sequence[str], find_shown: Callable[[str, Sequence[str]], str | None]
) -> tuple[str | None, str]:
    """The id, of ``shown_ids``, whose title a phrase such as "the whole wheat one", "the reptile one, more like
    that", "the colouring set is good" or "the cake stand! anything similar?" names (``find_shown(words,
    shown_ids)``: the one shown title holding the words), and the text without the phrase, whose words then set no
    other slot; the last such phrase wins. A phrase the shopper turns down ("not the spaceboy one") points at
    nothing, and its words are left to rule the item out."""
    item_id = None
    if not shown_ids:
        return item_id, text
    for match in patterns.shown_title.finditer(text):
        if set(text[: match.start()].split()[-3:]) & NEGATIONS:
            continue
        words = match.group("words") or match.group("subject") or match.group("exclaimed")
        item_id = find_shown(words, shown_ids) or item_id
    return item_id, text if item_id is None else patterns.shown_title.sub(BOUNDARY, text)


def _shown_at(position: str, shown_ids: Sequence[str]) -> str | None:
    """The shown id at ``position`` ("third", "3rd", "#3", "number 3", "number three", "last", "penultimate", "the
    middle" of an odd number), None past the list."""
    position = position.replace("-", " ")
    if position in FROM_LAST:
        index = len(shown_ids) - FROM_LAST[position]
    elif position == "middle":
        index = len(shown_ids) // 2 if len(shown_ids) % 2 else -1
    else:
        words = ORDINALS if position in ORDINALS else CARDINALS if position in CARDINALS else None
        index = words.index(position) if words else int(re.search(r"\d+", position).group(0)) - 1
    return shown_ids[index] if 0 <= index < len(shown_ids) else None


def take_prices(
    text: str, quantiles: Mapping[int, float], shown_prices: Sequence[float | None]
) -> tuple[float | None, float | None, str]:
    """(min_price, max_price, text without the price phrases). Stated amounts come first and win; words such as
    "cheap" or "expensive" fill a bound left unset from the shop's quantiles, "cheaper" from the median of
    ``shown_prices`` (the shown items' prices, None for unknown; the 25th percentile when none had a price), and
    "more expensive" or "posher" from the 75th percentile, or the shown median where that is higher (a floor
    below the items shown would show cheaper ones)."""
    stated: dict[str, float] = {}

    def take(bound: str):
        def replace(match: re.Match) -> str:
            if bound == "range":
                low, high = amount_value(match.group("low"), match.group("high")), amount_value(match.group("high"))
                if low is not None and high is not None:
                    stated["min"], stated["max"] = min(low, high), max(low, high)
            elif bound != "none" and (value := amount_value(match.group("amount"))) is not None:
                stated[bound] = value
            return BOUNDARY

        return replace

    for bound, pattern in patterns.prices:
        text = pattern.sub(take(bound), text)
    low, high = stated.get("min"), stated.get("max")
    if low is not None and high is not None and low > high:
        low, high = high, low

    shown_prices = [price for price in shown_prices if price is not None]
    shown_median = statistics.median(shown_prices) if shown_prices else None
    pricier_floor = quantiles.get(75)
    if shown_median is not None and (pricier_floor is None or shown_median > pricier_floor):
        pricier_floor = shown_median
    worded: dict[str, float] = {}
    for bound, value, pattern in (
        ("max", quantiles.get(25), patterns.cheap_negated),
        ("max", shown_median if shown_median is not None else quantiles.get(25), patterns.cheaper),
        ("min", pricier_floor, patterns.pricier),
        ("max", quantiles.get(25), patterns.cheap),
        ("min", quantiles.get(75), patterns.expensive),
    ):
        if pattern.search(text):
            text = pattern.sub(BOUNDARY, text)
            if value is not None:
                worded.setdefault(bound, float(value))
    # A worded bound only fills a bound left unset, and only if it agrees with the other one.
    if low is None and "min" in worded and (high is None or worded["min"] <= high):
        low = worded["min"]
    if high is None and "max" in worded and (low is None or worded["max"] >= low):
        high = worded["max"]
    return low, high, text


# A number not naming a product: anything but a size or a count of parts ("size 4", "a 3 tier cakestand"; a pack's
# count, "4-pack", is a measure, ``longtail.serving.measures``, already out of the text).
COUNT_NUMBER = re.compile(
    r"(?<!\bsize )(?<!\bsz )\b\d+\b(?!(?: |-)(?:tiers?|ply|pieces?|pcs?|seaters?|drawers?|layers?)\b)"
)


# What a thing comes in or is counted by names no aisle: "a bag of potatoes" was the trash bags aisle. Not a bottle:
# "a bottle of red" is wine.
CONTAINER_OF = re.compile(
    r"\b(?:bags?|box(?:es)?|jars?|cans?|tins?|cartons?|tubs?|packets?|packs?|cases?|jugs?|sacks?|crates?|"
    r"bunch(?:es)?|loaf|loaves|heads?|sticks?|tubes?|rolls?|bars?|blocks?|punnets?|trays?|pouch(?:es)?|dozen|"
    r"gallons?|pints?|quarts?|litres?|liters?|pounds?|lbs?|kilos?|ounces?|cups?) of\b"
)


def without_counts(text: str) -> str:
    """``text`` without the numbers that name no product (``COUNT_NUMBER``): a shopper's numbers are mostly ages,
    years and how many they need ("my wife turns 50", "party bags for 20 kids"), and as words they matched PACK OF 50
    and PACK OF 20 at random."""
    return " ".join(COUNT_NUMBER.sub(" ", text).split())


def take_novelty(text: str) -> tuple[str | None, str]:
    """("tail" | "any" | None, text without the phrases): the last popularity phrase wins."""
    novelty = None
    for match in patterns.novelty.finditer(text):
        novelty = "tail" if match.group("tail") else "any"
    return novelty, patterns.novelty.sub(BOUNDARY, text)


def take_exclusions(text: str) -> tuple[list[str], str]:
    """The words ruled out ("no candles", "without nuts or chocolate", "nothing with nuts"), singular, and the
    text without the exclusion phrases. A negation of something that is not an object ("not sure", "no idea",
    "no, I meant") rules nothing out and stays in the text."""
    excluded, pieces, last = [], [], 0
    for trigger in patterns.exclude_trigger.finditer(text):
        if trigger.start() < last:
            continue
        tokens = list(re.finditer(r"[a-z0-9][a-z0-9'\-]*|\S", text[trigger.end() :]))
        phrases, phrase, end, i = [], [], None, 0
        while i < len(tokens) and tokens[i].group(0) in EXCLUDE_SKIP:
            i += 1
        if i < len(tokens) and tokens[i].group(0) in EXCLUDE_NOT_OBJECTS:
            continue
        listing = False
        while i < len(tokens):
            token, word = tokens[i], tokens[i].group(0)
            i += 1
            if singular(word) in EXCLUDE_TRAILING or (phrase and word in EXCLUDE_DESCRIBING):
                end = token.end()
                break
            following = [later.group(0) for later in tokens[i : i + 3]]
            rest = _compound_rest(phrase, following) if word in {"and", "&"} else []
            if rest:  # "no cheese and onion": one flavour
                phrase += ["and", *rest]
                i += len(rest)
                end = tokens[i - 1].end()
                continue
            if word in {"or", "and", "nor", ",", "&"} and phrase:
                phrases.append(phrase)
                phrase, listing = [], True
                continue
            if listing and not phrase and word in EXCLUDE_LIST_ENDS:
                # "no chocolate, some cookies": what follows the list is wanted, not ruled out.
                break
            if word in EXCLUDE_SKIP and not phrase:
                continue
            if not word[0].isalnum() or word in EXCLUDE_STOP or len(phrase) == 3:
                break
            phrase.append(word)
            end = token.end()
        phrases.append(phrase)
        phrases = [" ".join(singular(word) for word in phrase) for phrase in phrases if phrase]
        if not phrases:
            continue
        excluded.extend(phrases)
        pieces.append(text[last : trigger.start()])
        last = trigger.end() + end
    pieces.append(text[last:])
    return excluded, BOUNDARY.join(pieces)


def _compound_rest(phrase: list[str], following: list[str]) -> list[str]:
    """The words after an "and" that, with the end of ``phrase``, make a phrase of ``EXCLUDE_COMPOUNDS`` ("cheese" and
    ["onion", ...] -> ["onion"]); [] when none does."""
    for compound in EXCLUDE_COMPOUNDS:
        head, rest = (part.split() for part in compound.split(" and "))
        ends_with_head = [singular(word) for word in phrase[-len(head) :]] == [singular(word) for word in head]
        if ends_with_head and [singular(word) for word in following[: len(rest)]] == [singular(word) for word in rest]:
            return following[: len(rest)]
    return []


def take_named_item(text: str, find_item: Callable[[str], str | None]) -> tuple[str | None, str, str]:
    """(item id, the words naming it, text without them) for "like the regency cakestand", "anything like
    marmite" or "have you got the zinc police box lantern", when ``find_item`` knows the phrase. Not after "a" or
    "some" ("something like a candle"); one word without "the" only after a plain comparison ("similar to",
    "anything like", "like" opening the message: "kids like dinosaurs" compares nothing), and after a question about
    stock only "the ..." of two words or more. Wording on the item is part of its name ("the bottle that says so
    poorly")."""
    position = 0
    while (match := patterns.named_item.search(text, position)) is not None:
        # The next search starts after this trigger, so that a comparison inside a question about stock gets its
        # turn ("have you got anything like that dads cab electronic meter").
        position = match.end("trigger")
        before = [word for word in text[: match.start()].split() if word != BOUNDARY.strip()]
        plain_like = match.group("trigger").startswith("like")
        if plain_like and before and before[-1] in LIKE_SUBJECTS:
            continue
        # The phrase group stops at punctuation and removed phrases; a clause word ends the item's name, and "and"
        # or "with" do unless only the longer phrase names an item.
        longest = patterns.name_end.split(match.group("phrase"))[0].rstrip()
        for name in dict.fromkeys((patterns.name_joint.split(longest)[0].rstrip(), longest)):
            phrase = " ".join(patterns.wording.sub(" ", name).split())
            if not phrase or phrase.split()[0] in ("a", "an", "some", "any"):
                break
            if not match.group("determiner") and len(phrase.split()) < 2 and plain_like and before:
                break
            # A question about stock names an item only as "the ..." of two words or more: "do you have peanut
            # butter" asks for a kind, "do you have the same in blue" for no item.
            if match.group("ask") and (not match.group("determiner") or len(phrase.split()) < 2):
                continue
            item_id = find_item(phrase)
            if item_id is not None:
                start = match.start("phrase")
                return item_id, phrase, text[: match.start()] + BOUNDARY + text[start + len(name) :]
    return None, "", text


def asks_about_price(query: str) -> bool:
    """Whether ``query`` names a price or a price word ("under £5", "a £10 gift", "cheaper", "posh"): where the shop
    lists no prices, the assistant must say that it cannot meet it rather than answer as if it had."""
    text = normalised(query)
    worded = (patterns.cheap_negated, patterns.cheaper, patterns.pricier, patterns.cheap, patterns.expensive)
    return any(pattern.search(text) for _, pattern in patterns.prices) or any(p.search(text) for p in worded)


def compares_price_with_shown(query: str) -> bool:
    """Whether ``query`` asks for cheaper or pricier than the items shown ("cheaper", "anything a bit posher?"): the
    shopper has seen those items and asks for others."""
    text = normalised(query)
    return bool(patterns.cheaper.search(text) or patterns.pricier.search(text))


def asks_for_others(query: str) -> bool:
    """Whether ``query`` asks for other items than those shown ("show me more", "anything else?"), as the next page
    of a shop's search would show them."""
    return bool(patterns.others.search(normalised(query)))
