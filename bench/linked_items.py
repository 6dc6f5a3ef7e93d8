"""What the hybrid's linked-items rule costs: every user's served top 20, with and without it, in one run.

    .venv/bin/python bench/linked_items.py --home HOME

Per shop of ``HOME``'s warehouse, the served hybrid (``build_served_hybrid`` with the settings the evaluation chose)
ranks every user twice: as it does, finding for each user the items that a customer who has one of their items has
too (``_Components.co_bought``); and with every item taken as linked, which skips that product (the lists then
differ only where the rule binds). Prints the seconds of each, their ratio, and how many users' top 20 differ.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from unittest import mock

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from longtail.data.interactions import load_interactions  # noqa: E402
from longtail.data.warehouse import connect, read_table  # noqa: E402
from longtail.recommend.models import hybrid  # noqa: E402
from longtail.recommend.serving import build_served_hybrid  # noqa: E402

LIST_LENGTH = 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    args = parser.parse_args()
    with connect(args.home / "warehouse.duckdb") as connection:
        chosen = read_table(connection, "recommendation_settings")
        shops = {name: load_interactions(connection, name) for name in chosen["dataset"]}
    print(f"{'shop':26} {'users':>7} {'with (s)':>9} {'all linked (s)':>15} {'ratio':>6} {'lists differ':>13}")
    for name, interactions in shops.items():
        settings = json.loads(chosen.loc[chosen["dataset"] == name, "settings"].iloc[0])
        model = build_served_hybrid(interactions, settings).model
        users = np.arange(model.interactions_.shape[0])
        started = time.perf_counter()
        linked = model.recommend(users, LIST_LENGTH)
        with_rule = time.perf_counter() - started
        with mock.patch.object(hybrid.LongTailHybrid, "_components", all_linked(hybrid.LongTailHybrid._components)):
            started = time.perf_counter()
            unlinked = model.recommend(users, LIST_LENGTH)
            without = time.perf_counter() - started
        differ = int((linked != unlinked).any(axis=1).sum())
        print(
            f"{name:26} {len(users):>7,} {with_rule:>9.1f} {without:>15.1f} {with_rule / without:>5.2f}x {differ:>13,}"
        )


def all_linked(components):
    """``_components`` with every item linked: the co-buyer product runs on an empty matrix, at no cost."""

    def patched(self, users):
        empty = sp.csr_matrix(self.binary_history_.shape, dtype=np.float32)
        with mock.patch.object(self, "binary_history_", empty):
            parts = components(self, users)
        return parts._replace(co_bought=np.ones_like(parts.co_bought))

    return patched


if __name__ == "__main__":
    main()
