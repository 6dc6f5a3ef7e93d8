"""What the shop assistant shows a shopper who asks for the popular ("most popular coffee", "show me your
bestsellers") or the unusual ("hidden gems", "something quirky for a teenager"): every query of the parsing sets
(``longtail/serving/parsing_set*.jsonl``) whose expected parse asks for either, answered for an anonymous shopper
over the current snapshot, with the record's previous turn where it has one.

    LONGTAIL_HOME=~/.longtail .venv/bin/python bench/novelty_answers.py [--k 5]
    # the answers as a careful reader would judge them (query and item titles only), as TSV and JSONL
    LONGTAIL_HOME=~/.longtail .venv/bin/python bench/novelty_answers.py --draw /tmp/novelty --label after
    # score judged answers (``docs/labels/novelty_answers.jsonl``): the share of items that fit the query
    .venv/bin/python bench/novelty_answers.py --labels docs/labels/novelty_answers.jsonl

Per shop, novelty asked and parsing set (development or held out): the queries, the median over queries of the
median buyers of an answer's items, the share of the answers' items in the shop's tail, and the share in its
bestsellers (the items of the top 1% by buyers).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from served import (  # noqa: E402
    answer_records,
    append_draw,
    current_shops,
    judging_parser,
    parsing_records,
    read_labels,
    share,
)

BESTSELLER_SHARE = 0.01


def report(shops, answered) -> None:
    print(f"{'shop':22} {'asked':6} {'split':8} {'queries':>7} {'median buyers':>13} {'tail share':>18} "
          f"{'bestseller share':>18}")  # fmt: skip
    groups = sorted({(r["dataset"], r["expected"]["novelty"], r["split"]) for r in answered})
    for shop, novelty, split in groups:
        index = shops[shop]
        bestseller_floor = np.quantile(index.buyers, 1 - BESTSELLER_SHARE)
        mine = [r for r in answered if (r["dataset"], r["expected"]["novelty"], r["split"]) == (shop, novelty, split)]
        medians, n_tail, n_best, n_items = [], 0, 0, 0
        for record in mine:
            rows = [index.position[card["item_id"]] for card in record["items"]]
            if rows:
                medians.append(float(np.median(index.buyers[rows])))
            n_tail += int(index.is_tail[rows].sum())
            n_best += int((index.buyers[rows] >= bestseller_floor).sum())
            n_items += len(rows)
        print(
            f"{shop:22} {novelty:6} {split:8} {len(mine):>7} {np.median(medians):>13.1f} "
            f"{share(n_tail, n_items):>18} {share(n_best, n_items):>18}"
        )


def draw(answered, shops, out: Path, label: str) -> None:
    """The answers' (query, item) pairs as full records tagged ``label``, appended to any earlier draw in ``out``."""
    records = []
    for record in answered:
        index = shops[record["dataset"]]
        for rank, card in enumerate(record["items"], start=1):
            row = index.position[card["item_id"]]
            records.append({
                "system": label, "dataset": record["dataset"], "id": record["id"], "split": record["split"],
                "novelty": record["expected"]["novelty"], "query": record["query"], "rank": rank,
                "item_id": card["item_id"], "item": card["title"], "category": index.categories[row],
                "buyers": int(index.buyers[row]), "is_tail": bool(index.is_tail[row]),
            })  # fmt: skip
    append_draw(out, records, f"answers of {label!r}")


def score(labels: Path) -> None:
    """Per parsing set, novelty asked and system: the share of the answers' items judged to fit the query, and the
    median buyers of the items (the popular asked for: the higher the better; the unusual: the lower)."""
    records = read_labels(labels)
    systems = list(dict.fromkeys(r["system"] for r in records))
    for split in ("dev", "heldout"):
        for novelty in ("any", "tail"):
            print(f"{split} set, asked for {'the popular' if novelty == 'any' else 'the unusual'}")
            for system in systems:
                mine = [r for r in records if (r["split"], r["novelty"], r["system"]) == (split, novelty, system)]
                fits = sum(r["fits"] for r in mine)
                print(f"  {system:12} {fits}/{len(mine)} = {share(fits, len(mine))} fit the query; median buyers "
                      f"{np.median([r['buyers'] for r in mine]):.0f}")  # fmt: skip


def main() -> None:
    parser = judging_parser(__doc__, "answers")
    args = parser.parse_args()
    if args.labels:
        score(args.labels)
        return
    shops = current_shops()
    records = parsing_records(shops, lambda record: bool(record.get("expected", {}).get("novelty")))
    answered = answer_records(shops, records, args.k)
    report(shops, answered)
    if args.draw:
        draw(answered, shops, args.draw, args.label)


if __name__ == "__main__":
    main()
