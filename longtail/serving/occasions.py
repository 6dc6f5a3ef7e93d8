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
    "at work": "colleague", "from work": "colleague", "my team": "colleague", "our team": "colleague",
    "teen": "teenager", "teens": "teenager", "teenagers": "teenager", "teenage": "teenager",
    "little boy": "kid", "little girl": "kid", "little one": "kid", "little ones": "kid", "my mate": "friend",
    "my mates": "friend", "retired": "retirement", "wedding anniversary": "anniversary",
    **{f"{whose} {kids}": "kid" for whose in ("my", "our", "my two", "our two", "my three", "our three", "my twin",
                                              "our twin") for kids in ("boys", "girls")},
}  # fmt: skip
# Phrases for a christmas present that name no product (a stocking filler is no stocking).
_CHRISTMAS_PRESENTS = ("stocking filler", "stocking fillers", "stocking stuffer", "stocking stuffers", "secret santa")
# Shopper words -> the occasion words they stand for: each word of OCCASIONS and its synonyms, and the phrases that
# name two at once (a stocking filler is a christmas gift; so is what goes in a christmas stocking, which is also a
# product the shop may sell).
OCCASION_WORDS: dict[str, tuple[str, ...]] = {
    **{word: (word,) for word in OCCASIONS},
    **{word: (occasion,) for word, occasion in _OCCASION_SYNONYMS.items()},
    **{phrase: ("christmas", "gift") for phrase in (*_CHRISTMAS_PRESENTS, "christmas stocking")},
}
# The shopper's words for a present that name no product ("gift", "pressies", "stocking fillers"), longest first.
_GIFT_PHRASES = re.compile(
    r"(?<![\w-])(?:"
    + "|".join(
        re.escape(phrase)
        for phrase in sorted(
            [*(word for word, meaning in OCCASION_WORDS.items() if meaning == ("gift",)), *_CHRISTMAS_PRESENTS],
            key=len,
            reverse=True,
        )
    )
    + r")(?![\w-])"
)


def without_gift_words(text: str) -> str:
    """``text`` (lower case) less the words for a present that name no product ("gift", "stocking fillers", "secret
    santa"): matched, "a gift for my teacher" found the shop's gift wrap, tags and bags, "stocking fillers" its
    Christmas stockings and "secret santa" its Santa decorations. "Christmas stocking" stays: it is a product too."""
    return " ".join(_GIFT_PHRASES.sub(" ", text).split())


# The noun of an occasion's name that names the event, no product: "shower" of "baby shower", "day" of "mother's
# day" (group ``noun``; the rest of the name stays).
EVENT_NOUN = re.compile(
    r"\bbaby (?P<noun>showers?)\b|\b(?:mother|father|valentine|mum|mom|dad)(?:'s|s)? (?P<day>day)\b"
)


def without_event_nouns(text: str) -> str:
    """``text`` (lower case) less the nouns of ``EVENT_NOUN``: matched, "baby shower" found the shop's shower caps and
    shower cleaners, and "mother's day" its WEDDING DAY cards."""
    return " ".join(EVENT_NOUN.sub(lambda match: match.group(0).rsplit(" ", 1)[0], text).split())


