"""Cleaning of the shared real catalogues: splitting feature bullets off Amazon categories leaves their real
category paths as they were.

Reads the folder named by ``LONGTAIL_DATA_DIR`` (e.g. ``../shared/data``); skipped when it is unset.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from longtail.data.adapters import read_file
from longtail.data.cleaning import CleaningResult, clean_items
from longtail.data.text_repairs import strip_markup
from tests.longtail.data.raw_rows import raw_rows

DATA_DIR = os.environ.get("LONGTAIL_DATA_DIR")
pytestmark = [
    pytest.mark.real_data,
    pytest.mark.skipif(not DATA_DIR, reason="LONGTAIL_DATA_DIR is not set"),
]


def cleaned_items(relative: str) -> tuple[pd.DataFrame, CleaningResult]:
    """(raw rows, cleaning result) of one shared catalogue file."""
    path = Path(DATA_DIR) / relative
    raw = raw_rows("items", read_file(path).items.to_dict("records"), source_file=path.name)
    return raw, clean_items(raw)


def paths_by_row(rows: pd.DataFrame) -> dict[int, str | None]:
    return {int(row): (None if pd.isna(path) else path) for row, path in zip(rows["source_row"], rows["category"])}


def test_magazine_category_paths_are_every_element_joined_as_before():
    raw, result = cleaned_items("amazon2018_magazine/meta_Magazine_Subscriptions.json.gz")
    # The rule before features were split off: every non-empty element, markup stripped, joined by " > ".
    before = {
        int(row): " > ".join(step for step in map(strip_markup, json.loads(category)) if step) or None
        for row, category in zip(raw["source_row"], raw["category"], strict=True)
    }
    after = paths_by_row(result.cleaned)
    assert len(after) == 2_320
    assert after == {row: before[row] for row in after}
    assert result.cleaned["features"].isna().all()
    assert result.repairs["features_from_category"] == 0


def test_instacart_category_paths_are_kept_as_written():
    raw, result = cleaned_items("instacart_sample/products.csv")
    after = paths_by_row(result.cleaned)
    assert after == {row: path for row, path in paths_by_row(raw).items() if row in after}
