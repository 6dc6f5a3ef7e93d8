"""Which text makes the review-only items' vectors: their grounded description, or what their reviews say?

    LONGTAIL_HOME=~/.longtail .venv/bin/python bench/review_only_texts.py

The 5-core shop has no catalogue: its items are known from their reviews only, drawn from two Amazon categories
(All_Beauty, AMAZON_FASHION: each review's ``source_file``). Over its items that have both texts, each embedded with
the packaged all-MiniLM-L6-v2:

- ``review_only_texts`` (shipped): the phrases most reviews mention, then the newest review titles;
- the grounded description the guard accepted ("489 reviews, rated 4.8 out of 5 on average. Reviewers mention hair
  (165 reviews), ...").

Per text: the share of each item's 5 nearest items from its own Amazon category (95% bootstrap interval over items;
the base rate is the share of pairs in one category), and the cosine of random pairs of items (median and 99th
percentile: the floor ``similar_floor`` sets for "similar to X, which you bought"). The category is a proxy for "the
same kind of product", read from the files, not a judgement.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from longtail.data.warehouse import read_table  # noqa: E402
from longtail.language.review_facts import REVIEW_FACT_COLUMNS  # noqa: E402
from longtail.recommend.explanations import similar_floor  # noqa: E402
from longtail.recommend.text import review_only_texts  # noqa: E402
from longtail.stats import bootstrap_mean_interval  # noqa: E402
from resources import home  # noqa: E402

DATASET = "amazon2018_reviews_5core"
NEAREST = 5


def main() -> None:
    import duckdb

    from longtail.serving.api import _default_encoder

    with duckdb.connect(str(home.warehouse_path()), read_only=True) as connection:
        reviews = read_table(connection, "cleaned_reviews", "dataset = ?", [DATASET])
        described = read_table(connection, "generated_descriptions", "dataset = ? and accepted", [DATASET])
    category = reviews.groupby("item_id")["source_file"].agg(lambda files: files.mode().iloc[0])
    ours = review_only_texts(reviews[REVIEW_FACT_COLUMNS], reviews.iloc[:0]).set_index("item_id")["text"]
    grounded = described.set_index("item_id")["description"]
    ids = sorted(set(ours.index) & set(grounded.index))
    labels = category.reindex(ids).to_numpy()
    base = float(np.mean(labels[:, None] == labels[None, :]))
    print(f"{DATASET}: {len(ids)} items with both texts; base rate of one category {base:.3f}")
    encode = _default_encoder()
    for name, texts in (("review_only_texts (shipped)", ours), ("grounded description", grounded)):
        vectors = np.asarray(encode([texts[item] for item in ids]), dtype=np.float32)
        alike = vectors @ vectors.T
        np.fill_diagonal(alike, -np.inf)
        nearest = np.argsort(-alike, axis=1)[:, :NEAREST]
        same = (labels[nearest] == labels[:, None]).mean(axis=1)
        low, high = bootstrap_mean_interval(same)
        pairs = alike[np.triu_indices(len(ids), 1)]
        print(
            f"  {name:28} same category among {NEAREST} nearest {same.mean():.3f} ({low:.3f}-{high:.3f})"
            f"  random pairs: median {np.median(pairs):.3f}, floor (p99) {similar_floor(vectors):.3f}"
        )
    for item in ids[:5]:
        print(f"  {item}: {ours[item][:110]!r}\n  {'':10}  {grounded[item][:110]!r}")


if __name__ == "__main__":
    main()
