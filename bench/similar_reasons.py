"""Is "similar to X, which you bought" true? The shop assistant's reason, judged by a careful reader, as it was shown
before the similarity floor (every answer named the closest of the shopper's items) and at the floor's percentiles.

    LONGTAIL_HOME=~/.longtail .venv/bin/python bench/similar_reasons.py
    # draw a new set of shown reasons to judge (pairs as TSV without the similarity, and the full records as JSONL)
    LONGTAIL_HOME=~/.longtail .venv/bin/python bench/similar_reasons.py --draw 70 --out /tmp/to_judge

Judgements: ``docs/labels/similar_reasons.jsonl``, 210 (item, bought item) pairs, 70 per shop, each labelled 1
(similar) or 0 under ``docs/labels/similar_reasons_rubric.md`` by a judge who saw the two titles and the kind of shop
only. The floor's rule (``similar_floor``: the 99th percentile of the shop's random pairs) was fixed before
the labels were read; the other percentiles are the trade-off curve, not a choice made on this set.

The lists' set (``docs/labels/list_similar_reasons.jsonl``, drawn with ``--lists-of WAREHOUSE``) and the similar-items
panels' set (``docs/labels/panel_similar_reasons.jsonl``, drawn with ``--panels``) are scored with ``--labels``.

Per percentile and shop: the reasons still shown, their precision (share judged similar) and the share of the
judged-similar reasons kept, with 95% Wilson intervals. The pairs' similarity is recomputed from the snapshot's
vectors, so the figures hold for the snapshot read; a pair whose items it lacks is skipped and counted.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from served import current_shops  # noqa: E402

from longtail.recommend.explanations import SIMILAR_PAIR_PERCENTILE, similar_floor  # noqa: E402
from longtail.serving.lists import similar_items  # noqa: E402
from longtail.stats import wilson_interval  # noqa: E402

LABELS = ROOT / "docs" / "labels" / "similar_reasons.jsonl"
PERCENTILES = (None, 90.0, 95.0, SIMILAR_PAIR_PERCENTILE, 99.5)
SHOP_KINDS = {
    "uci_online_retail_ii": "UK gift and homeware wholesaler",
    "instacart_sample": "grocery",
    "amazon2018_magazine": "magazine subscriptions",
    "amazon2018_reviews_5core": "beauty and fashion (items named by what their reviews mention)",
}


def share(hits: int, total: int) -> str:
    low, high = wilson_interval(hits, total)
    return f"{hits}/{total} = {hits / max(total, 1):.2f} ({float(low):.2f}-{float(high):.2f})"


def score(shops, labels: Path = LABELS) -> None:
    records = [json.loads(line) for line in labels.read_text().splitlines()]
    rows = []
    for record in records:
        index = shops.get(record["dataset"])
        if index is None or index.vectors is None:
            continue
        item, bought = index.position.get(record["item_id"]), index.position.get(record["bought_item_id"])
        if item is not None and bought is not None:
            rows.append((record["dataset"], float(index.vectors[item] @ index.vectors[bought]), record["similar"] == 1))
    print(f"{len(rows)} of {len(records)} judged pairs found in the snapshot")
    for percentile in PERCENTILES:
        floors = {name: -np.inf if percentile is None else similar_floor(index.vectors, percentile)
                  for name, index in shops.items() if index.vectors is not None}  # fmt: skip
        label = "no floor (before)" if percentile is None else f"percentile {percentile:g}"
        if percentile == SIMILAR_PAIR_PERCENTILE:
            label += " (shipped)"
        print(f"\n{label}")
        for name in [None, *sorted({row[0] for row in rows})]:
            mine = [row for row in rows if name is None or row[0] == name]
            shown = [similar for shop, alike, similar in mine if alike >= floors[shop]]
            judged_similar = sum(similar for _, _, similar in mine)
            print(
                f"  {name or 'all shops':22} shown {len(shown):3}  precision {share(sum(shown), len(shown)):28}"
                f"  judged-similar kept {share(sum(shown), judged_similar)}"
            )


def draw(shops, per_shop: int, out: Path, seed: int = 0) -> None:
    """Chat answers to the development parsing sets' queries for random known users; of the cards whose reason names
    a bought item, ``per_shop`` distinct pairs per shop, written as the judge's TSV and as full records."""
    from longtail.serving.api import _default_encoder
    from longtail.serving.assistant import served_assistant

    encode = _default_encoder()
    queries: dict[str, list[str]] = {}
    for path in sorted((ROOT / "longtail" / "serving").glob("parsing_set_dev*.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            queries.setdefault(record["dataset"], []).append(record["query"])
    rng = random.Random(seed)
    drawn = []
    for name, index in sorted(shops.items()):
        if index.vectors is None or name not in queries:
            continue
        assistant = served_assistant(index, encode, index.settings.get("assistant"))
        users = sorted(index.history)
        rng.shuffle(users)
        pairs = {}
        for user, query in zip(users, (rng.choice(queries[name]) for _ in users)):
            for card in assistant.answer(query, user, None, 10).items:
                row = index.position[card["item_id"]]
                if any(reason.endswith(", which you bought") for reason in card["reasons"]):
                    bought = index.closest_bought(user, row)
                    pairs.setdefault((index.titles[row], index.titles[bought]), (row, bought))
            if len(pairs) >= per_shop:
                break
        drawn += [(name, index, row, bought) for row, bought in list(pairs.values())[:per_shop]]
    write_draw(drawn, out, rng)


def draw_lists(shops, warehouse: Path, per_shop: int, out: Path, seed: int = 0) -> None:
    """The cached lists' reasons: of the top-10 rows of ``warehouse``'s ``recommendation_lists`` (opened read-only)
    whose reason is "similar to X, which you bought", ``per_shop`` distinct (item, anchor) title pairs per shop."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        reasons = connection.execute(
            "select dataset, item_id, anchor_item_id from recommendation_lists where reason_kind = 'similar' "
            "and rank <= 10 order by dataset, user_id, rank"
        ).df()
    rng = random.Random(seed)
    drawn = []
    for name, group in reasons.groupby("dataset"):
        index = shops.get(name)
        if index is None or name not in SHOP_KINDS:
            continue
        pairs = {}
        for item_id, anchor_id in zip(group["item_id"], group["anchor_item_id"]):
            row, bought = index.position.get(item_id), index.position.get(anchor_id)
            if row is not None and bought is not None:
                pairs.setdefault((index.titles[row], index.titles[bought]), (row, bought))
        chosen = rng.sample(sorted(pairs.values()), min(per_shop, len(pairs)))
        drawn += [(name, index, row, bought) for row, bought in chosen]
    write_draw(drawn, out, rng)


def draw_panels(shops, per_shop: int, out: Path, seed: int = 0) -> None:
    """The similar-items panels (``GET /v1/items/{id}/similar``, k = 10): for random items of each shop, one random
    card of the item's panel, until ``per_shop`` distinct (card, item) title pairs per shop. In the records the item
    whose panel it is stands where the bought item stands in the other sets."""
    rng = random.Random(seed)
    drawn = []
    for name, index in sorted(shops.items()):
        if name not in SHOP_KINDS:
            continue
        items = list(index.item_ids)
        rng.shuffle(items)
        pairs = {}
        for item_id in items:
            cards = similar_items(index, item_id, 10)
            if cards:
                row, card = index.position[item_id], rng.choice(cards)
                shown = index.position[card["item_id"]]
                pairs.setdefault((index.titles[shown], index.titles[row]), (shown, row))
            if len(pairs) >= per_shop:
                break
        drawn += [(name, index, shown, row) for shown, row in pairs.values()]
    write_draw(drawn, out, rng, anchor="item whose similar items the shopper asked for")


def write_draw(drawn: list, out: Path, rng: random.Random, anchor: str = "item the shopper bought") -> None:
    """The drawn ``(dataset, index, row, anchor row)`` pairs, shuffled, as the judge's TSV (the kind of shop and the
    two titles only, the second under the heading ``anchor``) and as full records."""
    rng.shuffle(drawn)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "pairs_to_judge.tsv").open("w") as judge, (out / "pairs.jsonl").open("w") as full:
        judge.write(f"id\tshop\titem shown\t{anchor}\n")
        for number, (name, index, row, bought) in enumerate(drawn):
            judge.write(f"{number}\t{SHOP_KINDS.get(name, name)}\t{index.titles[row]}\t{index.titles[bought]}\n")
            record = {"id": number, "dataset": name, "item_id": index.item_ids[row], "item": index.titles[row],
                      "bought_item_id": index.item_ids[bought], "bought_item": index.titles[bought]}  # fmt: skip
            full.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"{len(drawn)} pairs in {out} (judge pairs_to_judge.tsv under docs/labels/similar_reasons_rubric.md)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=LABELS, help="judged pairs to score (default: the chat's)")
    parser.add_argument("--draw", type=int, metavar="PER_SHOP", help="draw a new set of shown reasons to judge")
    parser.add_argument(
        "--lists-of", type=Path, metavar="WAREHOUSE", help="with --draw: draw the cached lists' reasons of WAREHOUSE"
    )
    parser.add_argument("--panels", action="store_true", help="with --draw: draw the similar-items panels' cards")
    parser.add_argument("--out", type=Path, default=Path("similar_reasons_to_judge"))
    args = parser.parse_args()
    shops = current_shops()
    if args.draw and args.lists_of:
        draw_lists(shops, args.lists_of, args.draw, args.out)
    elif args.draw and args.panels:
        draw_panels(shops, args.draw, args.out)
    elif args.draw:
        draw(shops, args.draw, args.out)
    else:
        score(shops, args.labels)


if __name__ == "__main__":
    main()
