"""Small source files and a throw-away LONGTAIL_HOME for asset, sensor and CLI tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from longtail.warehouse import fetch_one
from resources.landing import LandingResource
from resources.warehouse import WarehouseResource

EVENTS_CSV = """user_id,item_id,event_type,ts,quantity,price,order_id
u1,i1,purchase,2024-03-01T10:00:00Z,2,3.5,o1
u1,i2,purchase,2024-03-01T10:00:00Z,1,12.0,o1
u2,i1,purchase,2024-03-02T09:30:00Z,1,3.5,o2
u2,i1,purchase,2024-03-02T09:30:00Z,1,3.5,o2
u3,i3,purchase,2024-03-03T18:00:00Z,-1,3.5,C3
,i2,purchase,2024-03-03T18:05:00Z,1,12.0,o4
u4,POST,purchase,2024-03-03T18:05:00Z,1,18.0,o5
"""

ITEMS_CSV = """item_id,title,description,category,brand,price
i1,Tea mug,A <b>sturdy</b> mug &amp; saucer,Home > Kitchen,Acme,$3.50
i2,Kettle,,Home > Kitchen,Acme,12.00
i3,"<span class=\"\"a-size-medium\"\"",Slow cooker,Home > Kitchen,,
POST,POSTAGE,,,,18.00
"""

REVIEWS = [
    {
        "review_id": "r1",
        "user_id": "u1",
        "item_id": "i1",
        "rating": 5,
        "title": "Great",
        "text": "Lovely mug",
        "ts": "2024-03-05T00:00:00Z",
    },
    {
        "review_id": "r2",
        "user_id": "u2",
        "item_id": "i1",
        "rating": 1,
        "title": "Broke",
        "text": "Cracked in a week",
        "ts": "2024-03-06T00:00:00Z",
    },
    {
        "review_id": "r3",
        "user_id": "u3",
        "item_id": "i2",
        "rating": 9,
        "title": "??",
        "text": "odd rating",
        "ts": "2024-03-06T00:00:00Z",
    },
]


def write_events(path: Path, text: str = EVENTS_CSV) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def write_items(path: Path, text: str = ITEMS_CSV) -> Path:
    return write_events(path, text)


def write_reviews(path: Path, rows: list[dict] = REVIEWS) -> Path:
    return write_events(path, "".join(json.dumps(row) + "\n" for row in rows))


@dataclass
class Home:
    """A LONGTAIL_HOME in a temporary folder, with resources pointing into it."""

    root: Path

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def warehouse_path(self) -> Path:
        return self.root / "warehouse.duckdb"

    def resources(self) -> dict[str, dg.ConfigurableResource]:
        return {
            "landing": LandingResource(path=str(self.landing)),
            "warehouse": WarehouseResource(path=str(self.warehouse_path), lock_timeout_s=60),
        }

    def warehouse(self) -> WarehouseResource:
        return self.resources()["warehouse"]

    def drop_shop_files(self) -> None:
        write_events(self.landing / "shop" / "events.csv")
        write_items(self.landing / "shop" / "items.csv")
        write_reviews(self.landing / "shop" / "reviews.jsonl")

    def count(self, sql: str, params: list | None = None) -> int:
        with self.warehouse().connect() as connection:
            return fetch_one(connection, sql, params)[0]
