from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from longtail.serving.snapshot import (
    CURRENT,
    SnapshotError,
    current_version,
    publish_snapshot,
    read_manifest,
    read_shop,
    switch_current,
    versions,
)
from tests.longtail.serving.shops import small_shop


def test_publish_writes_a_read_only_version_and_switches_current(tmp_path):
    folder = publish_snapshot(tmp_path, {"shop": small_shop()}, version="v1")
    assert current_version(tmp_path) == "v1" == folder.name
    assert (tmp_path / CURRENT).is_symlink()
    manifest = read_manifest(folder)
    assert manifest["datasets"]["shop"]["counts"]["items"] == 12
    assert manifest["datasets"]["shop"]["settings"] == {"recommendation": "{}", "currency": "GBP"}
    shop = read_shop(folder / "shop")
    pd.testing.assert_frame_equal(shop.items, small_shop().items)
    np.testing.assert_array_equal(shop.vectors, small_shop().vectors)
    assert all(path.stat().st_mode & 0o222 == 0 for path in folder.rglob("*.parquet"))


def test_the_newest_versions_are_kept_and_the_current_one_never_deleted(tmp_path):
    for version in ("v1", "v2", "v3", "v4"):
        publish_snapshot(tmp_path, {"shop": small_shop()}, keep=2, version=version)
    assert versions(tmp_path) == ["v3", "v4"]
    switch_current(tmp_path, "v3")
    publish_snapshot(tmp_path, {"shop": small_shop()}, keep=1, version="v5")
    assert current_version(tmp_path) == "v5"
    assert versions(tmp_path) == ["v5"]


def test_a_shop_that_fails_validation_publishes_nothing(tmp_path):
    publish_snapshot(tmp_path, {"shop": small_shop()}, version="v1")
    shop = small_shop()
    broken = replace(shop, lists=shop.lists.assign(item_id="not-an-item"))
    with pytest.raises(SnapshotError, match=r"'shop': lists.item_id names .* not in items, e.g. 'not-an-item'"):
        publish_snapshot(tmp_path, {"shop": broken}, version="v2")
    assert versions(tmp_path) == ["v1"] and current_version(tmp_path) == "v1"
    with pytest.raises(SnapshotError, match="vectors have shape"):
        publish_snapshot(tmp_path, {"shop": replace(shop, vectors=shop.vectors[:3])}, version="v2")
    with pytest.raises(SnapshotError, match="lacks column"):
        publish_snapshot(tmp_path, {"shop": replace(shop, items=shop.items.drop(columns="price"))}, version="v2")
    assert versions(tmp_path) == ["v1"]


def test_an_existing_version_is_never_overwritten(tmp_path):
    publish_snapshot(tmp_path, {"shop": small_shop()}, version="v1")
    with pytest.raises(SnapshotError, match="already exists"):
        publish_snapshot(tmp_path, {"shop": small_shop()}, version="v1")
    with pytest.raises(SnapshotError, match="no snapshot 'v9'"):
        switch_current(tmp_path, "v9")
