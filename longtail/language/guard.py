"""Checks that a generated product text states only what the item's facts say.

A small language model invents numbers, sizes, brands and materials, and review text fed into its prompt can carry
injected instructions. ``find_violations`` lists every such finding in a text; ``guard_output`` repairs a generated
description and ad copy by dropping the sentences with findings, or rejects them. Reasons (``REASONS``) are stable
names, for counting:

- ``invented_number``: a number (digits, "2.50", "1,299", "50%", "3rd", or a number word "two" to "twelve") that
  does not occur in the facts. Numbers compare by value: "2.50" == "2.5", "1,299" == "1299", and a currency symbol
  or unit beside it does not matter ("£2.55" matches a price of 2.55).
- ``invented_size``: a measure (number + unit: "10 cm", "500ml", '12"', "2 kg") or a clothing size ("XL", "2XL",
  "size 10") that is not in the facts. Units compare by canonical name ("cm" == "centimetres").
- ``invented_brand``: a brand of some item (``known_brands``) that is not in this item's facts, or a token that
  looks like a proper noun and is not in the facts (see ``suspected_brand``).
- ``invented_material``: a material from ``MATERIALS`` ("cotton", "stainless steel", "leather", ...) not in the facts.
- ``invented_review``: the text cites reviews or reviewers ("Reviewers find it ...") while the facts hold no review
  highlights.
- ``url``, ``email``, ``phone``, ``html``, ``handle`` (a social media "@name" or "#tag"): never allowed in generated
  text.
- ``injected_instruction``: text that addresses the model or the reader as instructions ("ignore previous
  instructions", "visit our website", "click here", ...), the sign of an injection through review text.
- ``empty``: the description was blank, or too short to show, before any repair (an output that gets too short
  by repair is rejected under the reasons of the dropped sentences).

Words compare after lower-casing and a crude singular ("leathers" == "leather", "batteries" == "battery"), over all
facts of the item: title, category, brand, price, features, attributes, the review figures
(``longtail.language.facts.review_summary``) and review highlights.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from longtail.language.facts import MIN_DESCRIPTION_CHARS, ItemFacts, review_summary
from longtail.language.unsafe_text import EMAIL, HANDLE, HTML, INJECTED_INSTRUCTION, PHONE, URL, is_phone_number

REASONS = (
    "invented_number",
    "invented_size",
    "invented_brand",
    "invented_material",
    "invented_review",
    "url",
    "email",
    "phone",
    "html",
    "handle",
    "injected_instruction",
    "empty",
)
# Reasons after which no part of the output can be trusted: the model followed instructions from review text.
UNREPAIRABLE_REASONS = frozenset({"injected_instruction"})
# Zipf frequency (log10 of occurrences per billion words, wordfreq's scale) from which a word counts as common
# English: 3.0 is about once per million words ("insightful" 3.0, "monthly" 4.0, "nike" 3.9, "hearst" 3.1).
COMMON_WORD_ZIPF = 3.0
# Mid-sentence, a capitalised word is more likely a name, so it must be more common to pass ("Nike" is flagged there,
# "London" and "John" still pass; the known-brand list catches catalogue brands whatever their frequency).
COMMON_CAPITALISED_WORD_ZIPF = 4.5

MATERIALS = (
    "stainless steel", "sterling silver", "faux leather", "faux fur", "memory foam", "solid wood", "cast iron",
    "cotton", "polyester", "nylon", "wool", "merino", "silk", "linen", "leather", "suede", "denim", "cashmere",
    "velvet", "satin", "lace", "fleece", "spandex", "lycra", "elastane", "rayon", "viscose", "acrylic", "canvas",
    "jute", "hemp", "bamboo", "rattan", "wicker", "wood", "oak", "pine", "walnut", "mahogany", "teak",
    "steel", "iron", "aluminium", "aluminum", "brass", "copper", "bronze", "zinc", "chrome", "pewter", "titanium",
    "gold", "silver", "platinum", "plastic", "polypropylene", "pvc", "vinyl", "rubber", "silicone", "latex", "foam",
    "resin", "glass", "crystal", "ceramic", "porcelain", "stoneware", "earthenware", "marble", "granite", "slate",
    "enamel", "paper", "cardboard", "fur", "feather",
)  # fmt: skip
# Adjective forms that name the same material.
_MATERIAL_FORMS = {"wooden": "wood", "woollen": "wool", "woolen": "wool", "golden": "gold", "glassy": "glass"}

_UNITS = {
    "mm": "mm", "millimetre": "mm", "millimeter": "mm",
    "cm": "cm", "centimetre": "cm", "centimeter": "cm",
    "m": "m", "metre": "m", "meter": "m",
    "inch": "in", "inches": "in", '"': "in",
    "ft": "ft", "foot": "ft", "feet": "ft",
    "ml": "ml", "millilitre": "ml", "milliliter": "ml",
    "l": "l", "litre": "l", "liter": "l", "ltr": "l",
    "fl oz": "fl oz", "oz": "oz", "ounce": "oz",
    "g": "g", "gram": "g", "gramme": "g", "kg": "kg", "kilo": "kg", "kilogram": "kg",
    "lb": "lb", "lbs": "lb", "pound": "lb",
    "mah": "mah", "w": "w", "watt": "w", "v": "v", "volt": "v", "gb": "gb", "tb": "tb",
    "pc": "pc", "pcs": "pc", "piece": "pc", "pack": "pack", "ct": "ct", "count": "ct",
}  # fmt: skip
# The units without their inner spaces, as _MEASURE matches them with or without: "fl oz" and "floz".
_COMPACT_UNITS = {unit.replace(" ", ""): name for unit, name in _UNITS.items()}
_NUMBER_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12,
}  # fmt: skip

_NUMBER = r"\d+(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
# Longest first, so that "fl oz" wins over "oz"; spelled-out units also match in the plural ("inches", "grams").
_UNIT_ALTERNATION = "|".join(
    re.escape(unit).replace(r"\ ", r"\s?") + ("s?" if unit.isalpha() and len(unit) > 2 else "")
    for unit in sorted(_UNITS, key=len, reverse=True)
)
_MEASURE = re.compile(rf"(?<![\w.])({_NUMBER})\s?(?:-\s?)?({_UNIT_ALTERNATION})(?![\w])", re.IGNORECASE)
_CLOTHING_SIZE = re.compile(r"\b(?:[2-5]?X{1,3}[SL]|XS|size\s+(?:\d+|[SML]))\b", re.IGNORECASE)
_NUMBER_TOKEN = re.compile(rf"(?<![\w.])({_NUMBER})(?:st|nd|rd|th)?(?![\w]|\.\d)", re.IGNORECASE)
_REVIEW_CLAIM = re.compile(
    r"\b(?:reviewers?|reviews|customers|buyers|users)\s+(?:say|says|said|find|finds|found|praise|praises|call|calls"
    r"|love|loves|agree|rave|note|notes|mention|mentions)\b|\breviewers?\s*:",
    re.IGNORECASE,
)
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]")
_SENTENCE_OPENER = re.compile(r"[:;\"“(]\s*$")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class Violation:
    """One finding: ``reason`` (one of ``REASONS``), the offending ``text`` and its ``start``/``end`` offsets."""

    reason: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class GuardResult:
    """What may be shown: ``description`` and ``ad_copy`` ("" when rejected or when every ad sentence had to go),
    ``accepted`` (the description is usable), ``repaired`` (sentences were dropped), and ``reasons``: the sorted
    distinct reasons found in the raw output, whether repaired or rejected."""

    description: str
    ad_copy: str
    accepted: bool
    repaired: bool
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Grounding:
    """What the facts of one item allow: normalised words, phrase text, numbers, measures, clothing sizes, the digits
    of phone-like codes, and whether there are reviews to cite."""

    words: frozenset[str]
    text: str
    numbers: frozenset[Decimal]
    measures: frozenset[tuple[Decimal, str]]
    clothing_sizes: frozenset[str]
    phone_digits: frozenset[str]
    has_reviews: bool


def find_violations(text: str, facts: ItemFacts, known_brands: Iterable[str] = ()) -> list[Violation]:
    """Every finding in ``text`` against ``facts`` (a ``longtail.language.facts.ItemFacts``), ordered by position.

    ``known_brands`` are the brands of all items of the catalogue (e.g. ``known_brands(all_facts)`` from
    ``longtail.language.facts``); one that is not part of this item's facts is ``invented_brand``. A span is reported
    once, under the first reason that claims it, most severe and most specific first (an injected "visit
    www.x.com" is ``injected_instruction``; a measure is ``invented_size``, not also ``invented_number``).
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    return _violations(text, _grounding(facts), tuple(known_brands))


def _violations(text: str, grounding: _Grounding, known_brands: tuple[str, ...]) -> list[Violation]:
    """``find_violations`` with the facts already digested, so that a text checked sentence by sentence digests
    them once."""
    found: list[Violation] = []
    taken: list[tuple[int, int]] = []

    def claim(reason: str | None, start: int, end: int) -> None:
        """Report ``text[start:end]`` under ``reason`` unless an earlier finding covers it; ``None`` only
        reserves the span (a grounded measure, whose number must not be reported again)."""
        if any(start < other_end and other_start < end for other_start, other_end in taken):
            return
        taken.append((start, end))
        if reason is not None:
            found.append(Violation(reason, text[start:end], start, end))

    for reason, pattern in (
        ("injected_instruction", INJECTED_INSTRUCTION), ("email", EMAIL), ("url", URL), ("html", HTML),
        ("handle", HANDLE), ("phone", PHONE),
    ):  # fmt: skip
        for match in pattern.finditer(text):
            if reason != "phone":
                claim(reason, *match.span())
            elif is_phone_number(match.group(0)) and _digits(match.group(0)) not in grounding.phone_digits:
                # A phone-like run the facts hold is a product code ("PS #5129732"), not a contact.
                claim(reason, *match.span())
    if not grounding.has_reviews:
        for match in _REVIEW_CLAIM.finditer(text):
            claim("invented_review", *match.span())
    for match in _MEASURE.finditer(text):
        grounded = (_number_value(match.group(1)), _unit(match.group(2))) in grounding.measures
        claim(None if grounded else "invented_size", *match.span())
    for match in _CLOTHING_SIZE.finditer(text):
        grounded = _normalise_size(match.group(0)) in grounding.clothing_sizes
        claim(None if grounded else "invented_size", *match.span())
    for match in _NUMBER_TOKEN.finditer(text):
        if _number_value(match.group(1)) not in grounding.numbers:
            claim("invented_number", *match.span())
    for match in _NUMBER_WORD.finditer(text):
        if Decimal(_NUMBER_WORDS[match.group(1).lower()]) not in grounding.numbers:
            claim("invented_number", *match.span())
    for match in _brand_pattern(known_brands).finditer(text):
        if _normalise_phrase(match.group(0)) not in grounding.text:
            claim("invented_brand", *match.span())
    for match in _material_pattern().finditer(text):
        material = _MATERIAL_FORMS.get(match.group(0).lower(), match.group(0))
        if not any(_normalise_phrase(form) in grounding.text for form in (match.group(0), material)):
            claim("invented_material", *match.span())
    for word, start, sentence_start in _words_with_position(text):
        if not _is_grounded_word(word, grounding) and suspected_brand(word, sentence_start):
            claim("invented_brand", start, start + len(word))
    return sorted(found, key=lambda violation: violation.start)


# Pure, and asked of the same words over and over (every grounded text of a catalogue repeats its category words).
@lru_cache(maxsize=1 << 16)
def suspected_brand(word: str, sentence_start: bool = False) -> bool:
    """Whether ``word`` looks like a brand or other proper noun, by its shape and how common it is in English.

    The rule, since no list holds every brand: a word with a capital inside ("iPhone", "PlayStation") is suspected;
    so is a capitalised word whose lower-case form is rarer than ``COMMON_WORD_ZIPF`` in English (wordfreq), or,
    when it is not the first word of a sentence (nor in a title-cased sentence), rarer than
    ``COMMON_CAPITALISED_WORD_ZIPF``. Lower-case words are never suspected. All-capital words of two or more
    letters are judged like capitalised ones ("NEW" passes, "ACME" does not). The caller exempts words that occur
    in the item's facts.
    """
    from wordfreq import zipf_frequency

    letters = word.replace("'", "").replace("’", "").replace("-", "")
    if not letters or not letters[0].isupper():
        return bool(re.search(r"[a-z][A-Z]", letters))
    if re.search(r"[a-z][A-Z]", letters):
        return True
    threshold = COMMON_WORD_ZIPF if sentence_start else COMMON_CAPITALISED_WORD_ZIPF
    return all(zipf_frequency(part, "en") < threshold for part in word.lower().split("-") if part)


def guard_output(description: str, ad_copy: str, facts: ItemFacts, known_brands: Iterable[str] = ()) -> GuardResult:
    """Repair or reject one generated ``description`` and ``ad_copy`` for ``facts``.

    Each sentence with a finding is dropped (a repair). The whole output is rejected, with both texts "", when a
    finding is ``injected_instruction`` (nothing from a hijacked generation is kept) or when less than
    ``MIN_DESCRIPTION_CHARS`` characters of description remain (reason ``empty`` is added when the raw
    description had no finding, i.e. it was blank or too short to start with). The ad copy may end up "" while
    the description is accepted.
    """
    grounding, known_brands = _grounding(facts), tuple(known_brands)
    kept_description, description_reasons = _drop_bad_sentences(description, grounding, known_brands)
    kept_ad, ad_reasons = _drop_bad_sentences(ad_copy, grounding, known_brands)
    reasons = description_reasons | ad_reasons
    if reasons & UNREPAIRABLE_REASONS:
        return GuardResult("", "", accepted=False, repaired=False, reasons=sorted(reasons))
    if len(kept_description) < MIN_DESCRIPTION_CHARS:
        if not description_reasons:
            reasons.add("empty")
        return GuardResult("", "", accepted=False, repaired=False, reasons=sorted(reasons))
    return GuardResult(kept_description, kept_ad, accepted=True, repaired=bool(reasons), reasons=sorted(reasons))


def is_unsafe(text: str) -> bool:
    """Whether ``text`` holds something no fact can ground: markup, a URL, an e-mail address or an injected
    instruction. Phone numbers are not among them: a product code looks like one ("PS #5129732"), and only the
    item's facts can tell them apart (``find_violations`` does)."""
    # These four come first in ``_violations`` and only claim spans from each other, so any match of one is a
    # finding of one of them; searching them alone spares the facts-based checks, most of the time of a full pass.
    return any(pattern.search(text) for pattern in (INJECTED_INSTRUCTION, EMAIL, URL, HTML))


def _drop_bad_sentences(text: str, grounding: _Grounding, known_brands: tuple[str, ...]) -> tuple[str, set[str]]:
    """``text`` without its sentences that have findings, and the reasons found."""
    kept, reasons = [], set()
    for _, sentence in _sentences(text):
        violations = _violations(sentence, grounding, known_brands)
        reasons.update(violation.reason for violation in violations)
        if not violations:
            kept.append(sentence.strip())
    return " ".join(kept), reasons


def _grounding(facts: ItemFacts) -> _Grounding:
    parts = [facts.title, facts.category, facts.brand, *facts.features]
    parts += [*facts.attributes.keys(), *facts.attributes.values(), review_summary(facts), *facts.review_highlights]
    if facts.price is not None:
        parts.append(f"{facts.price:.2f}")
    text = " \n ".join(str(part) for part in parts if part)
    numbers = {_number_value(match.group(1)) for match in _NUMBER_TOKEN.finditer(text)}
    numbers |= {_number_value(match.group(1)) for match in _MEASURE.finditer(text)}
    numbers |= {Decimal(_NUMBER_WORDS[match.group(1).lower()]) for match in _NUMBER_WORD.finditer(text)}
    return _Grounding(
        words=frozenset(_normalise_word(word) for word in _WORD.findall(text)),
        # Hyphenated words also as their parts: "Latex-Free" grounds "latex".
        text=_normalise_phrase(text) + _normalise_phrase(text.replace("-", " ")),
        numbers=frozenset(numbers),
        measures=frozenset((_number_value(m.group(1)), _unit(m.group(2))) for m in _MEASURE.finditer(text)),
        clothing_sizes=frozenset(_normalise_size(m.group(0)) for m in _CLOTHING_SIZE.finditer(text)),
        phone_digits=frozenset(_digits(match.group(0)) for match in PHONE.finditer(text)),
        has_reviews=bool(facts.review_count or facts.review_highlights),
    )


def _number_value(text: str) -> Decimal:
    """ "1,299.50" -> Decimal("1299.5"): thousands separators dropped, trailing zeros removed."""
    try:
        return Decimal(text.replace(",", "")).normalize()
    except InvalidOperation as error:
        raise ValueError(f"not a number: {text!r}") from error


def _unit(text: str) -> str:
    """The canonical name of a unit as matched ("fl oz", "floz" and "FL OZ" are all "fl oz")."""
    unit = "".join(text.lower().split())
    return _COMPACT_UNITS.get(unit) or _COMPACT_UNITS[unit.removesuffix("s")]


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _normalise_size(text: str) -> str:
    return " ".join(text.upper().split())


@lru_cache(maxsize=1 << 16)
def _normalise_word(word: str) -> str:
    """Lower case, crude singular: "Batteries" -> "battery", "glasses" -> "glass", "issues" -> "issue"."""
    word = word.lower().replace("’", "'").removesuffix("'s")
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _normalise_phrase(text: str) -> str:
    """Words normalised and joined by single spaces, with spaces around, so that " phrase " tests a whole phrase."""
    return " " + " ".join(_normalise_word(word) for word in _WORD.findall(text)) + " "


def _is_grounded_word(word: str, grounding: _Grounding) -> bool:
    return all(_normalise_word(part) in grounding.words for part in _WORD.findall(word))


def _sentences(text: str) -> Iterable[tuple[int, str]]:
    """``(start, sentence)`` for each sentence of ``text``: the pieces between a ".", "!" or "?" followed by space,
    and line breaks. The guard drops and the checks judge capitals by these same pieces, so that checking the
    accepted text again finds what checking it sentence by sentence found."""
    start = 0
    for brk in [*_SENTENCE_BREAK.finditer(text), None]:
        end = brk.start() if brk else len(text)
        if text[start:end].strip():
            yield start, text[start:end]
        start = brk.end() if brk else end


def _words_with_position(text: str) -> Iterable[tuple[str, int, bool]]:
    """``(word, start, sentence_start)`` for each word of ``text``; ``sentence_start`` is also true in a
    title-cased sentence ("Stay Informed Every Month"), where capitals say nothing about names."""
    for offset, sentence in _sentences(text):
        words = list(_WORD.finditer(sentence))
        title_cased = len(words) >= 3 and sum(word.group(0)[0].isupper() for word in words) >= 0.6 * len(words)
        previous_end = 0
        for word in words:
            before = sentence[previous_end : word.start()]
            sentence_start = title_cased or previous_end == 0 or bool(_SENTENCE_OPENER.search(before))
            previous_end = word.end()
            yield word.group(0), offset + word.start(), sentence_start


@lru_cache(maxsize=8)
def _brand_pattern(brands: tuple[str, ...]) -> re.Pattern:
    """One case-insensitive pattern for the distinctive ``brands``: a one-word brand that is a common English
    word ("Time", "Vibe") would match ordinary text, so it is left to the proper-noun rule."""
    from wordfreq import zipf_frequency

    distinctive = set()
    for brand in brands:
        if not isinstance(brand, str):
            raise TypeError(f"known_brands must be strings, got {type(brand).__name__}")
        words = _WORD.findall(brand)
        if len(words) > 1 or (words and zipf_frequency(words[0].lower(), "en") < COMMON_CAPITALISED_WORD_ZIPF):
            distinctive.add(" ".join(brand.split()))
    if not distinctive:
        return re.compile(r"(?!x)x")
    ordered = sorted(distinctive, key=len, reverse=True)
    alternation = "|".join(re.escape(brand).replace(r"\ ", r"\s+") for brand in ordered)
    return re.compile(rf"(?<!\w)(?:{alternation})(?!\w)", re.IGNORECASE)


@lru_cache(maxsize=1)
def _material_pattern() -> re.Pattern:
    names = sorted([*MATERIALS, *_MATERIAL_FORMS], key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(name).replace(r"\ ", r"\s+") for name in names) + r")s?\b", re.I)
