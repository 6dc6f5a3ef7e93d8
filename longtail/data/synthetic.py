"""A seeded synthetic shop for scale tests: canonical events and items (docs/data.md) shaped like a long-tail shop,
with the dirty rows real exports carry, generated in chunks so that tens of millions of events fit in memory.

    shop = synthetic_shop(100_000, seed=1)                      # small: both tables as frames
    files = write_synthetic_shop(landing / "synthetic", 10_000_000)  # large: landing files, 1M events each

The shape, with its defaults scaled from ``n_events`` (each a module constant):

- **Users**: ``n_events / 20`` (``EVENTS_PER_USER``): about five orders of four items per customer over two years,
  a consumer shop. (Online Retail II has about 170 lines per customer, being wholesale; Amazon's review data about
  five reviews per user.) A user's activity is a lognormal weight (``USER_ACTIVITY_SIGMA`` 1.2): the busiest tenth
  of the users who order place over 40% of the orders, half of them three orders or fewer, the busiest hundreds;
  a fifth of the users never order.
- **Items** (``longtail.data.synthetic_catalogue``): ``n_events / 20`` (``EVENTS_PER_ITEM``), a marketplace's wide
  catalogue (Amazon Reviews 2018: about 15 reviews per product) rather than a wholesaler's narrow one (Online Retail
  II: about 200 lines per product). Popularity is Zipf-like (Zipf-Mandelbrot), ``p(rank r) ~ (r + 5) ** -1.1``
  (``ZIPF_EXPONENT``, ``ZIPF_OFFSET``) over a random ranking of the items. Measured on the purchases: the top fifth
  of the items take 79% of them at 100k events and 87% at 1M, and a majority of the catalogue is bought five times
  or fewer (54% of the items at 100k events, 59% at 200k, 69% at 1M; the law gives 80% at 10M). The offset flattens
  the head only: the best seller takes 2% of the purchase lines (Instacart's bananas: 1.5%) where a pure
  ``r ** -1.1`` gives it 14%. A narrower catalogue would have no long tail: at ``n_events / 250`` the least popular
  item would still be bought a dozen times at 1M events.
- **Orders**: geometric basket sizes (1, 2, ...) with mean 4 (``MEAN_BASKET``), no item twice in one order. Each order
  leans on one category (the user's favourite with probability ``FAVOURITE_CATEGORY_SHARE``, else one drawn by
  popularity) and takes each line from it with probability ``SAME_CATEGORY_SHARE``, so items co-occur by
  category and the collaborative neighbours have structure to find; the item marginal stays the Zipf law.
  Orders fall uniformly over the two years from ``START`` (UTC), at hours of a daytime profile; quantity is
  ``Geometric(0.6)`` (mean 1.7), price the item's list price.
- **Event types**: ``VIEW_SHARE`` (10%) of the rows are views, each a look at an ordered item or another of its
  category up to two hours before the order; the rest are purchases.
- **Catalogue text**: titles and descriptions built from word lists per department, categories "Department >
  Shelf", brands from syllables, lognormal prices. Thin and junk text as real catalogues have: 12% of the items
  without description, 4% titled by an ALLCAPS code ("KX-4821 BLK") and no description, 2% of the titles wrapped
  in HTML, 5% without brand.
- **Dirty rows** (``DIRTY_SHARE``, 0.5% of the events, split evenly over ``DIRTY_EVENT_RULES``, see
  ``dirty_event_counts``), each caught by exactly the cleaning rule it is named after: cancellations (order id
  "C..." with a negative quantity, as Online Retail writes them), returns (non-positive quantity), non-product
  lines (POST, DOT, M, BANK CHARGES, AMAZONFEE, CRUK), zero prices, exact copies of another row, and the epoch-zero
  timestamp of a broken export. The items carry the non-product codes' rows and a duplicate, thinner row of 0.5%
  of the items (``DUPLICATE_ITEM_SHARE``).

Everything is vectorised numpy and deterministic for a seed: the catalogue and users come from the seed, chunk
``i`` of the events from ``(seed, i)``, so the same arguments give the same rows. Two
views of one user and item in the same second (once in millions of rows, as in real logs) are left as they fall,
and quarantined as duplicates like any other.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from longtail.data.synthetic_catalogue import CATALOGUE_STREAM, Catalogue, catalogue_text

EVENTS_PER_USER = 20
EVENTS_PER_ITEM = 20
MIN_USERS, MIN_ITEMS = 10, 20
USER_ACTIVITY_SIGMA = 1.2
MEAN_BASKET = 4.0
FAVOURITE_CATEGORY_SHARE = 0.7
SAME_CATEGORY_SHARE = 0.75
QUANTITY_P = 0.6
VIEW_SHARE = 0.1
DIRTY_SHARE = 0.005
DUPLICATE_ITEM_SHARE = 0.005
CHUNK_EVENTS = 1_000_000
START = pd.Timestamp("2023-01-01", tz="UTC")
DAYS = 730
FIRST_ORDER = 100_000

# In the order the cleaning rules check them (longtail.data.cleaning.EVENT_RULES), so each row's first rule is its own.
DIRTY_EVENT_RULES = (
    "invalid_timestamp", "cancellation", "non_positive_quantity", "non_product_code", "non_positive_price",
    "duplicate_event",
)  # fmt: skip
# Online Retail's lines that are not products (all in cleaning.DEFAULT_NON_PRODUCT_CODES), with their titles.
NON_PRODUCTS = {
    "POST": "POSTAGE",
    "DOT": "DOTCOM POSTAGE",
    "M": "Manual",
    "BANK CHARGES": "Bank Charges",
    "AMAZONFEE": "AMAZON FEE",
    "CRUK": "CRUK Commission",
}
BAD_TS_NS = 0  # 1970-01-01T00:00Z: what a missing date becomes in a careless export

# Relative order rates by hour of day (UTC): quiet nights, a midday and an evening peak.
HOUR_WEIGHTS = np.array([1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 9, 10, 10, 9, 8, 8, 8, 9, 10, 11, 10, 7, 4, 2], dtype=np.float64)

# Independent random streams of one seed (the catalogue's is ``CATALOGUE_STREAM``, 0).
_USERS_STREAM, _EVENTS_STREAM = 1, 2
_NS_PER_SECOND = 1_000_000_000


@dataclass(frozen=True)
class SyntheticShop:
    """A whole synthetic shop in memory: ``events`` and ``items`` as canonical frames (events as
    ``iter_synthetic_events`` yields them; items: item_id, title, description, category, brand, price), and the
    dirty rows each holds, by the cleaning rule expected to quarantine them."""

    events: pd.DataFrame
    items: pd.DataFrame
    dirty_events: dict[str, int]
    dirty_items: dict[str, int]


@dataclass(frozen=True)
class SyntheticFiles:
    """The landing files ``write_synthetic_shop`` wrote: ``event_files`` (``chunk_events`` rows each, Parquet),
    ``items_file`` (Parquet), and the dirty rows as in ``SyntheticShop``."""

    event_files: list[Path]
    items_file: Path
    n_events: int
    dirty_events: dict[str, int]
    dirty_items: dict[str, int]


def shop_size(n_events: int, n_users: int | None = None, n_items: int | None = None) -> tuple[int, int]:
    """``(n_users, n_items)``: those given, else scaled from ``n_events`` (module docstring)."""
    if n_events < 1:
        raise ValueError(f"n_events must be at least 1, got {n_events!r}")
    users = n_users if n_users is not None else max(MIN_USERS, n_events // EVENTS_PER_USER)
    items = n_items if n_items is not None else max(MIN_ITEMS, n_events // EVENTS_PER_ITEM)
    if users < 1 or items < 1:
        raise ValueError(f"n_users and n_items must be at least 1, got {users} and {items}")
    return users, items


def dirty_event_counts(n_rows: int, dirty_share: float = DIRTY_SHARE) -> dict[str, int]:
    """The dirty rows a chunk of ``n_rows`` events gets: ``round(n_rows * dirty_share)`` rows split evenly over
    ``DIRTY_EVENT_RULES`` (the first rules take the remainder); rule -> rows."""
    total = round(n_rows * dirty_share)
    share, extra = divmod(total, len(DIRTY_EVENT_RULES))
    return {rule: share + (index < extra) for index, rule in enumerate(DIRTY_EVENT_RULES)}


def synthetic_items(n_items: int, *, seed: int = 0) -> tuple[pd.DataFrame, dict[str, int]]:
    """The catalogue of ``n_items`` items (ids "SKU0000000" onwards) plus its dirty rows (the non-product codes, and
    duplicates appended after the items): the canonical items frame, and its dirty rows by expected rule."""
    catalogue = Catalogue.build(n_items, seed)
    rng = np.random.default_rng([seed, CATALOGUE_STREAM, 1])
    items = catalogue_text(catalogue, rng)
    n_duplicates = max(1, round(n_items * DUPLICATE_ITEM_SHARE))
    # A thinner copy (no description, no brand) of some items: the complete row wins, the copy is the duplicate.
    copies = items.iloc[np.sort(rng.choice(n_items, size=min(n_duplicates, n_items), replace=False))]
    copies = copies.assign(description=pd.NA, brand=pd.NA)
    non_products = pd.DataFrame({"item_id": list(NON_PRODUCTS), "title": list(NON_PRODUCTS.values())})
    non_products = non_products.assign(description=pd.NA, category=pd.NA, brand=pd.NA, price=18.0)
    frame = pd.concat([items, non_products, copies], ignore_index=True)
    frame = frame.astype({"item_id": "string", "title": "string", "description": "string", "category": "string",
                          "brand": "string", "price": "float64"})  # fmt: skip
    return frame, {"non_product_code": len(non_products), "duplicate_item": len(copies)}


def iter_synthetic_events(
    n_events: int,
    *,
    seed: int = 0,
    n_users: int | None = None,
    n_items: int | None = None,
    view_share: float = VIEW_SHARE,
    dirty_share: float = DIRTY_SHARE,
    chunk_events: int = CHUNK_EVENTS,
) -> Iterator[pd.DataFrame]:
    """The ``n_events`` events of the shop, ``chunk_events`` rows at a time (the last chunk holds the rest), each
    chunk a canonical events frame (the columns and dtypes of ``RAW_EVENT_DTYPES`` but ``rating``; rows sorted by
    ``ts``, the broken timestamps aside) with ``dirty_event_counts(len(chunk), dirty_share)`` dirty rows. Order ids
    are unique across chunks; a chunk of 1M rows takes about 270 MB."""
    if not 0 <= view_share < 0.5:
        raise ValueError(f"view_share must be in [0, 0.5), got {view_share!r}")
    if not 0 <= dirty_share <= 0.1:
        raise ValueError(f"dirty_share must be in [0, 0.1], got {dirty_share!r}")
    n_users, n_items = shop_size(n_events, n_users, n_items)
    catalogue = Catalogue.build(n_items, seed)
    users = _Users.build(n_users, catalogue, seed)
    next_order = FIRST_ORDER
    for index, start in enumerate(range(0, n_events, chunk_events)):
        rng = np.random.default_rng([seed, _EVENTS_STREAM, index])
        size = min(chunk_events, n_events - start)
        chunk, n_orders = _event_chunk(size, rng, catalogue, users, next_order, view_share, dirty_share)
        next_order += n_orders
        yield chunk


def synthetic_shop(
    n_events: int,
    *,
    seed: int = 0,
    n_users: int | None = None,
    n_items: int | None = None,
    view_share: float = VIEW_SHARE,
    dirty_share: float = DIRTY_SHARE,
    chunk_events: int = CHUNK_EVENTS,
) -> SyntheticShop:
    """The whole shop in memory (see ``iter_synthetic_events`` for the arguments): for tests and small benches;
    past a few million events, ``write_synthetic_shop`` writes it chunk by chunk instead."""
    n_users, n_items = shop_size(n_events, n_users, n_items)
    chunks = list(
        iter_synthetic_events(
            n_events,
            seed=seed,
            n_users=n_users,
            n_items=n_items,
            view_share=view_share,
            dirty_share=dirty_share,
            chunk_events=chunk_events,
        )
    )
    items, dirty_items = synthetic_items(n_items, seed=seed)
    return SyntheticShop(
        events=pd.concat(chunks, ignore_index=True),
        items=items,
        dirty_events=_summed(dirty_event_counts(len(chunk), dirty_share) for chunk in chunks),
        dirty_items=dirty_items,
    )


def write_synthetic_shop(
    directory: Path,
    n_events: int,
    *,
    seed: int = 0,
    n_users: int | None = None,
    n_items: int | None = None,
    view_share: float = VIEW_SHARE,
    dirty_share: float = DIRTY_SHARE,
    chunk_events: int = CHUNK_EVENTS,
) -> SyntheticFiles:
    """Write the shop as canonical landing files into ``directory`` (a dataset's landing folder, created if
    missing): ``events-00000.parquet`` ... of ``chunk_events`` rows each and ``items.parquet``, which the loader
    reads as ``canonical_events`` and ``canonical_items``. Parquet keeps ``ts`` a timestamp (no text to parse) and is
    about a sixth of the CSV's size. One chunk is in memory at a time. Arguments as ``iter_synthetic_events``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    n_users, n_items = shop_size(n_events, n_users, n_items)
    event_files, dirty = [], []
    chunks = iter_synthetic_events(
        n_events, seed=seed, n_users=n_users, n_items=n_items, view_share=view_share, dirty_share=dirty_share,
        chunk_events=chunk_events,
    )  # fmt: skip
    for index, chunk in enumerate(chunks):
        path = directory / f"events-{index:05d}.parquet"
        chunk.to_parquet(path, index=False)
        event_files.append(path)
        dirty.append(dirty_event_counts(len(chunk), dirty_share))
    items, dirty_items = synthetic_items(n_items, seed=seed)
    items_file = directory / "items.parquet"
    items.to_parquet(items_file, index=False)
    return SyntheticFiles(event_files, items_file, n_events, _summed(dirty), dirty_items)


