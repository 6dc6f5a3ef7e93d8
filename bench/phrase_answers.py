"""What the shop assistant shows for queries whose words name no product but were matched as if they did, by
``--phrases`` kind, over every parsing-set query (``longtail/serving/parsing_set*.jsonl``) of the served shops that
holds them, answered for an anonymous shopper over the current snapshot, with the record's previous turn where it
has one:

- ``recipient``: an age said with "old" or "yo" ("stocking fillers for my 14 year old") or a christmas present's
  phrase ("stocking fillers", "secret santa");
- ``function-words``: a function word that BM25's English stop list (bm25s's 33 words) keeps ("who", "her", "its",
  "what's"; ``longtail.serving.lexical.QUERY_STOP_WORDS``);
- ``event-nouns``: the noun of an occasion's name that names the event ("shower" of "baby shower", "day" of "mother's
  day"; ``longtail.serving.occasions.EVENT_NOUN``);
- ``chat``: a word of chat or of a phrase about the conversation or a shown item ("ooh", "tbh", "keep it under £4",
  "the fifth one is lovely", "on second thoughts", "price doesn't really matter": ``CHAT_FILLER`` and
  ``patterns.no_product``, ``switch`` and ``any_price`` of ``longtail.serving.query_words``);
- ``when``: a phrase of when or a present's size said as a hedge ("he's 70 next week", "after 30 years", "a little
  something"; ``patterns.when``);
- ``numbers``: a number that is no size or count of parts, nor a price or a shown item's position ("my wife turns
  50", "party bags for 20 kids"; ``longtail.serving.query_phrases.COUNT_NUMBER``);
- ``owners``: whose recipient it is ("daughter's" of "my daughter's teacher"; ``RECIPIENT_OWNER`` of
  ``longtail.serving.occasions``);
- ``persons``: a person who is no recipient of the vocabulary ("my big brother", "my boss's leaving do";
  ``PERSON`` of ``longtail.serving.occasions``);
- ``shop-names``: a name of a thing that a shop's titles may call by another (``BRITISH_AMERICAN`` of
  ``longtail.serving.shopper_synonyms``: "crisps", "nappies", "courgettes"), which the assistant adds to the search.

    LONGTAIL_HOME=~/.longtail .venv/bin/python bench/phrase_answers.py --phrases recipient [--k 5]
    # the answers as a careful reader would judge them (query and item titles only), as JSONL
    LONGTAIL_HOME=~/.longtail .venv/bin/python bench/phrase_answers.py --phrases recipient --draw /tmp/r --label after
    # score judged answers (``docs/labels/recipient_answers.jsonl``, ``docs/labels/function_word_answers.jsonl``,
    # ``docs/labels/event_noun_answers.jsonl``): the share of items that fit the query, and the paired difference of
    # each system to the first with a 95% bootstrap interval over queries
    .venv/bin/python bench/phrase_answers.py --labels docs/labels/recipient_answers.jsonl

Per parsing set (development or held out): the queries, and the share of the answers' items whose "matches your
words" reason names one of the words those phrases put in the query: a count, not a judgement.
"""

from __future__ import annotations

import re

from served import (
    answer_records,
    current_shops,
    draw_answers,
    judging_parser,
    parsing_records,
    score_fits_per_query,
    share,
)

from longtail.serving.lexical import QUERY_STOP_WORDS
from longtail.serving.occasions import AGE_PHRASE, EVENT_NOUN, PERSON, RECIPIENT_OWNER
from longtail.serving.query_phrases import COUNT_NUMBER
from longtail.serving.query_words import CHAT_FILLER, patterns
from longtail.serving.shopper_synonyms import BRITISH_AMERICAN
from longtail.serving.vocabulary import singular

PRESENT_PHRASE = re.compile(r"\bstocking (?:fillers?|stuffers?)\b|\bchristmas stockings?\b|\bsecret santa\b")
REASON = "matches your words: "
# The numbers of a price or of a shown item's position, which the parser reads before the free text.
_AMOUNT = r"(?:[£$€]\s?\d+(?:\.\d+)?|\d+(?:\.\d+)?\s?(?:p|pence|quid|pounds?|dollars?|bucks?)\b)"
PRICE_OR_POSITION = re.compile(
    rf"{_AMOUNT}|\d+(?:\.\d+)?\s*(?:-|to|and)\s*(?={_AMOUNT})|#\s?\d+|\bno\.?\s?\d+|\bnumber \d+"
)