# What goes with a present rather than being one: a greeting card, wrapping, an empty gift bag or tag, ribbon (a
# title's words; "TEA SET IN GIFT BOX" is a present, "PLAYING CARDS" too).
ACCOMPANIMENT = re.compile(
    r"\b(?:card|wrap|wrapping|gift (?:tags?|bags?|boxes|tape)|ribbons?|tissue paper)\b", re.IGNORECASE
)


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
# Whose recipient (or pet) it is, in "my kid's teacher": the owner is neither a recipient (``occasions_in``) nor a
# category (no Children's magazines for the teacher).
# Phrases that start with a recipient's word but name an occasion ("baby shower"): no recipient follows the owner.
_OTHER_PHRASES = "|".join(
    re.escape(word) for word in OCCASION_WORDS if " " in word and not set(OCCASION_WORDS[word]) <= RECIPIENTS
)
# A pet's owner is no recipient either: "treats for my mum's new puppy" are for the puppy.
_PETS = (
    r"pupp(?:y|ies)|pups?|dogs?|cats?|kittens?|pets?|hamsters?|rabbits?|bunn(?:y|ies)|guinea pigs?|horses?|ponies|"
    r"pony|budgies?|parrots?|tortoises?"
)
RECIPIENT_OWNER = re.compile(
    rf"(?<![\w-])(?:{_RECIPIENT_WORDS})'s (?=(?:[a-z]+ )?(?:(?!(?:{_OTHER_PHRASES})(?![\w-]))(?:{_RECIPIENT_WORDS})|"
    rf"{_PETS})(?![\w-]))"
)
# People of the shopper's life who are no recipient of OCCASIONS ("my big brother", "my boss's leaving do", "my
# flatmate"): their words name no product ("big" of "her big brother" matched BIG PINK POODLE), but brands keep theirs
# (Aunt Jemima, Uncle Ben's).
PERSON = re.compile(
    r"\b(?:(?:big|little|baby|older|younger|twin|step)[- ])?(?:sisters?|brothers?|sis|bro|nephews?|nieces?|cousins?|"
    r"aunts|aunties|auntie|aunty|uncles|boss|neighbou?rs?|godsons?|goddaughters?|godchild(?:ren)?|flatmates?|"
    r"roommates?|housemates?|(?:aunt|uncle)(?! (?:jemima|bens?|ben's)\b))(?:'s)?\b"
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
# The ages said with "old" or "yo" ("my 7 year old", "a 14-year-old", "my 3 month old"), whose words name no product.
_AGE_SAID = (
    r"\b(?P<weeks>\d{1,2})[- ]?weeks?[- ]old\b|\b(?P<months>\d{1,2})[- ]?months?[- ]old\b|"
    r"\b(?P<age>\d{1,2})[- ]?(?:years?|yrs?)[- ]old\b|\b(?P<yo>\d{1,2}) ?yo\b"
)
AGE_PHRASE = re.compile(_AGE_SAID)
# A child's or teenager's age (those, and "my nephew who's 17", "turns three", "my son's 18th"), read by
# ``occasions_in``; a bare number after "who's" only when no money unit follows it.
_HE_IS = r"(?:he|she)(?:'s| is)(?: actually| now| just| only| nearly| almost)?"
_CHILDREN = "son|daughter|grandson|granddaughter|boy|girl|kid|child"  # "my daughter's 15"
_NO_AGE_AFTER = r"(?![.,]\d| ?(?:%|p\b|pence|quid|pounds?|bucks?|months?|weeks?))"  # a price, or months said after
AGE_PATTERN = re.compile(
    rf"{_AGE_SAID}|\b(?:aged|who(?:'s| is)|{_HE_IS}|turning|turns) (?P<stated>{_STATED})\b{_NO_AGE_AFTER}|"
    rf"\b{_HE_IS} (?P<stated_months>\d{{1,2}}) months?\b|{_ORDINAL_BIRTHDAY}|"
    rf"\b(?:{_CHILDREN})'s (?P<childs>\d{{1,2}})\b{_NO_AGE_AFTER}"
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
    rf"\b(?:son|daughter|grandson|granddaughter|little one)s?\b(?=,? (?:who(?:'s| is)|aged|turning|turns|{_HE_IS}) \d|"
    r"'s \d{1,2}(?:st|nd|rd|th)?\b)"
)


def ages_in(text: str) -> list[float]:
    """The ages ``text`` states, in years ("my 7 year old" -> 7, "my 3 month old" -> 0.25)."""
    ages = []
    for match in AGE_PATTERN.finditer(text):
        weeks, months = match.group("weeks"), match.group("months") or match.group("stated_months")
        years = match.group("age") or match.group("yo") or match.group("stated") or match.group("ordinal")
        years = years or match.group("childs")
        ages.append(int(weeks) / 52 if weeks else int(months) / 12 if months else AGE_WORDS.get(years) or int(years))
    return ages


def age_recipient(age: float) -> str | None:
    """The occasion word for a recipient of ``age`` years: a newborn's 0 or 1 -> baby, to 12 -> kid, to 19 ->
    teenager, none from 20."""
    return "baby" if age < 2 else "kid" if age <= 12 else "teenager" if age <= 19 else None


def with_ages_as_recipients(text: str) -> str:
    """``text`` with each "N year old", "N yo" or "N month old" read as its recipient (``age_recipient``; dropped from
    20): as words, "a shampoo for my 15 year old" matched Old Spice and "stocking fillers for my 14 year old" an OLD
    DOC RUSSEL METAL SIGN and a 14-inch fan."""

    def recipient(match: re.Match) -> str:
        weeks, months, years = match.group("weeks"), match.group("months"), match.group("age") or match.group("yo")
        return age_recipient(int(weeks) / 52 if weeks else int(months) / 12 if months else int(years)) or " "

    return " ".join(AGE_PHRASE.sub(recipient, text).split())


def occasions_in(text: str) -> tuple[str, ...]:
    """The occasion words ``text`` names: its words of ``OCCASION_WORDS``, an age ("my 7 year old" -> kid, a
    newborn's 0 or 1 -> baby, "who's 17" -> teenager, none from 20; a son or daughter whose age is given is only
    that age's value) and a numbered birthday ("grandad's 80th"). Of two recipients joined by a possessive only the
    second is one ("my daughter's teacher" -> teacher); a friend or colleague beside a baby is the baby's parent, no
    recipient."""
    named = AGED_RELATIVE.sub(" ", RECIPIENT_OWNER.sub(" ", text))
    found = [value for match in OCCASION_PATTERN.finditer(named) for value in OCCASION_WORDS[match.group(0)]]
    found.extend(recipient for recipient in map(age_recipient, ages_in(text)) if recipient)
    if NUMBERED_BIRTHDAY.search(text):
        found.append("birthday")
    if "baby" in found:  # a gift for a friend's newborn is for the baby, not the friend
        found = [value for value in found if value not in ("friend", "colleague")]
    return tuple(found)


# Words that add a later turn's recipient to the previous ones ("and one for her sister too", "my dad as well").
_JOINING = re.compile(r"\b(?:too|as well|also|both)\b")


def replaced_recipients(previous: tuple[str, ...], named: tuple[str, ...], text: str) -> set[str]:
    """The recipients of ``previous`` (the last turn's occasion words) that a later turn shops for no longer: all of
    them but those it names again, when its ``text`` names recipients (``named``, its occasion words) without adding
    them ("ok and for my dad?" after a present for mum: it is for dad, and mum's words matched BEST MUM items); none
    when it names no recipient or adds one ("my dad too")."""
    if not set(named) & RECIPIENTS or _JOINING.search(text):
        return set()
    return set(previous) & RECIPIENTS - set(named)
