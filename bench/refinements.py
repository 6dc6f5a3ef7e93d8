"""What a refinement does to a chat answer: sessions of a first query then "something more unusual", "cheaper" or
"show me more", per shop of the current snapshot, as the web page's suggestion buttons send them.

    LONGTAIL_HOME=~/.longtail .venv/bin/python bench/refinements.py [--refinement cheaper] [--sessions 40] [--k 5]
    # the second answers as a careful reader would judge them (query and item titles only), as TSV and JSONL
    LONGTAIL_HOME=~/.longtail .venv/bin/python bench/refinements.py --draw /tmp/unusual --label after
    # score judged answers (``docs/labels/unusual_refinement.jsonl``, ``docs/labels/cheaper_refinement.jsonl``,
    # ``docs/labels/more_refinement.jsonl``): the share of items that fit the query, and the fitting items per
    # session that the first answer had not shown
    .venv/bin/python bench/refinements.py --labels docs/labels/unusual_refinement.jsonl

The first queries are the development parsing sets' (``longtail/serving/parsing_set_dev*.jsonl``) that do not ask
for the unusual already, ``--sessions`` per shop drawn at random (seeded), each from a random known customer of the
shop; "cheaper" is tried in the shops that list prices only. Per shop: the share of the second answer's top ``k``
that the first answer showed already; the median buyers (for "cheaper": price) of the first and of the second
answer's items (the median over sessions of each answer's median); the share of the second answer's items bought by
fewer customers (cheaper) than the first answer's median item (neither for "show me more", which asks for others
alone); and the share of sessions whose second answer is the first one again, item for item.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from served import append_draw, current_shops, judging_parser, read_labels, share  # noqa: E402

from longtail.serving.assistant import served_assistant  # noqa: E402
from longtail.stats import bootstrap_mean_interval  # noqa: E402

# Each refinement, and what its second answer should have less of than the first: buyers, price or (None) nothing.
REFINEMENTS = {"something more unusual": "buyers", "cheaper": "prices", "show me more": None}
SHOPS = ("uci_online_retail_ii", "instacart_sample", "amazon2018_magazine")
SHOP_KINDS = {
    "uci_online_retail_ii": "UK gift and homeware wholesaler",
    "instacart_sample": "grocery",
    "amazon2018_magazine": "magazine subscriptions",
}


def first_queries(per_shop: int, seed: int = 0) -> dict[str, list[str]]:
    """``per_shop`` random development-set queries per shop that do not ask for the unusual themselves."""
    queries: dict[str, list[str]] = {}
    for path in sorted((ROOT / "longtail" / "serving").glob("parsing_set_dev*.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            if record["dataset"] in SHOPS and "novelty" not in record.get("expected", {}):
                queries.setdefault(record["dataset"], []).append(record["query"])
    rng = random.Random(seed)
    return {shop: rng.sample(found, min(per_shop, len(found))) for shop, found in sorted(queries.items())}


def sessions(shops, per_shop: int, k: int, refinement: str, seed: int = 0):
    """Per shop, ``(query, user, first cards, second cards)`` of each session."""
    from longtail.serving.api import _default_encoder

    encode = _default_encoder()
    rng = random.Random(seed)
    out = {}
    for shop, queries in first_queries(per_shop, seed).items():
        if shop not in shops:
            continue
        index = shops[shop]
        assistant = served_assistant(index, encode, index.settings.get("assistant"))
        users = sorted(index.history)
        out[shop] = []
        for query in queries:
            user = rng.choice(users)
            first = assistant.answer(query, user, None, k)
            second = assistant.answer(refinement, user, first.turn, k)
            out[shop].append((query, user, first.items, second.items))
    return out


def report(shops, found, refinement: str) -> None:
    measure = REFINEMENTS[refinement]
    columns = f"{measure + ' 1st':>11} {measure + ' 2nd':>11} {'less (share)':>18} " if measure else ""
    print(f"{'shop':22} {'sessions':>8} {'shown again':>12} {columns}{'same answer':>12}")
    for shop, runs in found.items():
        index = shops[shop]
        again = less = total = same = 0
        first_medians, second_medians = [], []
        for _, _, first, second in runs:
            first_ids = [card["item_id"] for card in first]
            second_ids = [card["item_id"] for card in second]
            again += len(set(first_ids) & set(second_ids))
            total += len(second_ids)
            same += first_ids == second_ids
            if measure and first_ids and second_ids:
                values = getattr(index, measure)
                values_first = [float(values[index.position[i]]) for i in first_ids]
                values_second = [float(values[index.position[i]]) for i in second_ids]
                first_medians.append(np.median(values_first))
                second_medians.append(np.median(values_second))
                less += sum(value < np.median(values_first) for value in values_second)
        figures = (
            f"{np.median(first_medians):>11.2f} {np.median(second_medians):>11.2f} {share(less, total):>18} "
            if measure
            else ""
        )
        print(f"{shop:22} {len(runs):>8} {again / max(total, 1):>12.2f} {figures}{same:>5} of {len(runs)}")


def draw(found, shops, out: Path, label: str) -> None:
    """The second answers' (query, item) pairs as full records tagged ``label`` (the first query, the item's title
    and category, whether the first answer showed it), appended to any earlier draw in ``out``."""
    records = []
    for shop, runs in found.items():
        index = shops[shop]
        for query, _, first, second in runs:
            shown = {card["item_id"] for card in first}
            for rank, card in enumerate(second, start=1):
                row = index.position[card["item_id"]]
                records.append({"system": label, "dataset": shop, "query": query, "rank": rank,
                                "item_id": card["item_id"], "item": card["title"], "category": index.categories[row],
                                "in_first_answer": card["item_id"] in shown})  # fmt: skip
    append_draw(out, records, f"second answers of {label!r}")


def score(labels: Path) -> None:
    """Per system and shop: the share of the second answers' items judged to fit the first query, and how many
    items per session fit it that the first answer had not shown (what the shopper gains by asking), with 95%
    bootstrap intervals over sessions; for each later system, the paired difference from the first ("before")."""
    records = read_labels(labels)
    systems = sorted({r["system"] for r in records}, key=lambda system: system != "before")
    for system in systems:
        print(system)
        for shop in [None, *sorted({r["dataset"] for r in records})]:
            gains = session_gains(records, system, shop)
            mine = [r for r in records if r["system"] == system and (shop is None or r["dataset"] == shop)]
            fits = sum(r["fits"] for r in mine)
            low, high = bootstrap_mean_interval(list(gains.values()))
            line = (f"  {shop or 'all shops':22} {fits}/{len(mine)} = {share(fits, len(mine))} fit the query; "
                    f"{np.mean(list(gains.values())):.2f} ({low:.2f}-{high:.2f}) new fitting items per session "
                    f"({len(gains)} sessions)")  # fmt: skip
            if system != systems[0]:
                base = session_gains(records, systems[0], shop)
                paired = [gains[key] - base[key] for key in gains if key in base]
                low, high = bootstrap_mean_interval(paired)
                line += f"; {np.mean(paired):+.2f} ({low:+.2f} to {high:+.2f}) against {systems[0]}"
            print(line)


def session_gains(records: list[dict], system: str, shop: str | None) -> dict[tuple[str, str], int]:
    """(shop, first query) -> the items of ``system``'s second answer judged to fit that the first had not shown."""
    gains: dict[tuple[str, str], int] = {}
    for r in records:
        if r["system"] == system and (shop is None or r["dataset"] == shop):
            key = (r["dataset"], r["query"])
            gains[key] = gains.get(key, 0) + int(r["fits"] and not r["in_first_answer"])
    return gains


def main() -> None:
    parser = judging_parser(__doc__, "second answers")
    parser.add_argument("--refinement", choices=sorted(REFINEMENTS), default="something more unusual")
    parser.add_argument("--sessions", type=int, default=40)
    args = parser.parse_args()
    if args.labels:
        score(args.labels)
        return
    shops = current_shops()
    if args.refinement == "cheaper":
        shops = {name: index for name, index in shops.items() if index.price_quantiles}
    found = sessions(shops, args.sessions, args.k, args.refinement)
    report(shops, found, args.refinement)
    if args.draw:
        draw(found, shops, args.draw, args.label)


if __name__ == "__main__":
    main()
