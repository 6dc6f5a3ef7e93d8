"""User-level differential privacy: the contribution bound, the privacy map and the noise of ``longtail.privacy.dp``."""

import math

import numpy as np
import pandas as pd
import pytest

from longtail.privacy.dp import (
    PrivacySettings,
    bound_contributions,
    count_measurement,
    noise_scale,
    noisy_counts,
    privacy_loss,
    private_totals,
    sensitivity,
)


def random_events(seed: int, n_users: int = 40, n_items: int = 15) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 600
    return pd.DataFrame(
        {
            "user_id": rng.integers(0, n_users, n),
            "item_id": rng.integers(0, n_items, n),
            "units": rng.integers(0, 9, n).astype(float),
        }
    )


def totals(bounded: pd.DataFrame, n_items: int) -> np.ndarray:
    return bounded.groupby("item_id")["weight"].sum().reindex(range(n_items), fill_value=0).to_numpy()


@pytest.mark.parametrize("max_weight", [1, 3])
def test_no_user_exceeds_the_bound_and_one_user_moves_the_totals_by_at_most_the_sensitivity(max_weight):
    for seed in range(5):
        events = random_events(seed)
        weight = "units" if max_weight > 1 else None
        kwargs = dict(weight_column=weight, max_weight=max_weight, seed=seed)
        bounded = bound_contributions(events, ["item_id"], 4, **kwargs)
        assert bounded.groupby("user_id").size().max() <= 4
        assert bounded["weight"].between(0, max_weight).all()
        assert not bounded.duplicated(["user_id", "item_id"]).any()
        # Neighbouring dataset: one user removed. Its bound is the same sample for everyone else.
        removed = int(events["user_id"].iloc[0])
        without = bound_contributions(events[events["user_id"] != removed], ["item_id"], 4, **kwargs)
        change = totals(bounded, 15) - totals(without, 15)
        assert np.abs(change).sum() <= sensitivity(4, max_weight)
        assert np.sqrt((change**2).sum()) <= sensitivity(4, max_weight, delta=1e-6)


def test_the_bound_is_a_seeded_sample_that_drops_rows_without_a_user():
    events = random_events(0)
    first = bound_contributions(events, ["item_id"], 3, seed=1)
    assert first.equals(bound_contributions(events, ["item_id"], 3, seed=1))
    assert not first.equals(bound_contributions(events, ["item_id"], 3, seed=2))
    with_guest = pd.concat([events, pd.DataFrame({"user_id": [None], "item_id": [99], "units": [1.0]})])
    assert 99 not in bound_contributions(with_guest, ["item_id"], 3)["item_id"].to_numpy()


def test_sensitivity_is_l1_for_laplace_and_rounded_up_l2_for_gaussian():
    assert sensitivity(20, 3) == 60
    assert sensitivity(20, 3, delta=1e-6) == math.ceil(math.sqrt(20) * 3) == 14


@pytest.mark.parametrize("delta", [0.0, 1e-6])
def test_the_privacy_map_at_the_sensitivity_gives_the_promised_budget_and_more_sensitivity_costs_more(delta):
    settings = PrivacySettings(epsilon=1.0, delta=delta, max_keys_per_user=9)
    measurement = count_measurement(settings)
    d_in = sensitivity(9, delta=delta)
    epsilon, spent_delta = privacy_loss(measurement, d_in)
    assert 0.99 <= epsilon <= 1.0 and spent_delta == pytest.approx(delta)
    assert privacy_loss(measurement, 2 * d_in)[0] > 1.5
    # A bound of more items per user needs more noise for the same budget.
    assert noise_scale(PrivacySettings(1.0, delta, 36)) > noise_scale(settings)


@pytest.mark.parametrize("delta", [0.0, 1e-6])
def test_the_noise_is_centred_with_the_calibrated_spread(delta):
    settings = PrivacySettings(epsilon=2.0, delta=delta, max_keys_per_user=4)
    scale = noise_scale(settings)
    expected_sd = scale * math.sqrt(2) if delta == 0 else scale
    # Counts far from 0, so the clip at 0 never acts: 4,000 draws give the spread within a few percent.
    released = noisy_counts(np.full(4_000, 10_000), settings)
    assert abs(released.mean() - 10_000) < 4 * expected_sd / math.sqrt(4_000)
    assert released.std() == pytest.approx(expected_sd, rel=0.1)
    assert (noisy_counts(np.zeros(200, dtype=int), settings) >= 0).all()


def test_private_totals_cover_the_whole_universe():
    events = random_events(0)
    universe = pd.Index(range(20), name="item_id")  # five items nobody has: noise alone
    released = private_totals(events, universe, PrivacySettings(8.0, 0.0, 3))
    assert released.shape == (20,) and (released >= 0).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epsilon": 0.0}, "epsilon"),
        ({"epsilon": float("inf")}, "epsilon"),
        ({"epsilon": 1.0, "delta": 1.0}, "delta"),
        ({"epsilon": 1.0, "delta": -0.1}, "delta"),
        ({"epsilon": 1.0, "max_keys_per_user": 0}, "max_keys_per_user"),
    ],
)
def test_settings_are_validated(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PrivacySettings(**kwargs)


def test_counts_must_be_non_negative_integers():
    with pytest.raises(ValueError, match="non-negative integers"):
        noisy_counts(np.array([1.5, 2.0]), PrivacySettings(1.0))
    with pytest.raises(ValueError, match="non-negative integers"):
        noisy_counts(np.array([-1]), PrivacySettings(1.0))


@pytest.mark.parametrize("settings", [PrivacySettings(8.0, 1e-6, 5), PrivacySettings(0.5, 1e-12, 50)])
def test_calibration_holds_at_large_sensitivities(settings):
    # Recency weights at a resolution of 100 make the sensitivity a hundred times larger.
    d_in = sensitivity(settings.max_keys_per_user, 100, delta=settings.delta)
    epsilon, delta = privacy_loss(count_measurement(settings, max_weight=100), d_in)
    assert epsilon <= settings.epsilon and delta == pytest.approx(settings.delta)
