"""User-level differentially private counts over a public key universe, with OpenDP.

Two steps, each its own function:

1. ``bound_contributions``: each user keeps at most ``max_keys_per_user`` distinct keys (items, or item-weeks),
   each with a weight of at most ``max_weight`` (1 for "did the user buy it", clipped units for demand). The keys
   kept are a uniform random sample of the user's keys, drawn with ``seed``: a sample rather than the user's first
   or most frequent keys so that no kind of item (early, heavy) is systematically favoured, and by a seeded hash of
   (user, key) so that one user's sample never depends on another user's data. Adding or removing one
   user then changes the vector of per-key totals by at most ``max_keys_per_user * max_weight`` in L1 and
   ``sqrt(max_keys_per_user) * max_weight`` in L2 (``sensitivity``).
2. ``noisy_counts``: OpenDP's integer Laplace mechanism (``delta == 0``: pure epsilon-DP) or its discrete Gaussian
   (``delta > 0``: zero-concentrated DP converted to (epsilon, delta)) with the noise scale calibrated so that the
   measurement's privacy map at that sensitivity is at most ``(epsilon, delta)``.

The key universe (the catalogue's items, the calendar's weeks) is taken as public, so no key is selected from the
data and delta comes only from the mechanism. OpenDP draws its noise from the operating system's secure random
source, which cannot be seeded: released counts differ from run to run (the contribution bound's sample is seeded).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from longtail.validation import check_positive_int, require_columns

# The weight column ``bound_contributions`` returns.
WEIGHT = "weight"
# How far above the least noise that meets the budget a calibrated scale may be (relative): 0.1% more noise.
SCALE_TOLERANCE = 1e-3


@dataclass(frozen=True)
class PrivacySettings:
    """A user-level (``epsilon``, ``delta``) guarantee per released count vector, and the contribution bound it
    holds at: at most ``max_keys_per_user`` keys per user. ``delta`` 0 selects the Laplace mechanism, above 0
    the Gaussian."""

    epsilon: float
    delta: float = 0.0
    max_keys_per_user: int = 20

    def __post_init__(self):
        if not (isinstance(self.epsilon, int | float) and math.isfinite(self.epsilon) and self.epsilon > 0):
            raise ValueError(f"epsilon must be a finite number > 0, got {self.epsilon!r}")
        if not (isinstance(self.delta, int | float) and 0.0 <= self.delta < 1.0):
            raise ValueError(f"delta must be a number in [0, 1), got {self.delta!r}")
        check_positive_int(self.max_keys_per_user, "max_keys_per_user")

    def describe(self) -> dict:
        """The settings as plain values, for metadata and reports."""
        return {"epsilon": self.epsilon, "delta": self.delta, "max_keys_per_user": self.max_keys_per_user}


def bound_contributions(
    interactions: pd.DataFrame,
    key_columns: list[str],
    max_keys_per_user: int,
    *,
    user_column: str = "user_id",
    weight_column: str | None = None,
    max_weight: int = 1,
    seed: int = 0,
) -> pd.DataFrame:
    """At most ``max_keys_per_user`` distinct keys per user, each weighted at most ``max_weight``.

    Args:
        interactions: one row per event with ``user_column``, ``key_columns`` and optionally ``weight_column``
            (non-negative; without it every key the user has weighs 1). Rows without a user are dropped: they
            cannot be bounded.
        key_columns: what a count is over, e.g. ``["item_id"]`` or ``["item_id", "week"]``.
        max_keys_per_user: the bound k; a user with more keys keeps a uniform random sample of k of them.
        max_weight: a positive integer w; each (user, key) weight is the sum of its rows' weights, rounded to an
            integer and clipped to [0, w].
        seed: the sample's seed (the same data and seed keep the same keys).

    Returns:
        ``user_column, *key_columns, "weight"`` (int64 in [0, w]), one row per kept (user, key).
    """
    require_columns(interactions, [user_column, *key_columns] + ([weight_column] if weight_column else []), "events")
    max_keys_per_user = check_positive_int(max_keys_per_user, "max_keys_per_user")
    max_weight = check_positive_int(max_weight, "max_weight")
    rows = interactions[interactions[user_column].notna()]
    weights = rows[weight_column] if weight_column else pd.Series(1, index=rows.index)
    pairs = rows[[user_column, *key_columns]].assign(**{WEIGHT: weights.to_numpy(dtype=np.float64)})
    pairs = pairs.groupby([user_column, *key_columns], sort=True, observed=True)[WEIGHT].sum().reset_index()
    pairs[WEIGHT] = np.clip(np.rint(pairs[WEIGHT].to_numpy()), 0, max_weight).astype(np.int64)
    # Each user's keys in the order of a seeded hash of (user, key): keeping the first k of each user is a
    # pseudo-random sample that depends on that user's own keys only, so adding or removing another user never
    # changes it (a random draw over all rows would, and the sensitivity would not hold).
    users = pd.factorize(pairs[user_column])[0]
    hashed = pd.util.hash_pandas_object(pairs[[user_column, *key_columns]], index=False).to_numpy()
    # Hashing again with the seed added mixes the bits: another seed, another order.
    shuffled = np.lexsort((pd.util.hash_array(hashed + np.uint64(seed)), users))
    position = np.arange(len(pairs)) - np.searchsorted(users[shuffled], users[shuffled], side="left")
    kept = np.sort(shuffled[position < max_keys_per_user])
    return pairs.iloc[kept].reset_index(drop=True)


def sensitivity(max_keys_per_user: int, max_weight: int = 1, *, delta: float = 0.0) -> int:
    """How far one user can move the vector of per-key totals after ``bound_contributions``: the L1 distance
    ``k * w`` for the Laplace mechanism (``delta`` 0), else the L2 distance ``sqrt(k) * w`` rounded up to an
    integer (OpenDP's integer vectors take integer distances; rounding up only overstates it)."""
    keys, weight = check_positive_int(max_keys_per_user, "max_keys_per_user"), check_positive_int(max_weight, "w")
    return keys * weight if delta == 0 else math.ceil(math.sqrt(keys) * weight)


def count_measurement(settings: PrivacySettings, max_weight: int = 1):
    """The OpenDP measurement on integer count vectors (any length) whose privacy map at
    ``sensitivity(settings.max_keys_per_user, max_weight)`` is at most ``(epsilon, delta)``: the Laplace
    mechanism (output measure max-divergence) for ``delta`` 0, else the discrete Gaussian with its zCDP loss
    converted to (epsilon, delta) at ``delta`` (``map`` gives ``(epsilon, delta)``), at ``noise_scale``."""
    return _mechanism(settings, noise_scale(settings, max_weight))


@functools.lru_cache(maxsize=64)
def noise_scale(settings: PrivacySettings, max_weight: int = 1) -> float:
    """A noise scale (Laplace: its scale b, standard deviation b * sqrt(2); Gaussian: its standard deviation) at
    which the mechanism meets ``(epsilon, delta)`` by OpenDP's own privacy map, at most ``SCALE_TOLERANCE`` above
    the smallest such scale."""
    d_in = sensitivity(settings.max_keys_per_user, max_weight, delta=settings.delta)
    d_out = settings.epsilon if settings.delta == 0 else (settings.epsilon, settings.delta)
    # Bounds around the Laplace scale d_in / epsilon: the Gaussian's is above half of it for any delta below 0.1
    # and far below 100 times it for any delta above e^-1000.
    low, high = d_in / settings.epsilon / 2, d_in / settings.epsilon * 100
    if not _mechanism(settings, high).check(d_in, d_out):
        raise ValueError(f"no noise scale up to {high:g} meets epsilon {settings.epsilon} and delta {settings.delta}")
    # Bisection on the ratio, keeping ``high`` a scale that meets the budget: 13 checks instead of the 60 or so of
    # a search to float precision (each builds a measurement; every evaluation run calibrates five epsilons).
    while high / low > 1 + SCALE_TOLERANCE:
        middle = math.sqrt(low * high)
        if _mechanism(settings, middle).check(d_in, d_out):
            high = middle
        else:
            low = middle
    return high


def _mechanism(settings: PrivacySettings, scale: float):
    import opendp.prelude as dp

    dp.enable_features("contrib")
    domain = dp.vector_domain(dp.atom_domain(T=int))
    if settings.delta == 0:
        return (domain, dp.l1_distance(T=int)) >> dp.m.then_laplace(scale=scale)
    gaussian = (domain, dp.l2_distance(T=int)) >> dp.m.then_gaussian(scale=scale)
    return dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(gaussian), settings.delta)


