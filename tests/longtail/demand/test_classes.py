import numpy as np
import pandas as pd
import pytest

from longtail.demand.classes import CLASSES, class_counts, classify_demand
from tests.longtail.demand.weekly_rows import weekly_frame


def test_classify_demand_matches_hand_computed_adi_and_cv2():
    weekly = weekly_frame(
        {
            "smooth": [10, 11, 9, 10, 10, 12],  # ADI 1, sizes nearly constant
            "erratic": [1, 20, 2, 30, 1, 25],  # ADI 1, sizes vary a lot
            "intermittent": [5, 0, 0, 5, 0, 6],  # ADI 2, similar sizes
            "lumpy": [1, 0, 0, 40, 0, 0],  # ADI 3, very different sizes
        }
    )
    classes = classify_demand(weekly).set_index("item_id")
    assert classes["demand_class"].to_dict() == {name: name for name in CLASSES}
    sizes = np.array([5.0, 5.0, 6.0])
    assert classes.loc["intermittent", "adi"] == pytest.approx(6 / 3)
    assert classes.loc["intermittent", "cv2"] == pytest.approx(sizes.var() / sizes.mean() ** 2)
    assert classes.loc["lumpy", "adi"] == pytest.approx(3.0)
    assert classes.loc["lumpy", "cv2"] == pytest.approx(np.var([1.0, 40.0]) / 20.5**2)
    assert classes.loc["smooth", "n_demand_weeks"] == 6


def test_classify_demand_ignores_leading_zero_weeks():
    weekly = weekly_frame({"late": [0, 0, 0, 4, 4]})
    row = classify_demand(weekly).iloc[0]
    assert row["n_weeks"] == 2 and row["adi"] == 1.0 and row["demand_class"] == "smooth"


def test_classify_demand_of_an_empty_table_has_the_columns():
    classes = classify_demand(weekly_frame({}))
    assert classes.empty and list(classes.columns)[:2] == ["dataset", "item_id"]
    assert "demand_class" in classes.columns


def test_class_counts_count_items_per_dataset_and_class():
    weekly = pd.concat(
        [
            weekly_frame({"a": [1, 1, 1], "b": [1, 0, 0]}, dataset="shop"),
            weekly_frame({"c": [2, 2, 2]}, dataset="other"),
        ]
    )
    counts = class_counts(classify_demand(weekly)).set_index("dataset")
    assert counts.loc["shop", "smooth"] == 1 and counts.loc["shop", "intermittent"] == 1
    assert counts.loc["other", "smooth"] == 1 and counts.loc["other", "intermittent"] == 0
