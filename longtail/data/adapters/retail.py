"""UCI Online Retail (2010-2011) and Online Retail II (2009-2011): one record per invoice line.

Columns (original / II naming): ``InvoiceNo``/``Invoice`` (6 digits; a leading "C" marks a cancellation),
``StockCode``, ``Description``, ``Quantity`` (units, negative on cancellations), ``InvoiceDate`` (local time with
no zone: "2009-12-01 07:45:00", an Excel date, or "12/1/2010 8:26" month first), ``UnitPrice``/``Price`` (GBP per
unit), ``CustomerID``/``Customer ID`` (often blank), ``Country``. Read from xlsx (every sheet), csv or parquet.

Emits events (one "purchase" per line, Invoice as ``order_id``) and items (one per distinct
(StockCode, Description) pair, as the same code carries several descriptions), priced in sterling (``currency``
"GBP").
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pandas as pd

from longtail.data.adapters.common import Format, Tables
from longtail.data.adapters.files import read_records
from longtail.data.adapters.records import Records
from longtail.data.schema import conform_raw_frame

_KINDS = frozenset({"xlsx", "csv", "parquet"})
# Naive InvoiceDate texts: ISO ("2009-12-01 07:45:00") and the month-first form of the UCI csv exports.
_DATE_FORMATS = ("ISO8601", "%m/%d/%Y %H:%M")
_ORIGINAL = {"invoice": "InvoiceNo", "price": "UnitPrice", "customer": "CustomerID"}
_SECOND = {"invoice": "Invoice", "price": "Price", "customer": "Customer ID"}


def read_retail(path: Path, timezone: str, *, names: dict[str, str]) -> Tables:
    """Events and items of an Online Retail file whose invoice, price and customer columns are ``names``."""
    records = read_records(path)
    item_ids = _product_codes(records.ident("StockCode"))
    events = records.finish(
        "events",
        {
            "user_id": records.ident(names["customer"]),
            "item_id": item_ids,
            "event_type": "purchase",
            "ts": records.timestamp("InvoiceDate", timezone, _DATE_FORMATS),
            "quantity": records.number("Quantity"),
            "price": records.number(names["price"]),
            "order_id": records.ident(names["invoice"]),
        },
    )
    return {"events": events, "items": _items(records, item_ids, names["price"])}


# A product code whose variant letters are in lower case ("84558a"): Online Retail II's 2009-2010 sheet books 1,424
# lines under 151 such codes, all without a customer, at the price it asks of those; 148 of the codes share a title
# with their upper-case code ("84558A", 3D DOG PICTURE PLAYING CARDS). Read apart, each was a second item with no buyer,
# served beside its twin at another price.
_LOWER_CASE_VARIANT = r"^(\d{5})([a-z]+)$"


def _product_codes(codes: pd.Series) -> pd.Series:
    """``codes`` with the variant letters of a product code in upper case: "84558a" -> "84558A". Other codes stay as
    found ("gift_0001_10", "m": not products, and told apart by ``cleaning.DEFAULT_NON_PRODUCT_CODES``)."""
    return codes.str.replace(_LOWER_CASE_VARIANT, lambda match: match.group(1) + match.group(2).upper(), regex=True)


def _items(records: Records, item_ids: pd.Series, price_column: str) -> pd.DataFrame:
    """One item per distinct (StockCode, Description): ``title`` is the Description as found, ``price`` the most
    frequent price text of its lines at a price above zero (ties: the earliest), else of all its lines (Online Retail
    books adjustments of a product at 0: one at 0 and one sale at 2.55 is a product at 2.55), ``source_count`` its
    lines, ``source_row`` its first."""
    lines = pd.DataFrame(
        {
            "item_id": item_ids,
            "title": records.text("Description"),
            "price": records.text(price_column),
            "source_row": records.source_row,
        }
    )
    lines = lines[lines["item_id"].notna()]
    # A line without a description is a pair of its own; the key spells its null title out, as a join matches no
    # null key (those pairs, Online Retail's stock adjustments at price 0, lost their price and passed for items).
    lines = lines.assign(title_key=lines["title"].fillna("\0"))
    pair = ["item_id", "title_key"]
    items = lines.groupby(pair, sort=False).agg(
        title=("title", "first"), source_row=("source_row", "min"), source_count=("source_row", "size")
    )
    prices = (
        lines.groupby([*pair, "price"], dropna=False, sort=False)
        .agg(n=("source_row", "size"), first=("source_row", "min"))
        .reset_index()
        .assign(on_sale=lambda frame: pd.to_numeric(frame["price"], errors="coerce").gt(0))
        .sort_values(["on_sale", "n", "first"], ascending=[False, False, True], kind="stable")
        .drop_duplicates(pair)
        .set_index(pair)["price"]
    )
    items = items.join(prices).reset_index().sort_values("source_row", kind="stable")
    # The UCI documentation: "Product price per unit in sterling".
    return conform_raw_frame("items", items.drop(columns="title_key").assign(currency="GBP"))


FORMATS = [
    Format(
        name="uci_online_retail",
        description="UCI Online Retail invoice lines (InvoiceNo, UnitPrice, CustomerID): xlsx, csv or parquet",
        kinds=_KINDS,
        signature=frozenset({"InvoiceNo", "StockCode"}),
        required=("InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"),
        read=partial(read_retail, names=_ORIGINAL),
        default_timezone="Europe/London",
    ),
    Format(
        name="uci_online_retail_ii",
        description="UCI Online Retail II invoice lines (Invoice, Price, Customer ID): xlsx, csv or parquet",
        kinds=_KINDS,
        signature=frozenset({"Invoice", "StockCode"}),
        required=("Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID"),
        read=partial(read_retail, names=_SECOND),
        default_timezone="Europe/London",
    ),
]
