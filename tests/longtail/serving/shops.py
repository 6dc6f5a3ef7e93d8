"""A small shop for the serving tests: 12 items in two categories with prices and vectors, 4 users, lists; and
the API over a snapshot of it whose customers are pseudonyms, as ingestion stores them."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from fastapi import FastAPI

from longtail.privacy.pseudonyms import Pseudonyms
from longtail.recommend.explanations import reason_text
from longtail.recommend.serving import COLD_START_USER, LIST_COLUMNS
from longtail.serving.api import create_app
from longtail.serving.shop_tables import shop_tables
from longtail.serving.snapshot import ShopTables, publish_snapshot

PSEUDONYMS = Pseudonyms(b"the serving tests' id key")

TITLES = [
    "WHITE HANGING HEART T-LIGHT HOLDER",
    "RED HANGING HEART T-LIGHT HOLDER",
    "SCENTED CANDLE LAVENDER",
    "SCENTED CANDLES ROSE BOX",
    "JUMBO BAG RED RETROSPOT",
    "JUMBO BAG VINTAGE LEAF",
    "LUNCH BAG PINK POLKADOT",
    "CERAMIC TEA CUP AND SAUCER",
    "TEA CUP ROSE DESIGN",
    "GLASS JAR ENGLISH SWEETS",
    "GIFT WRAP CHRISTMAS SANTA",
    "WOODEN ADVENT CALENDAR",
]
CATEGORIES = (
    ["home > lights"] * 2
    + ["home > candles"] * 2
    + ["bags"] * 3
    + ["kitchen > cups"] * 2
    + [
        "kitchen > jars",
        "christmas",
        "christmas",
    ]
)
# The reason recommendation_lists gives u1's cached items: customers who bought the first title also bought them.
BOUGHT_REASON = reason_text("bought", TITLES[0], True)
PRICES = [2.95, 2.95, 4.5, 12.0, 1.95, 1.95, 1.65, 3.25, 2.1, 5.0, 0.42, 19.95]


def item_ids() -> list[str]:
    return [f"I{i:02d}" for i in range(len(TITLES))]


def vectors(dim: int = 8, seed: int = 0) -> np.ndarray:
    """Unit vectors: items of the same category point close together."""
    rng = np.random.default_rng(seed)
    centres = {category: rng.normal(size=dim) for category in sorted(set(CATEGORIES))}
    rows = np.array([centres[category] + 0.3 * rng.normal(size=dim) for category in CATEGORIES])
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def small_shop(customer_id: Callable[[str], str] = lambda raw_id: raw_id) -> ShopTables:
    """The shop, its customers u1 to u4 stored as ``customer_id`` of each (e.g. their pseudonyms, as ingestion
    stores them; default: as they are)."""
    ids = item_ids()
    items = pd.DataFrame(
        {
            "item_id": ids,
            "title": TITLES,
            "category": CATEGORIES,
            "price": PRICES,
            "currency": "GBP",
            "description": None,
        }
    )
    # u1 buys lights and a cup, u2 bags, u3 candles, u4 everything of the kitchen; item I04 is everyone's.
    bought = {"u1": [0, 1, 7, 4], "u2": [4, 5, 6], "u3": [2, 3, 4], "u4": [7, 8, 9, 4]}
    stored_ids = {raw_id: customer_id(raw_id) for raw_id in bought}
    interactions = pd.DataFrame(
        [
            {"user_id": stored_ids[user], "item_id": ids[row], "price": PRICES[row]}
            for user, rows in bought.items()
            for row in rows
        ]
    )
    lists = pd.DataFrame(
        [
            {"user_id": stored_ids["u1"], "rank": rank, "item_id": ids[row], "score": 1.0 - rank / 10, "is_tail": True,
             "reason_kind": "bought", "anchor_item_id": ids[0], "title": TITLES[row], "reason": BOUGHT_REASON}
            for rank, row in enumerate([2, 8, 3, 11], start=1)
        ]
        + [
            {"user_id": COLD_START_USER, "rank": rank, "item_id": ids[row], "score": np.nan, "is_tail": False,
             "reason_kind": "popular", "anchor_item_id": None, "title": TITLES[row], "reason": "popular now"}
            for rank, row in enumerate([4, 7, 0], start=1)
        ]
    )  # fmt: skip
    neighbours = pd.DataFrame(
        {"item_id": [ids[0], ids[0], ids[2]], "neighbour_id": [ids[1], ids[3], ids[3]], "rank": [1, 2, 1],
         "score": [0.9, 0.5, 0.8]}
    )  # fmt: skip
    sentiment = pd.DataFrame(
        {"item_id": [ids[2]], "n_reviews": [5], "positive_share": [0.8], "positive_aspects": [["scent", "value"]]}
    )
    return shop_tables(
        interactions,
        items,
        lists[LIST_COLUMNS],
        item_vectors=(np.array(ids), vectors()),
        neighbours=neighbours,
        item_sentiment=sentiment,
        settings={"recommendation": "{}"},
    )


def fake_encode(texts, dim: int = 8) -> np.ndarray:
    """Deterministic unit rows for tests: each word hashed into one of ``dim`` buckets; no words -> the first axis."""
    rows = np.zeros((len(texts), dim), dtype=np.float32)
    for row, text in zip(rows, texts):
        for word in re.findall(r"[a-z0-9]+", text.lower()):
            row[int(hashlib.sha256(word.encode()).hexdigest(), 16) % dim] += 1.0
        norm = np.linalg.norm(row)
        if norm > 0:
            row /= norm
        else:
            row[0] = 1.0
    return rows


def pseudonymous_app(folder: Path, datasets: tuple[str, ...], **options) -> FastAPI:
    """The API (``create_app`` with ``options``) over a snapshot ``v1`` in ``folder / "serving"`` holding the small
    shop as each of ``datasets``, its customers stored as their ``PSEUDONYMS``; feedback lands in
    ``folder / "landing"``."""
    shops = {
        dataset: small_shop(lambda raw_id, dataset=dataset: PSEUDONYMS.user(dataset, raw_id)) for dataset in datasets
    }
    publish_snapshot(folder / "serving", shops, version="v1")
    options = {"encode": fake_encode, "check_every_s": 0.0, **options}
    return create_app(folder / "serving", folder / "landing", pseudonyms=PSEUDONYMS, **options)
