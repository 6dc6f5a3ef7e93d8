"""What a shopper would notice in the served lists, per shop of the current snapshot, in one run.

    LONGTAIL_HOME=~/.longtail .venv/bin/python bench/served_lists.py [--users 1000]

Over ``--users`` random known users per shop (seeded), their top 10 as ``GET /v1/users/{id}/recommendations``
serves it (``user_list``, seen items excluded), and over every user's cached list of the snapshot:

- lists that show a card reading the same as one the user already bought (``ShopIndex.seen``);
- cached lists whose top 10 all score 0: the hybrid had nothing personal to go on and the order was the catalogue's;
- lists with 8 or more "tail pick: less known, for variety" reasons, and that reason's share of all list items.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from longtail.recommend.serving import COLD_START_USER  # noqa: E402
from longtail.serving.catalogue import load_snapshot  # noqa: E402
from longtail.serving.lists import user_list  # noqa: E402
from longtail.serving.snapshot import current_version  # noqa: E402
from resources import home  # noqa: E402

VARIETY = "less known, for variety"
TOP = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    args = parser.parse_args()
    root = home.serving_dir()
    snapshot = load_snapshot(root, current_version(root))
    print(f"snapshot {snapshot.version}")
    header = ("shows a bought card", "cached all 0", "8+ variety", "variety share")
    print(f"{'shop':26} {'users':>7} " + " ".join(f"{column:>20}" for column in header))
    for name, index in sorted(snapshot.shops.items()):
        users = sorted(user for user in index.history if user in index.lists)
        random.Random(0).shuffle(users)
        sample = users[: args.users]
        repeats = 0
        for user in sample:
            bought = set(index.card_keys[index.history[user]["rows"]].tolist())
            cards = user_list(index, user, TOP).items
            repeats += any(index.card_keys[index.position[card["item_id"]]] in bought for card in cards)
        cached = [index.lists[user] for user in index.lists if user != COLD_START_USER]
        all_zero = sum(bool(len(lst["score"])) and not np.any(lst["score"][:TOP]) for lst in cached)
        variety = [sum(VARIETY in str(reason) for reason in lst["reason"][:TOP]) for lst in cached]
        shown = sum(min(len(lst["reason"]), TOP) for lst in cached)
        cells = (
            f"{repeats} ({repeats / max(len(sample), 1):.1%})",
            f"{all_zero} of {len(cached)}",
            f"{sum(v >= 8 for v in variety)}",
            f"{sum(variety) / max(shown, 1):.1%}",
        )
        print(f"{name:26} {len(sample):>7} " + " ".join(f"{cell:>20}" for cell in cells))


if __name__ == "__main__":
    main()
