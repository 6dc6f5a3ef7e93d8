"""Confidence intervals shared by the evaluations."""

from __future__ import annotations

import numpy as np

# The normal quantile of a two-sided 95% interval.
Z95 = 1.96


def wilson_interval(successes, trials, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """``(lower, upper)`` of the Wilson score interval for ``successes / trials`` (counts, scalars or arrays that
    broadcast); ``(0.0, 1.0)`` where ``trials`` is 0. Unlike the normal approximation it stays inside [0, 1] and
    gives a useful upper bound for 0 successes (about 3.8 / n)."""
    successes = np.asarray(successes, dtype=np.float64)
    trials = np.asarray(trials, dtype=np.float64)
    if np.any(successes < 0) or np.any(successes > trials):
        raise ValueError("successes must lie between 0 and trials")
    n = np.maximum(trials, 1.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    margin = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # Clipped: at 0 or n successes the bound is 0 or 1 up to float rounding.
    lower = np.where(trials > 0, np.clip(centre - margin, 0.0, 1.0), 0.0)
    upper = np.where(trials > 0, np.clip(centre + margin, 0.0, 1.0), 1.0)
    return lower, upper


def bootstrap_mean_interval(values, n_resamples: int = 2000, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap 95% interval of the mean of ``values`` (1-D); ``(nan, nan)`` for no values."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"values must be 1-D, got shape {values.shape}")
    if not len(values):
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(n_resamples, len(values)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def paired_bootstrap_means(
    values: dict[str, np.ndarray], n_resamples: int = 1000, seed: int = 0
) -> dict[str, np.ndarray]:
    """``(n_resamples,)`` means of each name's per-case ``values`` (1-D, all the same length) over the same
    resampled cases, so that a ratio of two names' resampled means is a paired bootstrap of their ratio."""
    lengths = {len(array) for array in values.values()}
    if len(lengths) != 1:
        raise ValueError(f"values must all have the same length, got {sorted(lengths)}")
    (n_cases,) = lengths
    if not n_cases:
        raise ValueError("no cases to resample")
    rows = np.random.default_rng(seed).integers(0, n_cases, size=(n_resamples, n_cases))
    return {name: np.asarray(array, dtype=np.float64)[rows].mean(axis=1) for name, array in values.items()}


def percentile_interval(values) -> list[float]:
    """``[low, high]``: the 2.5 and 97.5 percentiles of resampled ``values`` (1-D), NaN resamples left out."""
    return [float(value) for value in np.nanpercentile(np.asarray(values, dtype=np.float64), [2.5, 97.5])]
