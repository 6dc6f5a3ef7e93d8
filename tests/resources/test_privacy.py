import pandas as pd
import pytest

from resources.privacy import RETENTION_ENV, PrivacyResource, retention_from_env


def test_retention_periods_are_read_per_dataset():
    assert retention_from_env({RETENTION_ENV: "online_retail=730, magazine=365,"}) == {
        "online_retail": 730,
        "magazine": 365,
    }
    assert retention_from_env({}) == {}


@pytest.mark.parametrize("value", ["shop", "shop=", "=30", "shop=0", "shop=ten", "shop=-3"])
def test_a_malformed_retention_period_names_the_entry(value):
    with pytest.raises(ValueError, match=RETENTION_ENV):
        retention_from_env({RETENTION_ENV: value})


def test_retention_counts_back_from_now(tmp_path):
    privacy = PrivacyResource(key_file=str(tmp_path / "id_key"), retention_days={"shop": 30})
    now = pd.Timestamp("2026-12-02 12:00", tz="UTC")
    assert privacy.retain_since(now) == {"shop": pd.Timestamp("2026-11-02 12:00", tz="UTC")}
