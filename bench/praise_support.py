"""How many reviews stand behind each "reviewers praise a, b, c" reason: the aspect rule as shipped (a phrase in at
least ``aspects.MIN_PHRASE_REVIEWS`` of the item's positive reviews, none generic) against the same rule with one
review enough, in one run on the scored reviews of a finished demo.

    LONGTAIL_HOME=<demo home> .venv/bin/python bench/praise_support.py [--examples 20]

Per shop, over the items that get a praise reason (``MIN_REVIEWS_REASON`` reviews and ``MIN_POSITIVE_SHARE_REASON``
of them positive, as ``ShopIndex.fact_reasons`` gates it): the items with any praise, the phrases shown, and how
many of those rest on a single positive review, which the reason's "reviewers" does not support. Then a random
sample of items with both rules' phrases, for reading.
"""

import argparse
import random

import duckdb
import numpy as np

from longtail.language.aspects import MIN_PHRASE_REVIEWS, aspect_phrases
from longtail.language.item_sentiment import item_sentiment
from longtail.language.reviews import review_texts
from longtail.serving.catalogue import MIN_POSITIVE_SHARE_REASON, MIN_REVIEWS_REASON
from resources import home

RULES = {"one review enough": 1, f"{MIN_PHRASE_REVIEWS} reviews (shipped)": MIN_PHRASE_REVIEWS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=20)
    args = parser.parse_args()
    with duckdb.connect(str(home.warehouse_path()), read_only=True) as connection:
        scored = connection.sql(
            """select s.dataset, s.item_id, s.label, s.score, r.title, r.text
            from review_sentiment s join cleaned_reviews r using (dataset, review_id)"""
        ).df()
    scored["phrases"] = [set(aspect_phrases(text)) for text in review_texts(scored)]
    aspects = {name: item_sentiment(scored, min_aspect_reviews=value) for name, value in RULES.items()}
    for dataset, reviews in scored.groupby("dataset", sort=True):
        praised = {name: frame[frame["dataset"] == dataset].set_index("item_id") for name, frame in aspects.items()}
        first = next(iter(praised.values()))
        gated = first.index[
            (first["n_reviews"] >= MIN_REVIEWS_REASON) & (first["positive_share"] >= MIN_POSITIVE_SHARE_REASON)
        ]
        positive = reviews[reviews["label"] == "positive"].groupby("item_id")["phrases"].agg(list)
        print(f"\n{dataset}: {len(gated)} items get a praise reason")
        print(f"  {'rule':24} {'items with praise':>18} {'phrases':>8} {'from one review':>16}")
        for name, frame in praised.items():
            shown = {item: list(frame.at[item, "positive_aspects"]) for item in gated}
            support = [
                sum(phrase in review for review in positive.get(item, [])) for item in gated for phrase in shown[item]
            ]
            lonely = int(np.sum(np.array(support) < 2))
            print(
                f"  {name:24} {sum(bool(p) for p in shown.values()):>18} {len(support):>8} "
                f"{lonely:>8} ({lonely / max(len(support), 1):.0%})"
            )
        sample = list(gated)
        random.Random(0).shuffle(sample)
        print(f"  {'reviews':>7} | " + " | ".join(f"{name:36}" for name in praised))
        for item in sample[: args.examples]:
            cells = [", ".join(frame.at[item, "positive_aspects"]) for frame in praised.values()]
            print(f"  {int(first.at[item, 'n_reviews']):>7} | " + " | ".join(f"{cell[:36]:36}" for cell in cells))


if __name__ == "__main__":
    main()
