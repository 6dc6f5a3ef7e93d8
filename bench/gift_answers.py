"""What the shop assistant shows a shopper who asks for a present ("a thank you gift for my son's teacher",
"housewarming present for my sister"): every query of the parsing sets (``longtail/serving/parsing_set*.jsonl``)
of a shop whose expected parse names the ``gift`` occasion, answered for an anonymous shopper over the current
snapshot, with the record's previous turn where it has one. ``--occasions other`` takes instead the queries whose
expected parse names an occasion or a person but not ``gift`` ("something for my sister's birthday", "halloween
sweets").

    LONGTAIL_HOME=~/.longtail .venv/bin/python bench/gift_answers.py [--shop uci_online_retail_ii] [--k 5]
    # the answers as a careful reader would judge them (query and item titles only), as JSONL
    LONGTAIL_HOME=~/.longtail .venv/bin/python bench/gift_answers.py --draw /tmp/gift --label after
    # score judged answers (``docs/labels/gift_answers.jsonl``): the share of items that fit the query, and the
    # paired difference of each system to the first with a 95% bootstrap interval over queries
    .venv/bin/python bench/gift_answers.py --labels docs/labels/gift_answers.jsonl

Per parsing set (development or held out): the queries, and the shares of the answers' items whose title names gift
wrapping rather than a present (``WRAPPING``: gift wrap, tape, tags, bags, boxes sold empty, ribbon) and a greeting
card (``GREETING_CARD``).
"""

from __future__ import annotations

import re

import served
from served import share

# Titles of what wraps a present rather than being one, in Online Retail's catalogue (a count, not a judgement):
# "TEA SET IN GIFT BOX" is a present, "PACK OF 6 PANNETONE GIFT BOXES" wrapping.
WRAPPING = re.compile(r"\bGIFT (?:TAPE|BAGS?|WRAP|TAGS?|BOXES)\b|\bWRAP\b|\bRIBBONS?\b")
# A greeting card ("ROBOT BIRTHDAY CARD", "CARD WEDDING DAY"), not a pack of them for crafts ("3D KIT CARDS").
GREETING_CARD = re.compile(r"\bCARD\b")


def report(answered) -> None:
    print(f"{'split':8} {'queries':>7} {'wrapping share':>18} {'greeting card share':>20}")
    for split in ("dev", "heldout"):
        mine = [record for record in answered if record["split"] == split]
        titles = [card["title"] for record in mine for card in record["items"]]
        wrapping = sum(bool(WRAPPING.search(title)) for title in titles)
        cards = sum(bool(GREETING_CARD.search(title)) for title in titles)
        print(f"{split:8} {len(mine):>7} {share(wrapping, len(titles)):>18} {share(cards, len(titles)):>20}  "
              f"({wrapping} and {cards} of {len(titles)} items)")  # fmt: skip


def main() -> None:
    parser = served.judging_parser(__doc__, "answers")
    parser.add_argument("--shop", default="uci_online_retail_ii")
    parser.add_argument("--occasions", choices=("gift", "other"), default="gift")
    args = parser.parse_args()
    if args.labels:
        served.score_fits_per_query(args.labels)
        return
    shops = {name: index for name, index in served.current_shops().items() if name == args.shop}

    def wanted(occasions: list[str]) -> bool:
        return "gift" in occasions if args.occasions == "gift" else bool(occasions) and "gift" not in occasions

    records = served.parsing_records(shops, lambda record: wanted(record.get("expected", {}).get("occasion", [])))
    answered = served.answer_records(shops, records, args.k)
    report(answered)
    if args.draw:
        served.draw_answers(answered, args.draw, args.label)


if __name__ == "__main__":
    main()
