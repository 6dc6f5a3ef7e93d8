"""What a shopper would notice in the served lists, per shop of the current snapshot, in one run.

    LONGTAIL_HOME=~/.longtail .venv/bin/python bench/served_lists.py [--users 1000] [--version V]

Over ``--users`` random known users per shop (seeded), their top 10 as ``GET /v1/users/{id}/recommendations``
serves it (``user_list``, seen items excluded), and over every user's cached list of the snapshot:

- lists that show a card reading the same as one the user already bought (``ShopIndex.seen``), and lists that show
  one title twice (at two prices: cards of one title and price are shown once, ``ShopIndex.card_keys``);
- cached lists whose top 10 all score 0: the hybrid had nothing personal to go on and the order was the catalogue's;
- lists with 8 or more "tail pick: less known, for variety" reasons, and that reason's share of all list items;
- of the served top 10s' cards, those titled by a bare item id (nothing names the item), those with a reason
  that names one of the user's items by a bare id ("customers who bought B000FI4S1E also bought this"), and those
  whose tail badge (``is_tail``) and "tail pick" reason disagree;
- the "similar to X, which you bought" reasons of the cached top 10s;
- of ``--items`` random items, those whose similar-items panel (``GET /v1/items/{id}/similar``, top 10) is empty;
  and of the panels' cards, those that say "similar to X" and those that say "customers who bought X also bought
  this" (X the item whose panel it is), and the panels that show one title twice.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from longtail.recommend.serving import COLD_START_USER  # noqa: E402
from longtail.serving.catalogue import load_snapshot  # noqa: E402
from longtail.serving.lists import similar_items, user_list  # noqa: E402
from longtail.serving.snapshot import current_version  # noqa: E402
from resources import home  # noqa: E402

VARIETY = "less known, for variety"
TOP = 10
# Where a reason names one of the user's items.
ANCHORED = re.compile(
    r"(?:customers who bought (?P<bought>.+) also bought this|similar to (?P<similar>.+), which you bought)"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--version", help="a snapshot version kept under serving/ (default: the current one)")
    args = parser.parse_args()
    root = home.serving_dir()
    snapshot = load_snapshot(root, args.version or current_version(root))
    print(f"snapshot {snapshot.version}")
    header = (
        "shows a bought card",
        "a title twice",
        "cached all 0",
        "8+ variety",
        "variety share",
        "id-only cards",
        "reasons naming an id",
        "badge not reason",
        "cached 'similar to'",
        "no similar items",
        "panel 'similar to'",
        "panel 'bought'",
        "panel title twice",
    )
    print(f"{'shop':26} {'users':>7} " + " ".join(f"{column:>22}" for column in header))
    for name, index in sorted(snapshot.shops.items()):
        users = sorted(user for user in index.history if user in index.lists)
        random.Random(0).shuffle(users)
        sample = users[: args.users]
        repeats = title_twice = cards_shown = id_titles = id_reasons = badge_not_reason = 0
        for user in sample:
            bought = set(index.card_keys[index.history[user]["rows"]].tolist())
            cards = user_list(index, user, TOP).items
            repeats += any(index.card_keys[index.position[card["item_id"]]] in bought for card in cards)
            title_twice += shows_a_title_twice(cards)
            cards_shown += len(cards)
            id_titles += sum(card["title"] == card["item_id"] for card in cards)
            id_reasons += sum(any(names_an_id(reason, index) for reason in card["reasons"]) for card in cards)
            badge_not_reason += sum(card["is_tail"] != says_tail_pick(card["reasons"]) for card in cards)
        cached = [index.lists[user] for user in index.lists if user != COLD_START_USER]
        all_zero = sum(bool(len(lst["score"])) and not np.any(lst["score"][:TOP]) for lst in cached)
        variety = [sum(VARIETY in str(reason) for reason in lst["reason"][:TOP]) for lst in cached]
        similar = sum(str(reason).endswith(", which you bought") for lst in cached for reason in lst["reason"][:TOP])
        shown = sum(min(len(lst["reason"]), TOP) for lst in cached)
        items = random.Random(0).sample(list(index.item_ids), min(args.items, len(index)))
        panels = [similar_items(index, item_id, TOP) for item_id in items]
        no_similar = sum(not panel for panel in panels)
        panel_reasons = [card["reasons"] for panel in panels for card in panel]
        panel_similar = sum(any(r.startswith("similar to ") for r in reasons) for reasons in panel_reasons)
        panel_bought = sum(any("customers who bought" in r for r in reasons) for reasons in panel_reasons)
        cells = (
            f"{repeats} ({repeats / max(len(sample), 1):.1%})",
            f"{title_twice} ({title_twice / max(len(sample), 1):.1%})",
            f"{all_zero} of {len(cached)}",
            f"{sum(v >= 8 for v in variety)}",
            f"{sum(variety) / max(shown, 1):.1%}",
            f"{id_titles} ({id_titles / max(cards_shown, 1):.1%})",
            f"{id_reasons} ({id_reasons / max(cards_shown, 1):.1%})",
            f"{badge_not_reason} ({badge_not_reason / max(cards_shown, 1):.1%})",
            f"{similar} of {shown}",
            f"{no_similar} of {len(items)}",
            f"{panel_similar} of {len(panel_reasons)}",
            f"{panel_bought} of {len(panel_reasons)}",
            f"{sum(map(shows_a_title_twice, panels))} of {len(items)}",
        )
        print(f"{name:26} {len(sample):>7} " + " ".join(f"{cell:>22}" for cell in cells))


def shows_a_title_twice(cards: list[dict]) -> bool:
    """Whether two of ``cards`` have one title (as a shopper reads it: case and spacing aside)."""
    titles = [" ".join(str(card["title"]).lower().split()) for card in cards]
    return len(set(titles)) < len(titles)


def says_tail_pick(reasons: list[str]) -> bool:
    """Whether a card's ``reasons`` call it a tail pick ("tail pick: ...")."""
    return any(str(reason).startswith("tail pick") for reason in reasons)


def names_an_id(reason: str, index) -> bool:
    """Whether ``reason`` names one of the user's items by its bare id: the item has no other title."""
    match = ANCHORED.search(str(reason))
    anchor = match and (match["bought"] or match["similar"])
    return bool(anchor) and anchor in index.position and index.titles[index.position[anchor]] == anchor


if __name__ == "__main__":
    main()
