"""What the shop assistant shows for queries whose free words hold a function word that BM25's English stop list
(bm25s's 33 words) keeps: "who", "her", "his", "its", "what" ("something for my wife who loves yoga" matched titles
by "who", "a gift for someone who has everything" DR WHO TOP TRUMPS). Every parsing-set query
(``longtail/serving/parsing_set*.jsonl``) of the served shops whose words, less chat filler, hold one of
``FUNCTION_WORDS`` as BM25 reads them, answered for an anonymous shopper over the current snapshot, with the record's
previous turn where it has one.

    LONGTAIL_HOME=~/.longtail .venv/bin/python bench/function_word_answers.py [--k 5]
    # the answers as a careful reader would judge them (query and item titles only), as JSONL
    LONGTAIL_HOME=~/.longtail .venv/bin/python bench/function_word_answers.py --draw /tmp/function --label after
    # score judged answers (``docs/labels/function_word_answers.jsonl``): the share of items that fit the query, and
    # the paired difference of each system to the first with a 95% bootstrap interval over queries
    .venv/bin/python bench/function_word_answers.py --labels docs/labels/function_word_answers.jsonl

Per parsing set (development or held out): the queries, and the share of the answers' items whose "matches your
words" reason names one of those words: a count, not a judgement.
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

from longtail.serving.lexical import QUERY_STOP_WORDS as FUNCTION_WORDS
from longtail.serving.query_words import CHAT_FILLER


def holds_function_word(query: str) -> bool:
    """Whether a word of ``query`` that is no chat filler reads as one of ``FUNCTION_WORDS`` to BM25 ("what's" as
    "what")."""
    words = re.findall(r"[a-z0-9]+(?:'[a-z]+)?", query.lower())
    return any(word.split("'")[0] in FUNCTION_WORDS for word in words if word not in CHAT_FILLER)


def report(answered) -> None:
    print(f"{'split':8} {'queries':>7} {'matched by them':>18}")
    for split in ("dev", "heldout"):
        mine = [record for record in answered if record["split"] == split]
        cards = [card for record in mine for card in record["items"]]
        matched = sum(
            any(
                reason.startswith("matches your words: ") and set(reason[20:].split(", ")) & FUNCTION_WORDS
                for reason in card["reasons"]
            )
            for card in cards
        )
        print(f"{split:8} {len(mine):>7} {share(matched, len(cards)):>18}  ({matched} of {len(cards)} items)")


def main() -> None:
    parser = judging_parser(__doc__, "answers")
    args = parser.parse_args()
    if args.labels:
        score_fits_per_query(args.labels)
        return
    shops = current_shops()
    records = parsing_records(shops, lambda record: holds_function_word(record["query"]))
    answered = answer_records(shops, records, args.k)
    report(answered)
    if args.draw:
        draw_answers(answered, args.draw, args.label)


if __name__ == "__main__":
    main()
