"""What the shop assistant shows a shopper who asks for a present ("a thank you gift for my son's teacher",
"housewarming present for my sister"): every query of the parsing sets (``longtail/serving/parsing_set*.jsonl``)
of a shop whose expected parse names the ``gift`` occasion, answered for an anonymous shopper over the current
snapshot, with the record's previous turn where it has one.

    LONGTAIL_HOME=~/.longtail .venv/bin/python bench/gift_answers.py [--shop uci_online_retail_ii] [--k 5]
    # the answers as a careful reader would judge them (query and item titles only), as JSONL
    LONGTAIL_HOME=~/.longtail .venv/bin/python bench/gift_answers.py --draw /tmp/gift --label after
    # score judged answers (``docs/labels/gift_answers.jsonl``): the share of items that fit the query, and the
    # paired difference of each system to the first with a 95% bootstrap interval over queries
    .venv/bin/python bench/gift_answers.py --labels docs/labels/gift_answers.jsonl

Per parsing set (development or held out): the queries, and the share of the answers' items whose title names gift
wrapping rather than a present (``WRAPPING``: gift wrap, tape, tags, bags, boxes sold empty, ribbon).
"""

from __future__ import annotations

import random
import re

from served import answer_records, append_draw, current_shops, judging_parser, parsing_records, read_labels, share

# Titles of what wraps a present rather than being one, in Online Retail's catalogue (a count, not a judgement):
# "TEA SET IN GIFT BOX" is a present, "PACK OF 6 PANNETONE GIFT BOXES" wrapping.
WRAPPING = re.compile(r"\bGIFT (?:TAPE|BAGS?|WRAP|TAGS?|BOXES)\b|\bWRAP\b|\bRIBBONS?\b")
BOOTSTRAP_DRAWS = 5000


def report(answered) -> None:
    print(f"{'split':8} {'queries':>7} {'wrapping share':>18}")
    for split in ("dev", "heldout"):
        mine = [record for record in answered if record["split"] == split]
        titles = [card["title"] for record in mine for card in record["items"]]
        wrapping = sum(bool(WRAPPING.search(title)) for title in titles)
        print(f"{split:8} {len(mine):>7} {share(wrapping, len(titles)):>18}  ({wrapping} of {len(titles)} items)")


def draw(answered, out, label: str) -> None:
    records = [
        {"system": label, "dataset": record["dataset"], "id": record["id"], "split": record["split"],
         "query": record["query"], "rank": rank, "item_id": card["item_id"], "item": card["title"]}
        for record in answered
        for rank, card in enumerate(record["items"], start=1)
    ]  # fmt: skip
    append_draw(out, records, f"answers of {label!r}")


def score(labels) -> None:
    """Per parsing set and system: the share of items judged to fit the query, and each system's paired difference
    to the first system's share (per query, then resampled over queries)."""
    records = read_labels(labels)
    systems = list(dict.fromkeys(r["system"] for r in records))
    for split in ("dev", "heldout", None):
        mine = [r for r in records if split is None or r["split"] == split]
        print(f"{split or 'both'} sets")
        fits = {system: {} for system in systems}
        for r in mine:
            fits[r["system"]].setdefault(r["id"], []).append(r["fits"])
        for system in systems:
            shown = [fit for query in fits[system].values() for fit in query]
            line = f"  {system:8} {sum(shown)}/{len(shown)} = {share(sum(shown), len(shown))} fit the query"
            if system != systems[0]:
                queries = sorted(fits[system])
                gains = [
                    (sum(fits[system][q]) - sum(fits[systems[0]][q])) / len(fits[system][q]) for q in queries
                ]  # fmt: skip
                rng = random.Random(0)
                means = sorted(
                    sum(rng.choice(gains) for _ in gains) / len(gains) for _ in range(BOOTSTRAP_DRAWS)
                )  # fmt: skip
                low, high = means[int(0.025 * BOOTSTRAP_DRAWS)], means[int(0.975 * BOOTSTRAP_DRAWS) - 1]
                line += f"; paired difference {sum(gains) / len(gains):+.3f} ({low:+.3f} to {high:+.3f})"
            print(line)


def main() -> None:
    parser = judging_parser(__doc__, "answers")
    parser.add_argument("--shop", default="uci_online_retail_ii")
    args = parser.parse_args()
    if args.labels:
        score(args.labels)
        return
    shops = {name: index for name, index in current_shops().items() if name == args.shop}
    records = parsing_records(shops, lambda record: "gift" in record.get("expected", {}).get("occasion", []))
    answered = answer_records(shops, records, args.k)
    report(answered)
    if args.draw:
        draw(answered, args.draw, args.label)


if __name__ == "__main__":
    main()
