"""Shared data of the language tests: a toy review corpus whose label is given by its opinion words, the fake
encoder, and a small catalogue with every kind of missing, short and junk description."""

import itertools

import numpy as np
import pandas as pd

from resources.models import FakeEmbeddingModelResource

ENCODE = FakeEmbeddingModelResource(dim=64).encode
WORDS = {
    "negative": ["awful", "broken", "refund", "useless"],
    "neutral": ["okay", "average", "mediocre", "fine"],
    "positive": ["wonderful", "excellent", "superb", "delightful"],
}
NOUNS = ["lamp", "kettle", "scarf", "magazine", "shampoo"]


def toy_corpus() -> tuple[list[str], list[str], list[str]]:
    """Texts whose label is given by their opinion words: (texts, labels, item ids), 20 per label."""
    texts, labels, items = [], [], []
    for label, words in WORDS.items():
        for (first, second), noun in itertools.product(itertools.combinations(words, 2), NOUNS[:4]):
            texts.append(f"the {noun} is {first} and {second}")
            labels.append(label)
            items.append(noun)
    return texts, labels, items


def unseen_texts() -> tuple[list[str], list[str]]:
    texts = [f"my {NOUNS[4]} was {words[0]} really {words[3]}" for words in WORDS.values()]
    return texts, list(WORDS)


def reviews_frame(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["dataset", "item_id", "rating", "title", "text", "ts"])
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    return frame


JUNK_TITLE = '<span class="a-size-medium a-color-secondary"'


def items_frame(**columns) -> pd.DataFrame:
    base = {
        "item_id": ["a", "b", "c", "d", "e", "f"],
        "title": [JUNK_TITLE, "Natural Health", None, "Heart &amp; <i>Home</i>", "", "Garden pad"],
        "description": [
            None,
            "   ",
            "Short text.",
            '<span class="x">',
            "@@@@ 1234 5678 #### %%%% ^^^^ ----- 12",
            '["Covers gardening in the Chicago area,", "with tips for every season."]',
        ],
        "category": ["Magazine Subscriptions > Fashion & Style", None, "Home", "Home", "Garden", "Garden > Tools"],
        "brand": ["Conde Nast Publications", None, None, "Brightside", None, "Acme"],
        "price": [np.nan, 12.99, np.nan, 2.55, np.nan, 4.0],
    }
    base.update(columns)
    return pd.DataFrame(base)
