"""Review copies: what Amazon's repeated reviews did to the served lists, per shop, for two homes in one run.

    .venv/bin/python bench/review_products.py --home HOME [--baseline-home OLD_HOME]

Amazon's review files repeat a product's reviews under the id of each of its sizes and colours. Per shop with
reviews, from ``--home``'s warehouse: review rows, distinct reviews (``SAME_REVIEW_SQL``), ids reviewed and the
products they make (``review_products``), and interactions counted per copy and once per review
(``interactions_sql``). Then, per home's current snapshot (``--baseline-home`` first, read with the same products
and interactions, those of ``--home``), over every known user's cached top 10 and the new-user list:

- lists that show two ids of one product;
- "customers who bought X also bought this" reasons whose X and item fewer than ``MIN_CUSTOMERS_REASON`` customers
  have both, once each review is read once: the co-buying they claim was copies of one review.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from longtail.data.interactions import REVIEW_COPIES_SQL, load_interactions  # noqa: E402
from longtail.recommend.cards import review_products  # noqa: E402
from longtail.recommend.explanations import BOUGHT, MIN_CUSTOMERS_REASON  # noqa: E402
from longtail.serving.snapshot import current_version  # noqa: E402

TOP = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--baseline-home", type=Path)
    args = parser.parse_args()
    connection = duckdb.connect(str(args.home / "warehouse.duckdb"), read_only=True)
    shops = [row[0] for row in connection.execute("select distinct dataset from cleaned_reviews order by 1").fetchall()]
    homes = [home for home in (args.baseline_home, args.home) if home is not None]
    print(
        f"{'shop':26} {'review rows':>12} {'reviews':>8} {'ids':>5} {'products':>9} {'per copy':>9} {'per review':>11}"
    )
    inputs = {}
    for shop in shops:
        copies = connection.sql(REVIEW_COPIES_SQL, params={"d": shop}).df()
        products = review_products(copies)
        interactions = load_interactions(connection, shop)
        per_copy = connection.execute(
            "select count(*) from cleaned_reviews where dataset = ? and ts is not null", [shop]
        ).fetchall()[0][0] + int((interactions["source"] == "event").sum())
        print(
            f"{shop:26} {len(copies):>12,} {copies['review'].nunique():>8,} {len(products):>5,} "
            f"{products.nunique():>9,} {per_copy:>9,} {len(interactions):>11,}"
        )
        inputs[shop] = (products, interactions)
    print(f"\nper snapshot, top {TOP} of every known user's cached list and the new-user list")
    print(f"{'home':40} {'shop':26} {'lists':>8} {'a product twice':>16} {'bought reasons':>15} {'on copies':>10}")
    for home in homes:
        version = current_version(home / "serving")
        for shop, (products, interactions) in inputs.items():
            lists = pd.read_parquet(home / "serving" / version / shop / "lists.parquet")
            lists = lists[lists["rank"] <= TOP]
            product = lists["item_id"].map(products).fillna(lists["item_id"])
            twice = lists.assign(product=product).groupby("user_id")["product"].agg(lambda p: p.duplicated().any())
            bought = lists[lists["reason_kind"] == BOUGHT]
            on_copies = (co_buyers(interactions, bought) < MIN_CUSTOMERS_REASON).sum()
            print(
                f"{str(home):40} {shop:26} {len(twice):>8,} {int(twice.sum()):>16,} {len(bought):>15,} "
                f"{int(on_copies):>10,}"
            )


def co_buyers(interactions: pd.DataFrame, reasons: pd.DataFrame) -> pd.Series:
    """Per reason row, how many users have both its ``anchor_item_id`` and its ``item_id``."""
    owners = interactions.groupby("item_id")["user_id"].agg(set)
    empty: set = set()
    return pd.Series(
        [
            len(owners.get(anchor, empty) & owners.get(item, empty))
            for anchor, item in zip(reasons["anchor_item_id"], reasons["item_id"])
        ],
        index=reasons.index,
        dtype="int64",
    )


if __name__ == "__main__":
    main()
