import numpy as np
import pytest

from longtail.stats import bootstrap_mean_interval, percentile_interval, wilson_interval


def test_wilson_interval_hand_computed():
    # 8 of 10, z = 1.96: (0.8 + 0.19208 -/+ 1.96 * sqrt(0.016 + 0.009604)) / 1.38416 = 0.49016 and 0.94332.
    lower, upper = wilson_interval(8, 10)
    assert float(lower) == pytest.approx(0.49016, abs=1e-5)
    assert float(upper) == pytest.approx(0.94332, abs=1e-5)
    # 1 of 1: the lower bound is 1 / (1 + z^2); 0 of n: the upper bound is z^2 / (n + z^2).
    assert float(wilson_interval(1, 1)[0]) == pytest.approx(1 / (1 + 1.96**2))
    assert float(wilson_interval(0, 100)[1]) == pytest.approx(1.96**2 / (100 + 1.96**2))
    lower, upper = wilson_interval(np.array([0, 0]), np.array([0, 5]))
    assert lower.tolist() == [0.0, 0.0] and upper[0] == 1.0 and 0 < upper[1] < 1
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(3, 2)


def test_bootstrap_mean_interval_brackets_the_mean():
    values = np.random.default_rng(1).normal(0.3, 0.1, size=400)
    low, high = bootstrap_mean_interval(values)
    assert low < values.mean() < high
    # About 2 * 1.96 * 0.1 / sqrt(400) wide.
    assert high - low == pytest.approx(2 * 1.96 * 0.1 / 20, rel=0.25)
    assert all(np.isnan(bootstrap_mean_interval([])))
    with pytest.raises(ValueError, match="1-D"):
        bootstrap_mean_interval(np.zeros((2, 2)))


def test_percentile_interval_leaves_out_nan_resamples():
    values = np.concatenate([np.arange(1.0, 101.0), [np.nan] * 10])
    low, high = percentile_interval(values)
    assert low == pytest.approx(np.percentile(np.arange(1.0, 101.0), 2.5))
    assert high == pytest.approx(np.percentile(np.arange(1.0, 101.0), 97.5))