@dataclass(frozen=True)
class _Users:
    """``ids`` ("U0000000", ...), each user's cumulative activity share (``cumulative``, ends at 1) and favourite
    category (drawn by category popularity, so the item marginal stays Zipf)."""

    ids: np.ndarray
    cumulative: np.ndarray
    favourite: np.ndarray

    @classmethod
    def build(cls, n_users: int, catalogue: Catalogue, seed: int) -> _Users:
        rng = np.random.default_rng([seed, _USERS_STREAM])
        cumulative = np.cumsum(rng.lognormal(0.0, USER_ACTIVITY_SIGMA, size=n_users))
        cumulative /= cumulative[-1]
        ids = np.array([f"U{i:07d}" for i in range(n_users)], dtype=object)
        return cls(ids, cumulative, catalogue.sample_categories(rng, n_users))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.minimum(np.searchsorted(self.cumulative, rng.random(size), side="right"), len(self.ids) - 1)


def _event_chunk(
    size: int,
    rng: np.random.Generator,
    catalogue: Catalogue,
    users: _Users,
    first_order: int,
    view_share: float,
    dirty_share: float,
) -> tuple[pd.DataFrame, int]:
    """``size`` events (purchases, then views, then dirty rows written over some purchases), sorted by time; and
    the number of orders they used."""
    n_views = round(size * view_share)
    order, item, order_user = _order_lines(size - n_views, rng, catalogue, users)
    n_orders = len(order_user)
    order_ts = _order_times(rng, n_orders)
    # Order ids rise with time within a chunk, as invoice numbers do.
    order_number = first_order + np.argsort(np.argsort(order_ts, kind="stable"), kind="stable")
    # Views: a look at an ordered item (half the time) or another of its category, up to two hours before.
    viewed = rng.choice(len(order), size=n_views, replace=False)
    same = rng.random(n_views) < 0.5
    view_item = np.where(same, item[viewed], catalogue.sample_items(rng, catalogue.category[item[viewed]]))
    view_ts = order_ts[order[viewed]] - rng.integers(60, 7200, size=n_views) * _NS_PER_SECOND
    is_view = np.repeat([False, True], [len(order), n_views])
    item = np.concatenate([item, view_item])
    columns = {
        "user_id": users.ids[np.concatenate([order_user[order], order_user[order[viewed]]])],
        "item_id": catalogue.item_ids[item],
        "event_type": np.where(is_view, "view", "purchase").astype(object),
        "ts": np.concatenate([order_ts[order], view_ts]),
        "quantity": np.where(is_view, np.nan, rng.geometric(QUANTITY_P, size=len(item)).astype(np.float64)),
        "price": np.where(is_view, np.nan, catalogue.price[item]),
        "order_id": np.where(is_view, None, _texts(order_number[np.concatenate([order, order[viewed]])])),
    }
    by_time = np.argsort(columns["ts"], kind="stable")
    columns = {name: values[by_time] for name, values in columns.items()}
    _make_dirty(columns, dirty_event_counts(size, dirty_share), rng)
    frame = pd.DataFrame(columns)
    frame["ts"] = pd.to_datetime(frame["ts"], unit="ns", utc=True)
    frame = frame.astype({"user_id": "string", "item_id": "string", "event_type": "string", "order_id": "string"})
    return frame[["user_id", "item_id", "event_type", "ts", "quantity", "price", "order_id"]], n_orders


