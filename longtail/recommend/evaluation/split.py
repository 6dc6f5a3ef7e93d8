"""Global temporal train/test split and the sparse matrices that offline evaluation ranks against.

The protocol: one global cut in time, the last ``test_days`` are the test window, every model ranks the whole
training catalogue, and a user's targets are the items they interacted with in the test window but never before
the cut ("new item" targets).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

USER = "user_id"
ITEM = "item_id"


@dataclass(frozen=True)
class InteractionData:
    """Index mappings, the training matrix and the test targets of one split.

    Attributes:
        user_ids: (n_users,) ids of the training users, sorted; row ``u`` of ``train`` is ``user_ids[u]``.
        item_ids: (n_items,) ids of every item seen in training, sorted: the catalogue that models rank.
        train: csr_matrix (n_users, n_items), float32; value = number of training events of that user on that
            item (counts, not binary; ``train.sign()`` binarises).
        eval_users: (n_eval,) int64 row indices into ``train``, ascending: the users that are evaluated, i.e.
            training users with at least one new-item target.
        test_targets: csr_matrix (n_eval, n_items), float32 with value 1; row ``r`` marks the targets of user
            ``eval_users[r]``: items they interacted with in the test window and never in training.
        dropped_unknown_items: distinct (user, item) test pairs of training users whose item never appears in
            training; they cannot be ranked and are not targets.
        cold_users: distinct test users with no training history; they are not evaluated.
        users_without_targets: training users active in the test window whose test items were all repeats of
            training items or unknown items; they are not evaluated.
    """

    user_ids: np.ndarray
    item_ids: np.ndarray
    train: sp.csr_matrix
    eval_users: np.ndarray
    test_targets: sp.csr_matrix
    dropped_unknown_items: int
    cold_users: int
    users_without_targets: int


@dataclass(frozen=True)
class Split:
    """Training and test events on either side of ``cut`` (train: time < cut, test: time >= cut)."""

    train: pd.DataFrame
    test: pd.DataFrame
    cut: pd.Timestamp | int

    def build_matrices(self) -> InteractionData:
        """Index users and items on the training side and derive the new-item test targets (vectorised)."""
        user_codes, user_ids = pd.factorize(self.train[USER].to_numpy(), sort=True)
        item_codes, item_ids = pd.factorize(self.train[ITEM].to_numpy(), sort=True)
        n_users, n_items = len(user_ids), len(item_ids)
        train = sp.csr_matrix(
            (np.ones(len(user_codes), dtype=np.float32), (user_codes, item_codes)), shape=(n_users, n_items)
        )
        train.sum_duplicates()

        test_users = pd.Index(user_ids).get_indexer(self.test[USER].to_numpy())
        test_items = pd.Index(item_ids).get_indexer(self.test[ITEM].to_numpy())
        warm = test_users >= 0
        cold_users = int(self.test.loc[~warm, USER].nunique())
        unknown = warm & (test_items < 0)
        dropped_unknown_items = len(self.test.loc[unknown, [USER, ITEM]].drop_duplicates())

        known = warm & (test_items >= 0)
        test_keys = np.unique(test_users[known].astype(np.int64) * n_items + test_items[known])
        train_rows = np.repeat(np.arange(n_users, dtype=np.int64), np.diff(train.indptr))
        train_keys = train_rows * n_items + train.indices
        new_keys = test_keys[~np.isin(test_keys, train_keys, assume_unique=True)]
        rows, cols = np.divmod(new_keys, n_items)
        eval_users = np.unique(rows)
        test_targets = sp.csr_matrix(
            (np.ones(len(new_keys), dtype=np.float32), (np.searchsorted(eval_users, rows), cols)),
            shape=(len(eval_users), n_items),
        )
        return InteractionData(
            user_ids=np.asarray(user_ids),
            item_ids=np.asarray(item_ids),
            train=train,
            eval_users=eval_users,
            test_targets=test_targets,
            dropped_unknown_items=dropped_unknown_items,
            cold_users=cold_users,
            users_without_targets=len(np.unique(test_users[warm])) - len(eval_users),
        )


def temporal_split(events: pd.DataFrame, test_days: int = 28, *, time_column: str = "ts") -> Split:
    """Split ``events`` at one global cut: the last ``test_days`` are the test window.

    ``events`` needs columns ``user_id``, ``item_id`` and ``time_column``. For a datetime column (UTC),
    ``cut = max(time) - test_days days``. For an integer column (an ordinal such as Instacart's
    ``order_number``), ``test_days`` counts units and ``cut = max(time) - test_days + 1``, so the test side
    holds exactly the last ``test_days`` values. Train is ``time < cut``, test is ``time >= cut``.

    Raises:
        ValueError: empty frame, missing column, null ids or times, a time column that is neither datetime nor
            integer, ``test_days < 1``, or a cut that leaves the training side empty (the test side always holds
            the latest events).
    """
    if test_days < 1:
        raise ValueError(f"test_days must be at least 1, got {test_days}")
    if events.empty:
        raise ValueError("events is empty: nothing to split")
    missing = [c for c in (USER, ITEM, time_column) if c not in events.columns]
    if missing:
        raise ValueError(f"events lacks column(s) {missing}; it has {list(events.columns)}")
    nulls = [c for c in (USER, ITEM, time_column) if events[c].isna().any()]
    if nulls:
        raise ValueError(f"events has null values in {nulls}")

    time = events[time_column]
    if pd.api.types.is_datetime64_any_dtype(time):
        cut = time.max() - pd.Timedelta(days=test_days)
    elif pd.api.types.is_integer_dtype(time) and not pd.api.types.is_bool_dtype(time):
        cut = int(time.max()) - test_days + 1
    else:
        raise ValueError(f"time column {time_column!r} must be datetime or integer, got dtype {time.dtype}")

    is_test = (time >= cut).to_numpy()  # never all False: the latest event is always >= cut
    if is_test.all():
        raise ValueError(f"cut {cut} leaves the training side empty: the data spans less than {test_days} days")
    return Split(train=events.loc[~is_test], test=events.loc[is_test], cut=cut)


def recency_weights(
    events: pd.DataFrame,
    user_ids: np.ndarray,
    item_ids: np.ndarray,
    *,
    as_of,
    half_life: float,
    time_column: str = "ts",
) -> sp.csr_matrix:
    """(len(user_ids), len(item_ids)) float64 csr: ``0.5 ** (age / half_life)`` of each user's latest event on
    each item, where ``age = as_of - time``. For a datetime ``time_column`` ages and ``half_life`` are in days;
    for an ordinal one (e.g. ``order_number``) in its own units. Weights are in (0, 1] for events before
    ``as_of``; pairs whose user or item is not in ``user_ids`` / ``item_ids`` are left out. float64, since a
    customer last seen 150 half-lives ago (12 years at 30 days: the Magazine shop has them) has weights below
    float32's smallest, and every one of their items would weigh 0."""
    if half_life <= 0:
        raise ValueError(f"half_life must be > 0, got {half_life}")
    latest = events.groupby([USER, ITEM], observed=True)[time_column].max()
    users = pd.Index(user_ids).get_indexer(latest.index.get_level_values(USER))
    items = pd.Index(item_ids).get_indexer(latest.index.get_level_values(ITEM))
    age = as_of - latest.to_numpy()
    if pd.api.types.is_datetime64_any_dtype(latest):
        age = pd.to_timedelta(age) / pd.Timedelta(days=1)
    age = np.clip(np.asarray(age, dtype=np.float64), 0.0, None)
    known = (users >= 0) & (items >= 0)
    weights = np.power(0.5, age[known] / half_life)
    return sp.csr_matrix((weights, (users[known], items[known])), shape=(len(user_ids), len(item_ids)))
