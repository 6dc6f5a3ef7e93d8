"""The occasions and recipients a shopper names, for the query parser (``longtail.serving.query``): the fixed
vocabulary ``OCCASIONS``, the shopper words that stand for its values, and ``occasions_in``, which also reads ages
("my 7 year old") and numbered birthdays ("his 80th"). Text is lower-cased, with straight apostrophes."""

from __future__ import annotations

import re

OCCASIONS = (
    "birthday", "christmas", "wedding", "anniversary", "valentine", "easter", "halloween", "party", "baby shower",
    "housewarming", "retirement", "gift", "mum", "dad", "kid", "baby", "teacher", "friend", "wife", "husband",
    "girlfriend", "boyfriend", "grandma", "grandad", "colleague", "teenager",
)  # fmt: skip
# Shopper words -> the occasion or recipient word they stand for (OCCASIONS also stand for themselves).
_OCCASION_SYNONYMS = {
    "birthdays": "birthday", "bday": "birthday", "b-day": "birthday", "xmas": "christmas", "x-mas": "christmas",
    "weddings": "wedding", "anniversaries": "anniversary", "valentines": "valentine", "valentine's": "valentine",
    "parties": "party", "house warming": "housewarming", "new home": "housewarming", "retiring": "retirement",
    "gifts": "gift", "present": "gift", "presents": "gift", "pressie": "gift", "pressies": "gift",
    "prezzie": "gift", "prezzies": "gift", "mother": "mum", "mothers": "mum", "mother's": "mum", "mom": "mum",
    "mum's": "mum", "mums": "mum", "mummy": "mum", "mommy": "mum", "moms": "mum", "father": "dad", "fathers": "dad",
    "father's": "dad", "dad's": "dad", "dads": "dad", "daddy": "dad", "child": "kid", "children": "kid",
    "kids": "kid", "son": "kid", "sons": "kid", "daughter": "kid", "daughters": "kid", "grandkid": "kid",
    "grandkids": "kid", "grandchild": "kid", "grandchildren": "kid", "grandson": "kid", "grandsons": "kid",
    "granddaughter": "kid", "granddaughters": "kid", "toddler": "kid", "toddlers": "kid", "babies": "baby",
    "newborn": "baby", "newborns": "baby", "teachers": "teacher", "friends": "friend", "bestie": "friend",
    "best mate": "friend", "best mates": "friend", "bff": "friend", "wives": "wife", "husbands": "husband",
    "hubby": "husband", "girlfriends": "girlfriend", "boyfriends": "boyfriend", "granny": "grandma",
    "grandmother": "grandma", "nan": "grandma", "nana": "grandma", "nanna": "grandma", "gran": "grandma",
    "grandmas": "grandma", "grandpa": "grandad", "grandfather": "grandad", "granddad": "grandad",
    "grandads": "grandad", "colleagues": "colleague", "coworker": "colleague", "coworkers": "colleague",
    "co-worker": "colleague", "co-workers": "colleague", "workmate": "colleague", "workmates": "colleague",
    "teen": "teenager", "teens": "teenager", "teenagers": "teenager", "teenage": "teenager",
    "little boy": "kid", "little girl": "kid", "little one": "kid", "little ones": "kid", "my mate": "friend",
    "my mates": "friend", "retired": "retirement", "wedding anniversary": "anniversary",
    **{f"{whose} {kids}": "kid" for whose in ("my", "our", "my two", "our two", "my three", "our three", "my twin",
                                              "our twin") for kids in ("boys", "girls")},
}  # fmt: skip
# Shopper words -> the occasion words they stand for: each word of OCCASIONS and its synonyms, and the phrases that
# name two at once (a stocking filler is a christmas gift).
OCCASION_WORDS: dict[str, tuple[str, ...]] = {
    **{word: (word,) for word in OCCASIONS},
    **{word: (occasion,) for word, occasion in _OCCASION_SYNONYMS.items()},
    **{
        phrase: ("christmas", "gift")
        for phrase in (
            "stocking filler",
            "stocking fillers",
            "stocking stuffer",
            "stocking stuffers",
            "christmas stocking",
            "secret santa",
        )
    },
}
# The recipients among OCCASIONS: in "my daughter's teacher" only the last one named is the recipient.
RECIPIENTS = frozenset(OCCASIONS[OCCASIONS.index("mum") :])
OCCASION_PATTERN = re.compile(
    r"(?<![\w-])(?:" + "|".join(re.escape(w) for w in sorted(OCCASION_WORDS, key=len, reverse=True)) + r")(?![\w-])"
)
_RECIPIENT_WORDS = "|".join(
    re.escape(word)
    for word in sorted(OCCASION_WORDS, key=len, reverse=True)
    if set(OCCASION_WORDS[word]) <= RECIPIENTS and not word.endswith("'s")
)
# A recipient's own word ("a horse-mad teen"): where it alone names the category (Teen), ``longtail.serving.query``
# reads the category from the other words first, since what the recipient is into names the shelf better.
RECIPIENT_PATTERN = re.compile(rf"(?<![\w-])(?:{_RECIPIENT_WORDS})(?![\w-])")
# Whose recipient it is, in "my kid's teacher": the owner is neither a recipient (``occasions_in``) nor a category
# (no Children's magazines for the teacher).
# Phrases that start with a recipient's word but name an occasion ("baby shower"): no recipient follows the owner.
_OTHER_PHRASES = "|".join(
    re.escape(word) for word in OCCASION_WORDS if " " in word and not set(OCCASION_WORDS[word]) <= RECIPIENTS
)
RECIPIENT_OWNER = re.compile(
    rf"(?<![\w-])(?:{_RECIPIENT_WORDS})'s (?=(?:[a-z]+ )?(?!(?:{_OTHER_PHRASES})(?![\w-]))(?:{_RECIPIENT_WORDS})"
    r"(?![\w-]))"
)
# Ages in words, as shoppers type them after "turns" or "who's" ("my godson turns three").
AGE_WORDS = {
    word: number
    for number, word in enumerate(
        "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
        "eighteen nineteen".split(),
        start=1,
    )
}
_STATED = rf"(?:\d{{1,2}}|{'|'.join(AGE_WORDS)})"
# An ordinal birthday: "his 40th", "grandad's 80th", but not "their 25th anniversary" nor "my 2nd choice".
_ORDINAL_BIRTHDAY = (
    r"(?:'s|\b(?:his|her|their|my|your|our)) (?P<ordinal>\d{1,3})(?:st|nd|rd|th)\b(?! (?:anniversary|wedding|one|"
    r"item|option|result|choice|pick))"
)
# A child's or teenager's age ("my 7 year old", "a 14-year-old", "my nephew who's 17", "my 3 month old", "turns
# three", "my son's 18th"), read by ``occasions_in``; a bare number after "who's" only when no money unit follows it.
AGE_PATTERN = re.compile(
    r"\b(?P<months>\d{1,2})[- ]?months?[- ]old\b|"
    r"\b(?P<age>\d{1,2})[- ]?(?:years?|yrs?)[- ]old\b|\b(?P<yo>\d{1,2}) ?yo\b|\b(?:aged|who(?:'s| is)|(?:he|she)(?:'s| "
    rf"is)|turning|turns) (?P<stated>{_STATED})\b(?![.,]\d| ?(?:%|p\b|pence|quid|pounds?|bucks?))|{_ORDINAL_BIRTHDAY}"
)
_DAYS = "(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
# A numbered birthday: an ordinal one, "my wife turns 50", "my nan's 90 next month", "he's 70 on saturday".
NUMBERED_BIRTHDAY = re.compile(
    rf"{_ORDINAL_BIRTHDAY}|\bturn(?:s|ing)? (?:\d{{1,3}}|{'|'.join(AGE_WORDS)})\b(?! ?(?:%|p\b|pence|quid|pounds?))|"
    rf"(?:'s|\b(?:he|she) is) \d{{1,3}} (?=(?:(?:next|this) (?:week|month|year|weekend|{_DAYS})|on {_DAYS}|"
    r"tomorrow|soon)\b)"
)