def privacy_loss(measurement, d_in: int) -> tuple[float, float]:
    """``(epsilon, delta)`` the measurement spends on datasets ``d_in`` apart (its privacy map; delta 0 for a
    pure-DP measurement)."""
    loss = measurement.map(d_in)
    return (float(loss[0]), float(loss[1])) if isinstance(loss, tuple) else (float(loss), 0.0)


def noisy_counts(counts, settings: PrivacySettings, max_weight: int = 1) -> np.ndarray:
    """``counts`` ((n_keys,) non-negative integers over the public universe, from ``bound_contributions`` with
    the same ``max_keys_per_user`` and ``max_weight``) plus the noise of ``count_measurement``, clipped at 0
    (post-processing, free of privacy cost). Returns (n_keys,) float64."""
    counts = np.asarray(counts)
    if counts.ndim != 1 or (len(counts) and (counts.min() < 0 or not np.array_equal(counts, np.rint(counts)))):
        raise ValueError("counts must be a 1-D vector of non-negative integers")
    if not len(counts):
        return np.zeros(0)
    released = count_measurement(settings, max_weight)(counts.astype(np.int64).tolist())
    return np.maximum(np.asarray(released, dtype=np.float64), 0.0)


def private_totals(
    interactions: pd.DataFrame,
    universe: pd.Index,
    settings: PrivacySettings,
    *,
    user_column: str = "user_id",
    weight_column: str | None = None,
    max_weight: int = 1,
    seed: int = 0,
) -> np.ndarray:
    """(len(universe),) float64: the DP total weight per key of ``universe`` (an ``Index`` of the keys, a
    ``MultiIndex`` for several key columns, named after them): ``bound_contributions`` then ``noisy_counts``.
    Keys outside the universe are dropped after the bound (dropping only lowers a user's reach); keys of the
    universe nobody has get noise too, so the output does not reveal which keys occur."""
    key_columns = list(universe.names)
    if any(name is None for name in key_columns):
        raise ValueError("universe must be an Index named after the key columns")
    bounded = bound_contributions(
        interactions,
        key_columns,
        settings.max_keys_per_user,
        user_column=user_column,
        weight_column=weight_column,
        max_weight=max_weight,
        seed=seed,
    )
    totals = bounded.groupby(key_columns, sort=False)[WEIGHT].sum()
    if len(key_columns) == 1:
        totals.index = pd.Index(totals.index, name=key_columns[0])
    counts = totals.reindex(universe, fill_value=0).to_numpy(dtype=np.int64)
    return noisy_counts(counts, settings, max_weight)


def optional_privacy(epsilon: float | None, delta: float, max_keys_per_user: int) -> PrivacySettings | None:
    """``PrivacySettings`` from run config, or None (exact counts) when ``epsilon`` is None."""
    return None if epsilon is None else PrivacySettings(epsilon, delta, max_keys_per_user)


def privacy_record(privacy: PrivacySettings | None, count_vectors: int) -> dict:
    """For asset metadata: whether published counts were differentially private, at which settings (per count
    vector), and the total budget of the ``count_vectors`` vectors released per dataset (basic composition:
    epsilons and deltas add up)."""
    if privacy is None:
        return {"on": False}
    return {
        "on": True,
        **privacy.describe(),
        "count_vectors_per_dataset": count_vectors,
        "total_epsilon": count_vectors * privacy.epsilon,
        "total_delta": count_vectors * privacy.delta,
    }
