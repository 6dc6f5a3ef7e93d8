"""User profiles: activity, category affinity, price band, tail appetite and a taste vector per user.

``build_user_profiles`` summarises cleaned events into one row per user for display and for the re-ranker
(``profile_users``: with the dataset's own tail); ``tail_appetite`` and ``shrunk_tail_appetite`` compute the
tail share from a training matrix instead.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import scipy.sparse as sp

from longtail.data.interactions import interaction_matrix
from longtail.recommend.matrices import tail_items
from longtail.validation import require_columns

EVENT_COLUMNS = ("user_id", "item_id", "ts", "price")
ITEM_COLUMNS = ("item_id", "category", "price")
PROFILE_COLUMNS = [
    "user_id",
    "n_events",
    "n_items",
    "first_ts",
    "last_ts",
    "recency_days",
    "active_days",
    "top_categories",
    "category_affinity",
    "price_band",
    "median_price",
    "tail_share",
    "taste_vector",
]
PRICE_BANDS = np.array(["low", "mid", "high"], dtype=object)
CATEGORY_SEPARATOR = " > "


def build_user_profiles(
    events: pd.DataFrame,
    items: pd.DataFrame,
    tail,
    *,
    as_of: pd.Timestamp | None = None,
    item_vectors: tuple[np.ndarray, np.ndarray] | None = None,
    top_categories: int = 3,
) -> pd.DataFrame:
    """One row per user of ``events``, sorted by ``user_id``, with the columns of ``PROFILE_COLUMNS``.

    Parameters:
        events: cleaned events with columns ``user_id``, ``item_id``, ``ts`` (datetime64) and ``price`` (unit
            price, may be null); other columns are ignored. Every event counts, whatever its ``event_type``.
        items: the catalogue, one row per ``item_id``, with ``category`` (a path ``"A > B"``, may be null) and
            ``price`` (may be null). Items of ``events`` missing from it have no category and no catalogue price.
        tail: the tail item ids (a Series, set, list or array of ids, same type as ``events.item_id``).
        as_of: the time that recency is measured from; defaults to the latest ``ts``. Must not precede any event,
            and must be timezone-aware exactly when ``ts`` is.
        item_vectors: ``(ids, vectors)``, ``ids`` of shape ``(n,)`` (unique) and ``vectors`` of shape
            ``(n, dim)``; enables ``taste_vector``.
        top_categories: how many categories ``top_categories`` lists (>= 1).

    Columns:
        user_id; n_events (int64): events of the user; n_items (int64): distinct items;
        first_ts, last_ts: first and last event time; recency_days (float64): ``(as_of - last_ts)`` in days;
        active_days (int64): distinct calendar days (in ``ts``'s timezone) with at least one event;
        top_categories (string): the ``top_categories`` largest top-level categories (the path before the first
        ``" > "``) with their share of the user's categorised events, e.g. ``"Toys (0.40); Books (0.25)"``;
        category_affinity (string): JSON object of every top-level category of the user -> share of their
        categorised events (shares sum to 1, rounded to 4 decimals), largest first; both are null for a user
        without a categorised event, and ties are ordered by category name;
        median_price (float64): median unit price over the user's events, where an event without its own price
        takes its item's catalogue price; null when none has a price;
        price_band (string): ``"low"`` / ``"mid"`` / ``"high"`` when ``median_price`` is <= the first tertile,
        <= the second tertile, or above the second tertile of the catalogue's item prices; null when either is
        unknown;
        tail_share (float64, in [0, 1]): share of the user's distinct items that are tail items (tail appetite);
        taste_vector (object): ``float32`` array ``(dim,)``, unit L2 norm: the mean of the L2-normalised vectors of
        the user's distinct items, re-normalised; null without ``item_vectors``, when none of the user's items
        has a non-zero vector, or when that mean is the zero vector.

    Raises:
        ValueError: empty ``events``, a bool ``tail``, missing columns, null ids or times, a non-datetime ``ts``,
            duplicate item ids in ``items`` or ``item_vectors``, a bad ``as_of``, ``top_categories`` < 1, or
            malformed ``item_vectors``.
    """
    require_columns(events, EVENT_COLUMNS, "events")
    require_columns(items, ITEM_COLUMNS, "items")
    if events.empty:
        raise ValueError("events is empty: there are no users to profile")
    if not pd.api.types.is_datetime64_any_dtype(events["ts"]):
        raise ValueError(f"events.ts must be datetime64, got dtype {events['ts'].dtype}")
    if items["item_id"].duplicated().any():
        duplicated = items.loc[items["item_id"].duplicated(), "item_id"].unique()[:5].tolist()
        raise ValueError(f"items must have one row per item_id; duplicated: {duplicated}")
    if isinstance(top_categories, bool) or not isinstance(top_categories, (int, np.integer)) or top_categories < 1:
        raise ValueError(f"top_categories must be an integer >= 1, got {top_categories!r}")

    user_codes, user_ids = pd.factorize(events["user_id"], sort=True)
    # Items are handled as integer codes; per-item facts are looked up once per distinct item, not per event.
    item_codes, item_ids = pd.factorize(events["item_id"])
    # factorize codes nulls as -1, which is much cheaper than isna() on string columns.
    nulls = [
        column
        for column, has_null in (
            ("user_id", (user_codes < 0).any()),
            ("item_id", (item_codes < 0).any()),
            ("ts", events["ts"].isna().any()),
        )
        if has_null
    ]
    if nulls:
        raise ValueError(f"events has null values in {nulls}")
    n_users = len(user_ids)
    item_ids = pd.Index(item_ids)
    catalogue = items.set_index("item_id").reindex(item_ids)
    ts = events["ts"].reset_index(drop=True)
    frame = pd.DataFrame(
        {
            "user": user_codes,
            "item": item_codes,
            "ts": ts,
            "day": ts.dt.normalize(),
            "price": events["price"].astype("float64").to_numpy(),
        }
    )
    # Group keys are the user codes 0 .. n_users - 1, sorted, so every aggregate lines up with ``user_ids``.
    by_user = frame.groupby("user", sort=True)
    profiles = pd.DataFrame({"user_id": user_ids})
    profiles["n_events"] = by_user.size().to_numpy(dtype=np.int64)
    profiles["first_ts"] = by_user["ts"].min().reset_index(drop=True)
    profiles["last_ts"] = by_user["ts"].max().reset_index(drop=True)
    profiles["active_days"] = by_user["day"].nunique().to_numpy(dtype=np.int64)
    distinct = frame[["user", "item"]].drop_duplicates()
    profiles["n_items"] = distinct.groupby("user").size().to_numpy(dtype=np.int64)
    profiles["recency_days"] = (_check_as_of(as_of, ts) - profiles["last_ts"]) / pd.Timedelta(days=1)

    top, affinity = _category_columns(frame, catalogue["category"], n_users, top_categories)
    profiles["top_categories"] = top
    profiles["category_affinity"] = affinity

    item_price = catalogue["price"].astype("float64").to_numpy()
    paid = frame["price"].fillna(pd.Series(item_price[item_codes]))
    profiles["median_price"] = paid.groupby(frame["user"]).median().to_numpy(dtype=np.float64)
    profiles["price_band"] = _price_bands(profiles["median_price"], items["price"].astype("float64"))

    tail_ids = pd.Index(list(tail) if isinstance(tail, (set, frozenset)) else np.asarray(tail))
    if tail_ids.dtype == bool:
        raise ValueError("tail must hold tail item ids, not a bool mask (map a mask to ids with item_ids[mask])")
    is_tail = pd.Series(item_ids.isin(tail_ids)[distinct["item"].to_numpy()], index=distinct.index)
    profiles["tail_share"] = is_tail.groupby(distinct["user"]).mean().to_numpy(dtype=np.float64)

    profiles["taste_vector"] = _taste_vectors(distinct, item_ids, item_vectors, n_users)
    return profiles[PROFILE_COLUMNS]


def profile_users(
    events: pd.DataFrame, items: pd.DataFrame, item_vectors: tuple[np.ndarray, np.ndarray] | None = None
) -> pd.DataFrame:
    """``build_user_profiles`` of one dataset, its tail taken from ``events`` themselves: the items outside the
    head that makes 80% of interactions (``longtail.recommend.matrices.tail_items``), the tail the re-ranker
    uses. An empty ``items`` (a dataset without catalogue) leaves categories and catalogue prices unknown;
    ``item_vectors`` without any id count as none."""
    if items.empty:
        items = pd.DataFrame({"item_id": pd.Series(dtype="string"), "category": None, "price": None})
    matrix = interaction_matrix(events)
    tail = matrix.item_ids[tail_items(matrix.matrix)]
    vectors = item_vectors if item_vectors is not None and len(item_vectors[0]) else None
    return build_user_profiles(events, items, tail, item_vectors=vectors)


def tail_appetite(X, tail: np.ndarray) -> np.ndarray:
    """Share of each user's distinct training items that are tail items.

    ``X`` is a sparse ``(n_users, n_items)`` interaction matrix (binarised: any value > 0 is one distinct item),
    ``tail`` a bool mask of shape ``(n_items,)``. Returns ``float64`` of shape ``(n_users,)`` in [0, 1]; users
    without items get 0.
    """
    n_tail, n_items = _tail_counts(X, tail)
    return np.divide(n_tail, n_items, out=np.zeros_like(n_tail), where=n_items > 0)


def shrunk_tail_appetite(X, tail: np.ndarray, prior_strength: float = 5.0) -> np.ndarray:
    """Tail appetite shrunk toward the global share: ``(n_tail_u + m * g) / (n_u + m)``.

    ``n_u`` is the number of distinct items of user ``u`` in ``X``, ``n_tail_u`` how many of them are tail items,
    ``m = prior_strength`` (> 0) the weight of the prior in pseudo-items and ``g`` the pooled global share
    ``sum_u n_tail_u / sum_u n_u`` (0 when ``X`` is empty). This is the posterior mean under a Beta prior with
    mean ``g`` and ``m`` pseudo-observations, so a user with few items stays near ``g`` (a user without items
    gets exactly ``g``) and a heavy user approaches their raw ``tail_appetite``. ``X`` and ``tail`` as in
    ``tail_appetite``; returns ``float64`` of shape ``(n_users,)`` in [0, 1].
    """
    if isinstance(prior_strength, bool) or not np.isfinite(prior_strength) or prior_strength <= 0:
        raise ValueError(f"prior_strength must be a finite number > 0, got {prior_strength!r}")
    n_tail, n_items = _tail_counts(X, tail)
    total = n_items.sum()
    global_share = n_tail.sum() / total if total > 0 else 0.0
    return (n_tail + prior_strength * global_share) / (n_items + prior_strength)


def _check_as_of(as_of, ts: pd.Series) -> pd.Timestamp:
    """``as_of`` as a Timestamp (the latest ``ts`` when None), checked against the events' times."""
    latest = ts.max()
    if as_of is None:
        return latest
    as_of = pd.Timestamp(as_of)
    if (as_of.tz is None) != (ts.dt.tz is None):
        raise ValueError(f"as_of ({as_of}) and events.ts ({ts.dtype}) must both be timezone-aware or both naive")
    if as_of < latest:
        raise ValueError(f"as_of ({as_of}) precedes the latest event ({latest}); recency would be negative")
    return as_of


def _category_columns(
    frame: pd.DataFrame, categories: pd.Series, n_users: int, top_categories: int
) -> tuple[pd.Series, pd.Series]:
    """``top_categories`` and ``category_affinity`` strings (see ``build_user_profiles``), one per user code.

    ``categories`` holds the category path of each item code of ``frame["item"]``.
    """
    top_level = categories.astype("string").str.split(CATEGORY_SEPARATOR, n=1).str[0].str.strip()
    category_codes, names = pd.factorize(top_level.where(top_level != ""))  # null or blank -> code -1
    event_category = category_codes[frame["item"].to_numpy()]
    known = event_category >= 0
    counts = (
        pd.DataFrame({"user": frame["user"].to_numpy()[known], "category": event_category[known]})
        .groupby(["user", "category"])
        .size()
        .rename("n")
        .reset_index()
    )
    users = range(n_users)
    if counts.empty:  # no categorised event at all (e.g. a catalogue without categories)
        missing = pd.Series(pd.NA, index=users, dtype="string")
        return missing, missing.copy()
    counts["name"] = np.asarray(names, dtype=object)[counts["category"].to_numpy()]
    counts["share"] = counts["n"] / counts.groupby("user")["n"].transform("sum")
    counts = counts.sort_values(["user", "share", "name"], ascending=[True, False, True], kind="stable")
    quoted = np.array([json.dumps(name) for name in names], dtype=object)[counts["category"].to_numpy()]
    pairs = _join_per_user(quoted + ": " + counts["share"].round(4).astype(str).to_numpy(), counts["user"], ", ")
    ranked = counts[counts.groupby("user").cumcount() < top_categories]
    labels = ranked["name"] + " (" + ranked["share"].map("{:.2f}".format) + ")"
    top = _join_per_user(labels.to_numpy(), ranked["user"], "; ")
    return top.reindex(users).astype("string"), ("{" + pairs + "}").reindex(users).astype("string")


def _join_per_user(texts: np.ndarray, users: pd.Series, separator: str) -> pd.Series:
    """``separator``-joined ``texts`` of each user, indexed by user code; ``users`` must be sorted."""
    users = users.to_numpy()
    # A plain loop over the runs of equal user codes: pandas' groupby-agg with str.join is ~100x slower.
    bounds = np.flatnonzero(np.diff(users)) + 1
    starts, stops = np.r_[0, bounds], np.r_[bounds, len(users)]
    joined = [separator.join(texts[start:stop]) for start, stop in zip(starts, stops)]
    return pd.Series(joined, index=users[starts], dtype=object)


def _price_bands(median_price: pd.Series, catalogue_price: pd.Series) -> pd.Series:
    """Band "low"/"mid"/"high" by the catalogue's price tertiles; null without a median price or catalogue prices."""
    known = catalogue_price.dropna().to_numpy()
    bands = pd.Series(pd.NA, index=median_price.index, dtype="string")
    if len(known) == 0:
        return bands
    tertiles = np.quantile(known, [1 / 3, 2 / 3])
    has_price = median_price.notna()
    # side="left": a price equal to a tertile falls in the lower band.
    band = np.searchsorted(tertiles, median_price[has_price].to_numpy(), side="left")
    bands[has_price] = PRICE_BANDS[band]
    return bands


def _taste_vectors(distinct: pd.DataFrame, item_ids: pd.Index, item_vectors, n_users: int) -> list[np.ndarray | None]:
    """Per user code, the re-normalised mean of the unit vectors of their distinct items (None when undefined).

    ``distinct`` holds one row per (user code, item code); ``item_ids`` maps item codes to ids.
    """
    if item_vectors is None:
        return [None] * n_users
    ids, vectors = item_vectors
    ids = pd.Index(np.asarray(ids))
    vectors = np.asarray(vectors, dtype=np.float64)
    if vectors.ndim != 2 or len(ids) != vectors.shape[0]:
        raise ValueError(
            f"item_vectors must be (ids of shape (n,), vectors of shape (n, dim)); got {len(ids)} ids and "
            f"vectors of shape {vectors.shape}"
        )
    if not ids.is_unique:
        raise ValueError("item_vectors ids must be unique")
    if not np.isfinite(vectors).all():
        raise ValueError("item_vectors holds NaN or infinite values")
    norms = np.linalg.norm(vectors, axis=1)
    unit = np.divide(vectors, norms[:, None], out=np.zeros_like(vectors), where=norms[:, None] > 0)
    rows = ids.get_indexer(item_ids)[distinct["item"].to_numpy()]
    # Items without a vector, or with a zero vector (no direction), do not contribute.
    keep = rows >= 0
    keep[keep] = norms[rows[keep]] > 0
    membership = sp.csr_matrix(
        (np.ones(int(keep.sum())), (distinct["user"].to_numpy()[keep], rows[keep])), shape=(n_users, len(ids))
    )
    # The mean and the sum point the same way, so normalising the sum gives the re-normalised mean.
    summed = membership @ unit
    lengths = np.linalg.norm(summed, axis=1)
    taste = np.divide(summed, lengths[:, None], out=np.zeros_like(summed), where=lengths[:, None] > 0)
    taste = taste.astype(np.float32)
    return [taste[user] if lengths[user] > 0 else None for user in range(n_users)]


def _tail_counts(X, tail: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(tail items, items) per user of the binarised ``X``, both ``float64`` of shape ``(n_users,)``."""
    # Validated here rather than with longtail.recommend.models' check_interactions: that package imports this module.
    if not sp.issparse(X) or X.ndim != 2:
        raise ValueError(f"X must be a 2-D scipy.sparse matrix (n_users, n_items), got {type(X).__name__}")
    X = sp.csr_matrix(X, copy=True)
    X.sum_duplicates()
    if not np.isfinite(X.data).all() or (X.data < 0).any():
        raise ValueError("X must hold finite, non-negative values (counts or 1s)")
    X = (X > 0).astype(np.float64)
    tail = np.asarray(tail)
    if tail.dtype != bool or tail.shape != (X.shape[1],):
        raise ValueError(f"tail must be a bool mask of shape ({X.shape[1]},), got dtype {tail.dtype} {tail.shape}")
    n_items = np.diff(X.indptr).astype(np.float64)
    n_tail = np.asarray(X @ tail.astype(np.float64)).ravel()
    return n_tail, n_items
