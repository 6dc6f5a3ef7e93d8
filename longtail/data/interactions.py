"""Implicit feedback of one dataset: who interacted with what, and when, as a frame and as a sparse matrix.

An interaction is any cleaned event (purchase, rating, view, ...) or review: a review says the user bought and
used the item, which matters for review-only datasets such as the Amazon 5-core files. Amazon shows a product's
reviews on the page of each of its sizes and colours, and its review files repeat them under each id (5,269 beauty
reviews are 1,379 reviews), so a review repeated under several ids is one interaction, not a purchase of each.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import scipy.sparse as sp

from longtail.data.warehouse import table_exists

INTERACTION_COLUMNS = ["user_id", "item_id", "ts", "price", "order_id", "source"]


def load_interactions(connection: duckdb.DuckDBPyConnection, dataset: str) -> pd.DataFrame:
    """Cleaned events and reviews of ``dataset`` with ``INTERACTION_COLUMNS`` (``source`` is "event" or
    "review"), sorted by time; empty when the dataset has neither."""
    sql = interactions_sql(connection)
    if sql is None:
        return pd.DataFrame(columns=INTERACTION_COLUMNS)
    return connection.sql(sql, params={"d": dataset}).df()


# A review as text that is the same for each copy of it: its author, its day (UTC) and its words, case and spacing
# aside; null for a review without words, which is no copy of another. The casts hold where a table written with no
# reviews has untyped (NULL) columns, as the Spark engine's cleaning leaves them.
SAME_REVIEW_SQL = (
    "case when nullif(trim(text::varchar), '') is null then null else user_id::varchar || '|' || "
    "strftime(timezone('UTC', ts::timestamptz), '%Y-%m-%d') || '|' || "
    "lower(regexp_replace(trim(text::varchar), '\\s+', ' ', 'g')) end"
)


def interactions_sql(connection: duckdb.DuckDBPyConnection) -> str | None:
    """The query of ``load_interactions`` (the dataset is its parameter ``$d``); None before any cleaned events or
    reviews exist.

    A review with copies under other ids (``SAME_REVIEW_SQL``) counts once, under the id with the fewest reviews,
    then the smallest: that is the most specific page, where a page that gathers several products' reviews holds
    more."""
    parts = []
    if table_exists(connection, "cleaned_events"):
        parts.append(
            "select user_id, item_id, ts, price, order_id, 'event' as source from cleaned_events where dataset = $d"
        )
    if table_exists(connection, "cleaned_reviews"):
        parts.append(
            "select user_id, item_id, ts, null::double as price, null::varchar as order_id, 'review' as source "
            f"from (select user_id, item_id, ts, {SAME_REVIEW_SQL} as review, "
            "count(*) over (partition by item_id) as item_reviews "
            "from cleaned_reviews where dataset = $d and ts is not null) "
            "qualify review is null or row_number() over (partition by review order by item_reviews, item_id) = 1"
        )
    return " union all ".join(f"({part})" for part in parts) + " order by ts, user_id, item_id" if parts else None


# The reviews of the dataset ``$d`` that have words, as ``item_id, review`` (``SAME_REVIEW_SQL``): the input of
# ``longtail.recommend.cards.review_products``.
REVIEW_COPIES_SQL = (
    f"select item_id, {SAME_REVIEW_SQL} as review from cleaned_reviews "
    "where dataset = $d and ts is not null and nullif(trim(text::varchar), '') is not null"
)


def datasets_with_interactions(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """Every dataset with at least one cleaned event or review, sorted."""
    names: set[str] = set()
    for table in ("cleaned_events", "cleaned_reviews"):
        if table_exists(connection, table):
            names.update(row[0] for row in connection.execute(f"select distinct dataset from {table}").fetchall())
    return sorted(names)


def with_order_numbers(interactions: pd.DataFrame) -> pd.DataFrame:
    """``interactions`` plus ``order_number``: each user's orders numbered 1, 2, ... by time (an order is an
    ``order_id``, or a distinct timestamp where there is none), e.g. Instacart's ordinal time."""
    order_key = interactions["order_id"].astype("string").fillna(interactions["ts"].astype("string"))
    keyed = interactions.assign(_order=order_key)
    keyed["_order_ts"] = keyed.groupby(["user_id", "_order"], sort=False)["ts"].transform("min")
    keyed = keyed.sort_values(["user_id", "_order_ts", "_order"], kind="stable")
    starts_order = (keyed["_order"] != keyed["_order"].shift()) | (keyed["user_id"] != keyed["user_id"].shift())
    keyed["order_number"] = starts_order.astype("int64").groupby(keyed["user_id"]).cumsum()
    return keyed.drop(columns=["_order", "_order_ts"]).loc[interactions.index]


# The ordinal time of the next-basket protocol: each user's orders counted back from their latest.
ORDER_FROM_LAST = "order_from_last"


def with_orders_from_last(interactions: pd.DataFrame) -> pd.DataFrame:
    """``interactions`` plus ``order_number`` (see ``with_order_numbers``) and ``order_from_last``: 0 on each user's
    latest order, -1 on the one before, and so on. On this time every user's last order falls at the same moment,
    so one cut at 0 holds out each user's last basket (the standard protocol for Instacart, whose users order at
    their own pace), and a half-life in orders means the same for every user."""
    numbered = with_order_numbers(interactions)
    latest = numbered.groupby("user_id", sort=False)["order_number"].transform("max")
    return numbered.assign(**{ORDER_FROM_LAST: numbered["order_number"] - latest})


@dataclass(frozen=True)
class InteractionMatrix:
    """``matrix[u, i]`` = number of interactions of user ``user_ids[u]`` with item ``item_ids[i]`` (float32 csr)."""

    user_ids: np.ndarray
    item_ids: np.ndarray
    matrix: sp.csr_matrix


def interaction_matrix(interactions: pd.DataFrame, item_ids: np.ndarray | None = None) -> InteractionMatrix:
    """Users (sorted) x items; ``item_ids`` fixes the item axis (e.g. the embedded catalogue), dropping
    interactions with other items; by default every interacted item, sorted."""
    user_codes, user_ids = pd.factorize(interactions["user_id"].to_numpy(), sort=True)
    if item_ids is None:
        item_codes, item_ids = pd.factorize(interactions["item_id"].to_numpy(), sort=True)
    else:
        item_codes = pd.Index(item_ids).get_indexer(interactions["item_id"].to_numpy())
    known = item_codes >= 0
    matrix = sp.csr_matrix(
        (np.ones(int(known.sum()), dtype=np.float32), (user_codes[known], item_codes[known])),
        shape=(len(user_ids), len(item_ids)),
    )
    matrix.sum_duplicates()
    return InteractionMatrix(np.asarray(user_ids), np.asarray(item_ids), matrix)
