"""What the shop assistant shows a shopper who says who a thing is for with words that name no product: an age
("stocking fillers for my 14 year old", "formula for my 3 month old") or a present's phrase ("stocking fillers",
"secret santa"). Every parsing-set query (``longtail/serving/parsing_set*.jsonl``) of the served shops that says
either, answered for an anonymous shopper over the current snapshot, with the record's previous turn where it has one.

    LONGTAIL_HOME=~/.longtail .venv/bin/python bench/recipient_answers.py [--k 5]
    # the answers as a careful reader would judge them (query and item titles only), as JSONL
    LONGTAIL_HOME=~/.longtail .venv/bin/python bench/recipient_answers.py --draw /tmp/recipient --label after
    # score judged answers (``docs/labels/recipient_answers.jsonl``): the share of items that fit the query, and the
    # paired difference of each system to the first with a 95% bootstrap interval over queries
    .venv/bin/python bench/recipient_answers.py --labels docs/labels/recipient_answers.jsonl

Per parsing set (development or held out): the queries, and the share of the answers' items whose title holds a
word that only those phrases put in the query (``PHRASE_WORDS``, or the age's number): a count, not a judgement.
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

from longtail.serving.occasions import AGE_PHRASE

PRESENT_PHRASE = re.compile(r"\bstocking (?:fillers?|stuffers?)\b|\bchristmas stockings?\b|\bsecret santa\b")
PHRASE_WORDS = frozenset("old year years month months yo stocking stockings filler fillers stuffer stuffers secret "
                         "santa".split())  # fmt: skip


def says_recipient(query: str) -> bool:
    text = query.lower()
    return bool(AGE_PHRASE.search(text) or PRESENT_PHRASE.search(text))


def report(answered) -> None:
    print(f"{'split':8} {'queries':>7} {'phrase-word share':>20}")
    for split in ("dev", "heldout"):
        mine = [record for record in answered if record["split"] == split]
        leaked = total = 0
        for record in mine:
            ages = {match.group(0).split()[0].split("-")[0] for match in AGE_PHRASE.finditer(record["query"].lower())}
            for card in record["items"]:
                title_words = set(re.findall(r"[a-z0-9]+", card["title"].lower()))
                leaked += bool(title_words & (PHRASE_WORDS | {re.sub(r"\D", "", age) for age in ages}))
                total += 1
        print(f"{split:8} {len(mine):>7} {share(leaked, total):>20}  ({leaked} of {total} items)")


def main() -> None:
    parser = judging_parser(__doc__, "answers")
    args = parser.parse_args()
    if args.labels:
        score_fits_per_query(args.labels)
        return
    shops = current_shops()
    answered = answer_records(shops, parsing_records(shops, lambda record: says_recipient(record["query"])), args.k)
    report(answered)
    if args.draw:
        draw_answers(answered, args.draw, args.label)


if __name__ == "__main__":
    main()