# A son or daughter whose age is given ("my daughter who's 15", "my teenage son", "my 3 year old grandson"): the age,
# not the family word, says who they are, so the word is no ``kid`` of its own.
AGED_RELATIVE = re.compile(
    r"(?:(?<=\bteenage )|(?<=\bteen )|(?<=\bold ))(?:son|daughter|grandson|granddaughter|boy|girl)s?\b|"
    r"\b(?:son|daughter|grandson|granddaughter)s?\b(?=,? (?:who(?:'s| is)|aged|turning|turns) \d|'s \d{1,2}(?:st|nd|"
    r"rd|th)\b)"
)


def ages_in(text: str) -> list[float]:
    """The ages ``text`` states, in years ("my 7 year old" -> 7, "my 3 month old" -> 0.25)."""
    ages = []
    for match in AGE_PATTERN.finditer(text):
        months = match.group("months")
        years = match.group("age") or match.group("yo") or match.group("stated") or match.group("ordinal")
        ages.append(int(months) / 12 if months else AGE_WORDS.get(years) or int(years))
    return ages


def occasions_in(text: str) -> tuple[str, ...]:
    """The occasion words ``text`` names: its words of ``OCCASION_WORDS``, an age ("my 7 year old" -> kid, a
    newborn's 0 or 1 -> baby, "who's 17" -> teenager, none from 20; a son or daughter whose age is given is only
    that age's value) and a numbered birthday ("grandad's 80th"). Of two recipients joined by a possessive only the
    second is one ("my daughter's teacher" -> teacher); a friend or colleague beside a baby is the baby's parent, no
    recipient."""
    named = AGED_RELATIVE.sub(" ", RECIPIENT_OWNER.sub(" ", text))
    found = [value for match in OCCASION_PATTERN.finditer(named) for value in OCCASION_WORDS[match.group(0)]]
    for age in ages_in(text):
        found.extend(("baby",) if age < 2 else ("kid",) if age <= 12 else ("teenager",) if age <= 19 else ())
    if NUMBERED_BIRTHDAY.search(text):
        found.append("birthday")
    if "baby" in found:  # a gift for a friend's newborn is for the baby, not the friend
        found = [value for value in found if value not in ("friend", "colleague")]
    return tuple(found)
