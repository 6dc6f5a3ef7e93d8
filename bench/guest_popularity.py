"""Would counting guest orders improve the recent popularity that a new user's list starts from?

    LONGTAIL_DATA_DIR=../shared/data .venv/bin/python bench/guest_popularity.py [--dataset uci_online_retail_ii]
        [--half-life-days 30] [--test-days 28]

A new user's list ("popular now", ``LongTailHybrid.recommend_cold``) starts from the recent popularity of the items:
the distinct customers who bought each, weighted by ``0.5 ** (age / half-life)`` of their latest purchase. Guest
orders (``guest_sales``, one buyer per order) are not in it. This bench compares the two rankings, both from the
sales before the evaluation's cut (``temporal_split``: the last ``--test-days``): customers only, and customers plus
guest orders. They are judged on the new customers, those with no event before the cut who buy in the test window.
Each new customer's targets are the items they bought there. The bench prints recall@20 and NDCG@10 of each
ranking, with 95% bootstrap intervals over those customers, and the paired difference.

Only the ranking is compared: the served list also divides by popularity and calibrates the tail share, the same for
both. The cleaned tables come from ``bench/cleaned_tables.py`` (cached in ``build/``).
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from cleaned_tables import cleaned

from longtail.recommend.evaluation.split import recency_weights, temporal_split
from longtail.stats import bootstrap_mean_interval


def recent_popularity(sales: pd.DataFrame, item_ids: np.ndarray, cut: pd.Timestamp, half_life: float) -> np.ndarray:
    """(len(item_ids),) distinct buyers (``user_id``) of each item, each weighted by its latest purchase's recency."""
    buyers = sales["user_id"].unique()
    weights = recency_weights(sales, buyers, item_ids, as_of=cut, half_life=half_life)
    return np.asarray(weights.sum(axis=0)).ravel()


def per_user_scores(ranking: np.ndarray, targets: list[set[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Recall@20 and NDCG@10 (binary relevance) of one ``ranking`` (item indices, best first) for each target set."""
    top20, top10 = ranking[:20], ranking[:10]
    discounts = 1.0 / np.log2(np.arange(2, 12))
    recall = np.array([len(set(top20) & wanted) / len(wanted) for wanted in targets])
    ndcg = np.array(
        [discounts[np.isin(top10, list(wanted))].sum() / discounts[: min(10, len(wanted))].sum() for wanted in targets]
    )
    return recall, ndcg


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="uci_online_retail_ii")
    parser.add_argument("--half-life-days", type=float, default=30.0)
    parser.add_argument("--test-days", type=int, default=28)
    args = parser.parse_args()
    events = cleaned("events", args.dataset)
    split = temporal_split(events, args.test_days)
    guests = cleaned("guest_sales", args.dataset)
    guests = guests[guests["ts"] < split.cut].assign(user_id="order:" + guests["order_id"].astype(str))
    bought = split.train[split.train["event_type"] == "purchase"]
    item_ids = np.sort(pd.concat([bought["item_id"], guests["item_id"]]).unique())

    known = set(split.train["user_id"])
    new_buys = split.test[(split.test["event_type"] == "purchase") & ~split.test["user_id"].isin(known)]
    index = pd.Index(item_ids)
    targets = [
        set(index.get_indexer(items)) - {-1} for _, items in new_buys.groupby("user_id")["item_id"].unique().items()
    ]
    targets = [wanted for wanted in targets if wanted]
    print(
        f"{args.dataset}: cut {split.cut}, {len(bought):,} customer lines and {len(guests):,} guest lines before it; "
        f"{len(targets):,} new customers buying in the test window"
    )
    figures = {}
    for name, sales in (("customers", bought), ("customers + guest orders", pd.concat([bought, guests]))):
        popularity = recent_popularity(sales, item_ids, split.cut, args.half_life_days)
        figures[name] = per_user_scores(np.argsort(-popularity, kind="stable"), targets)
    for metric, column in (("recall@20", 0), ("NDCG@10", 1)):
        for name, values in figures.items():
            low, high = bootstrap_mean_interval(values[column])
            print(f"{metric:10} {name:26} {values[column].mean():.4f} ({low:.4f}-{high:.4f})")
        difference = figures["customers + guest orders"][column] - figures["customers"][column]
        low, high = bootstrap_mean_interval(difference)
        print(f"{metric:10} {'paired difference':26} {difference.mean():+.4f} ({low:+.4f} to {high:+.4f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
