"""Do "reviewers praise a, b, c" reasons name the item, or the reviewer's husband? Three praise rules, in one run,
on the Women's E-Commerce Clothing Reviews corpus (``../shared/corpora``): one item per ``Clothing ID``, its category
"Division > Department > Class", no title, so shown by its category's last part ("Skirts", ``display_titles``), each
review labelled by its stars (4-5 positive, 3 neutral, 1-2 negative).

- ``before``: item-agnostic words left out (``aspects.ITEM_AGNOSTIC_WORDS``), and phrases of the name's exact words;
- ``kind``: also people, acts of buying, reading and wearing, fillers and sizes (``aspects.GENERIC_PHRASES`` as it
  stood before ``ADDED_WITH_NEGATION``), the word the item's reviews call it by (``aspects.kind_word``), and phrases
  that restate the shown name in the singular or the plural (``aspects.beyond_name``);
- ``shipped``: also the words in a negation's scope ("not greasy at all", ``aspects.aspect_phrases``) and the words
  added with it, read on the demo's Magazine and 5-core shops.

Each part judges one change on items no rule of that change was written on: ``dev`` (where the ``kind`` lists were
read), ``heldout`` and ``heldout2`` compare ``before`` with ``kind``; ``heldout3`` (scored once, then read for more
words) and ``heldout4`` compare ``kind`` with ``shipped``.

    # 1. the labelling sheet: every phrase either rule of the part shows, one line each, no rule named
    .venv/bin/python bench/praise_phrases.py --part heldout4 --sheet /tmp/praise_sheet.jsonl
    # 2. label each line by docs/labels/praise_phrases_rubric.md, then score both rules against the labels
    .venv/bin/python bench/praise_phrases.py --part heldout4 --labels docs/labels/praise_phrases_heldout4.jsonl

Items are those that would get a praise reason (``MIN_REVIEWS_REASON`` reviews, ``MIN_POSITIVE_SHARE_REASON`` of
them positive, as ``ShopIndex.fact_reasons`` gates it, under the ``before`` rule), shuffled with a fixed seed and cut
into ``PARTS`` of ``ITEMS_PER_PART``. Per rule: the phrases shown, the share of them that name nothing of the item
(95% bootstrap interval over items), the items left with no praise, and the phrases naming the item that the later
rule no longer shows.
"""

from __future__ import annotations

import argparse
import json
import os
import random
from pathlib import Path

import numpy as np
import pandas as pd

from longtail.language.aspects import (
    BODY_WORDS,
    COMPLAINT_WORDS,
    GENERIC_PHRASES,
    ITEM_AGNOSTIC_WORDS,
    beyond_name,
)
from longtail.language.item_sentiment import item_sentiment
from longtail.recommend.text import display_titles
from longtail.serving.catalogue import MIN_POSITIVE_SHARE_REASON, MIN_REVIEWS_REASON
from longtail.stats import bootstrap_mean_interval, paired_bootstrap_means, percentile_interval

CORPUS_FILE = "womens_clothing_reviews/womens_clothing_ecommerce_reviews.parquet"
# The words ``aspects`` gained with the negation scope, after ``heldout2`` was labelled.
ADDED_WITH_NEGATION = (
    frozenset({"getting", "buying", "learn", "ordering", "return", "returned", "returning", "saw"})  # acts
    | frozenset({"picture", "pictured", "shown", "online", "available", "dressed"})  # acts
    | frozenset({"expected", "majority", "pre", "longer", "exactly", "hit", "person"})  # fillers, and a person
    | frozenset({"normally", "regular", "tall"})  # sizes
    | BODY_WORDS
    | COMPLAINT_WORDS
)
RULES = {
    "before": {"generic_words": ITEM_AGNOSTIC_WORDS, "leave_out_kind": False, "negation_scope": False},
    "kind": {"generic_words": GENERIC_PHRASES - ADDED_WITH_NEGATION, "leave_out_kind": True, "negation_scope": False},
    "shipped": {"generic_words": GENERIC_PHRASES, "leave_out_kind": True, "negation_scope": True},
}
SEED = 20261206
ITEMS_PER_PART = 80
# The sampled items, in order, and the two rules each part compares: the development part of the ``kind`` lists, the
# part held out from those lists, the part held out from the kind word too; then the first part of the negation scope
# (scored, then read for more words) and the part held out from it and every word added with it.
PARTS = {
    "dev": ("before", "kind"),
    "heldout": ("before", "kind"),
    "heldout2": ("before", "kind"),
    "heldout3": ("kind", "shipped"),
    "heldout4": ("kind", "shipped"),
}


def clothing_reviews(corpora: Path) -> tuple[pd.DataFrame, pd.Series]:
    """The corpus as scored reviews (``item_sentiment``'s columns) and each item's shown name ("Dresses")."""
    path = corpora / CORPUS_FILE
    if not path.exists():
        raise SystemExit(f"{path} not found: pass --corpora, the folder that holds {CORPUS_FILE}")
    corpus = pd.read_parquet(path)
    stars = corpus["Rating"].astype(int)
    reviews = pd.DataFrame(
        {
            "dataset": "womens_clothing",
            "item_id": corpus["Clothing ID"].astype(str),
            "label": np.select([stars >= 4, stars == 3], ["positive", "neutral"], "negative"),
            "score": (stars - 3) / 2.0,
            "title": corpus["Title"],
            "text": corpus["Review Text"],
        }
    )
    path_parts = corpus[["Division Name", "Department Name", "Class Name"]].fillna("").astype(str)
    categories = path_parts.agg(" > ".join, axis=1).groupby(reviews["item_id"]).first().astype("string")
    names = display_titles(pd.Series(pd.NA, index=categories.index, dtype="string"), categories, None)
    return reviews, names.fillna("")