def recipient_words(query: str) -> set[str]:
    """The words an age said with "old" ("14", "year", "old") or a present's phrase put in ``query``."""
    found = set()
    for match in [*AGE_PHRASE.finditer(query), *PRESENT_PHRASE.finditer(query)]:
        found |= set(re.findall(r"[a-z]+|\d+", match.group(0)))
    return found


def function_words(query: str) -> set[str]:
    """The words of ``query``, less chat filler, that BM25 reads as one of ``QUERY_STOP_WORDS`` ("what's": "what")."""
    words = re.findall(r"[a-z0-9]+(?:'[a-z]+)?", query)
    return {word.split("'")[0] for word in words if word not in CHAT_FILLER} & QUERY_STOP_WORDS


def event_nouns(query: str) -> set[str]:
    return {match.group("noun") or match.group("day") for match in EVENT_NOUN.finditer(query)}


def matched_words(query: str, *phrases: re.Pattern) -> set[str]:
    """The words of every match of ``phrases`` in ``query``."""
    return {word for phrase in phrases for match in phrase.finditer(query) for word in re.findall(r"[a-z]+", match[0])}


def chat_words(query: str) -> set[str]:
    """The words of ``query`` that are chat filler, or that a phrase about the conversation or a shown item holds."""
    filler = {word for word in re.findall(r"[a-z]+(?:'[a-z]+)?", query) if word in CHAT_FILLER}
    return filler | matched_words(query, patterns.no_product, patterns.switch, patterns.any_price)


def when_words(query: str) -> set[str]:
    return matched_words(query, patterns.when)


def owner_words(query: str) -> set[str]:
    """The words of whose recipient it is ("daughter's" of "my daughter's teacher": ``RECIPIENT_OWNER``)."""
    return matched_words(query, RECIPIENT_OWNER)


def person_words(query: str) -> set[str]:
    """The words of a person who is no recipient of the vocabulary ("big brother", "boss's": ``PERSON``)."""
    return matched_words(query, PERSON)


def numbers(query: str) -> set[str]:
    """The numbers of ``query`` that name no product (``COUNT_NUMBER``), less those of prices and positions."""
    return {match.group(0) for match in COUNT_NUMBER.finditer(PRICE_OR_POSITION.sub(" ", query))}


def shop_names(query: str) -> set[str]:
    """The names of ``BRITISH_AMERICAN`` that ``query`` holds, compared by singular words ("nappies": "nappy")."""
    held = f" {' '.join(singular(word) for word in re.findall(r'[a-z]+', query))} "
    return {name for pair in BRITISH_AMERICAN for name in pair if f" {name} " in held}


PHRASES = {
    "recipient": recipient_words,
    "function-words": function_words,
    "event-nouns": event_nouns,
    "numbers": numbers,
    "chat": chat_words,
    "when": when_words,
    "owners": owner_words,
    "persons": person_words,
    "shop-names": shop_names,
}


def report(answered, words) -> None:
    print(f"{'split':8} {'queries':>7} {'matched by the words':>22}")
    for split in ("dev", "heldout"):
        mine = [record for record in answered if record["split"] == split]
        matched = total = 0
        for record in mine:
            leaked = words(record["query"].lower())
            for card in record["items"]:
                reasons = [
                    set(reason[len(REASON) :].split(", ")) for reason in card["reasons"] if reason.startswith(REASON)
                ]
                matched += any(found & leaked for found in reasons)
                total += 1
        print(f"{split:8} {len(mine):>7} {share(matched, total):>22}  ({matched} of {total} items)")


def main() -> None:
    parser = judging_parser(__doc__, "answers")
    parser.add_argument("--phrases", choices=sorted(PHRASES), default="recipient")
    args = parser.parse_args()
    if args.labels:
        score_fits_per_query(args.labels)
        return
    shops = current_shops()
    words = PHRASES[args.phrases]
    answered = answer_records(
        shops, parsing_records(shops, lambda record: bool(words(record["query"].lower()))), args.k
    )
    report(answered, words)
    if args.draw:
        draw_answers(answered, args.draw, args.label)


if __name__ == "__main__":
    main()