def _order_lines(
    n_lines: int, rng: np.random.Generator, catalogue: Catalogue, users: _Users
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n_lines`` order lines as ``(order, item)`` index arrays sorted by order, and each order's user.

    Each order draws three times its basket size and keeps its first ``basket`` distinct items, so that repeats
    of a popular item do not shrink the baskets below their mean. Orders are drawn for a quarter more lines than
    needed on average and the lines cut at ``n_lines`` (the last order may lose some); too few (rare) draws again.
    """
    n_items = len(catalogue.item_ids)
    n_orders = int(n_lines / MEAN_BASKET * 1.25) + 16
    while True:
        basket = rng.geometric(1.0 / MEAN_BASKET, size=n_orders)
        order = np.repeat(np.arange(n_orders), 3 * basket)
        order_user = users.sample(rng, n_orders)
        order_category = np.where(
            rng.random(n_orders) < FAVOURITE_CATEGORY_SHARE,
            users.favourite[order_user],
            catalogue.sample_categories(rng, n_orders),
        )
        line_category = np.where(rng.random(len(order)) < SAME_CATEGORY_SHARE, order_category[order], -1)
        item = catalogue.sample_items(rng, line_category)
        # The first draw of each (order, item), in draw order: still grouped by order.
        _, first = np.unique(order.astype(np.int64) * n_items + item, return_index=True)
        first.sort()
        order, item = order[first], item[first]
        group_start = np.flatnonzero(np.diff(order, prepend=-1))
        rank = np.arange(len(order)) - np.repeat(group_start, np.diff(np.append(group_start, len(order))))
        kept = rank < basket[order]
        if kept.sum() >= n_lines:
            break
        n_orders = int(n_orders * 1.5)
    order, item = order[kept][:n_lines], item[kept][:n_lines]
    return order, item, order_user[: int(order[-1]) + 1 if n_lines else 0]


def _order_times(rng: np.random.Generator, n_orders: int) -> np.ndarray:
    """``n_orders`` times (int64 ns since 1970, UTC): a uniform day of the ``DAYS`` from ``START``, an hour by
    ``HOUR_WEIGHTS``, a uniform second within it."""
    day = rng.integers(DAYS, size=n_orders)
    hour = rng.choice(24, size=n_orders, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    seconds = day * 86_400 + hour * 3_600 + rng.integers(3_600, size=n_orders)
    return START.value + seconds * _NS_PER_SECOND


def _make_dirty(columns: dict[str, np.ndarray], counts: dict[str, int], rng: np.random.Generator) -> None:
    """Write ``counts[rule]`` dirty rows over distinct purchase rows of ``columns``, each caught first by ``rule``;
    a duplicate copies another purchase row that stays clean."""
    purchases = np.flatnonzero(columns["event_type"] == "purchase")
    total = sum(counts.values())
    picked = rng.choice(purchases, size=total, replace=False)
    rows = dict(zip(counts, np.split(picked, np.cumsum(list(counts.values()))[:-1]), strict=True))
    columns["ts"][rows["invalid_timestamp"]] = BAD_TS_NS
    cancelled = rows["cancellation"]
    columns["order_id"][cancelled] = "C" + columns["order_id"][cancelled].astype(str).astype(object)
    columns["quantity"][cancelled] *= -1
    returned = rows["non_positive_quantity"]
    columns["quantity"][returned] = -rng.integers(0, 3, size=len(returned)).astype(np.float64)
    codes = np.array(list(NON_PRODUCTS), dtype=object)
    columns["item_id"][rows["non_product_code"]] = codes[rng.integers(len(codes), size=counts["non_product_code"])]
    columns["price"][rows["non_product_code"]] = 18.0
    columns["price"][rows["non_positive_price"]] = 0.0
    clean = np.ones(len(columns["ts"]), dtype=bool)
    clean[picked] = False
    originals = rng.choice(purchases[clean[purchases]], size=counts["duplicate_event"], replace=False)
    for values in columns.values():
        values[rows["duplicate_event"]] = values[originals]


def _texts(numbers: np.ndarray) -> np.ndarray:
    """Integers as decimal strings (object array)."""
    return numbers.astype(str).astype(object)


def _summed(counts) -> dict[str, int]:
    total: dict[str, int] = {}
    for part in counts:
        for key, value in part.items():
            total[key] = total.get(key, 0) + value
    return total