def shown_praise(reviews: pd.DataFrame, names: pd.Series, part: str) -> dict[str, dict[str, list[str]]]:
    """For the two rules ``part`` (one of ``PARTS``) compares, in order, the praise each of its items shows."""
    per_rule = {rule: item_sentiment(reviews, **RULES[rule]).set_index("item_id") for rule in PARTS[part]}
    gate = item_sentiment(reviews, **RULES["before"]).set_index("item_id")
    gated = gate.index[
        (gate["n_reviews"] >= MIN_REVIEWS_REASON) & (gate["positive_share"] >= MIN_POSITIVE_SHARE_REASON)
    ]
    sample = sorted(gated)
    random.Random(SEED).shuffle(sample)
    start = list(PARTS).index(part) * ITEMS_PER_PART
    items = sample[start : start + ITEMS_PER_PART]
    return {
        rule: {
            item: (_beyond_exact_name if rule == "before" else beyond_name)(
                list(per_rule[rule].at[item, "positive_aspects"]), names[item]
            )
            for item in items
        }
        for rule in PARTS[part]
    }


def _beyond_exact_name(phrases, name: str) -> list[str]:
    """The rule before: a phrase is left out only where its every word is, exactly, a word of the name."""
    name_words = set(name.lower().split())
    return [phrase for phrase in phrases if not set(phrase.split()) <= name_words]


def write_sheet(shown: dict[str, dict[str, list[str]]], reviews: pd.DataFrame, names: pd.Series, path: Path) -> None:
    """One line per (item, phrase) any rule shows, in a shuffled order that hides which rule shows it, with the
    item's shown name and two of its positive reviews that use the phrase, for reading."""
    positive = reviews[reviews["label"] == "positive"]
    texts = (positive["title"].fillna("") + ". " + positive["text"].fillna("")).groupby(positive["item_id"]).agg(list)
    lines = []
    for item in next(iter(shown.values())):
        phrases = sorted({phrase for rule in shown.values() for phrase in rule[item]})
        for phrase in phrases:
            uses = [text for text in texts.get(item, []) if phrase in text.lower()][:2]
            lines.append({"item_id": item, "name": names[item], "phrase": phrase, "reviews": uses, "names_item": None})
    random.Random(SEED).shuffle(lines)
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    print(f"{len(lines)} phrases of {len(next(iter(shown.values())))} items written to {path}")


def score(shown: dict[str, dict[str, list[str]]], labels_path: Path) -> None:
    """Each rule's share of shown phrases that name nothing of the item, against the labels."""
    labels = {(row["item_id"], row["phrase"]): row["names_item"] for row in map(json.loads, labels_path.open())}
    items = list(next(iter(shown.values())))
    missing = [(item, p) for rule in shown.values() for item in items for p in rule[item] if (item, p) not in labels]
    if missing:
        raise SystemExit(f"{len(missing)} shown phrases have no label in {labels_path}, e.g. {missing[:3]}")
    bad_share = {}
    print(f"{len(items)} items; share of shown phrases naming nothing of the item, 95% bootstrap CI over items")
    print(f"{'rule':32} {'phrases':>8} {'not the item':>13} {'share':>7} {'95% CI':>15} {'no praise':>10}")
    for rule, praise in shown.items():
        counts = np.array([len(praise[item]) for item in items], dtype=np.float64)
        bad = np.array([sum(not labels[item, p] for p in praise[item]) for item in items], dtype=np.float64)
        share = np.divide(bad, counts, out=np.zeros_like(bad), where=counts > 0)
        bad_share[rule] = share
        low, high = bootstrap_mean_interval(share[counts > 0])
        print(
            f"{rule:32} {int(counts.sum()):>8} {int(bad.sum()):>13} {share[counts > 0].mean():>7.3f} "
            f"{f'{low:.3f}-{high:.3f}':>15} {int((counts == 0).sum()):>10}"
        )
    before, after = shown
    resampled = paired_bootstrap_means(bad_share)
    low, high = percentile_interval(resampled[after] - resampled[before])
    print(f"paired change in the per-item share (all items, none counted 0): {low:+.3f} to {high:+.3f}")
    lost = [(item, p) for item in items for p in shown[before][item] if labels[item, p] and p not in shown[after][item]]
    print(f"phrases naming the item that the {after} rule no longer shows: {len(lost)} {lost[:10]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpora", type=Path, default=Path(os.environ.get("LONGTAIL_CORPORA_DIR", "../shared/corpora"))
    )
    parser.add_argument("--part", choices=list(PARTS), default="heldout4")
    parser.add_argument("--sheet", type=Path, help="write the labelling sheet here")
    parser.add_argument("--labels", type=Path, help="score both rules against these labels")
    args = parser.parse_args()
    reviews, names = clothing_reviews(args.corpora)
    shown = shown_praise(reviews, names, args.part)
    if args.sheet:
        write_sheet(shown, reviews, names, args.sheet)
    if args.labels:
        score(shown, args.labels)


if __name__ == "__main__":
    main()
