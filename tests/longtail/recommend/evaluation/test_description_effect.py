import numpy as np
import scipy.sparse as sp

from longtail.recommend.evaluation.description_effect import _gain_interval, _target_hits, half_of


def test_target_hits_say_which_focus_targets_are_listed():
    # Two users; user 0 wants items 1 and 2, user 1 wants items 2 and 3.
    targets = sp.csr_matrix(np.array([[0, 1, 1, 0], [0, 0, 1, 1]]))
    lists = np.array([[1, 0], [0, 3]])
    focus = np.array([False, True, True, False])
    # Focus targets: (0, 1), (0, 2), (1, 2); of them only (0, 1) is listed.
    assert _target_hits(lists, targets, focus).tolist() == [True, False, False]
    assert _target_hits(lists, targets, np.ones(4, dtype=bool)).tolist() == [True, False, False, True]


def test_gain_interval_brackets_the_gain():
    without = np.array([True] * 10 + [False] * 90)
    with_text = np.array([True] * 15 + [False] * 85)
    low, high = _gain_interval(without, with_text)
    assert low <= 1.5 <= high and low >= 1.0  # every target hit without is also hit with
    assert _gain_interval(np.zeros(5, dtype=bool), np.ones(5, dtype=bool)) is None


def test_half_of_splits_items_by_a_fixed_hash():
    halves = [half_of(f"i{n}") for n in range(2000)]
    assert half_of("i7") == half_of("i7") and set(halves) == {"validation", "test"}
    assert 0.45 < halves.count("validation") / len(halves) < 0.55
