import numpy as np
import pytest

from longtail.recommend.reranking import calibrate_tail_share

# Items 0-4 are head, 5-9 tail; relevance falls with the index, so head items always score higher.
TAIL = np.arange(10) >= 5
RELEVANCE = np.tile(np.linspace(1.0, 0.1, 10), (3, 1))


def tail_count(lists: np.ndarray) -> np.ndarray:
    return TAIL[lists].sum(axis=1)


def test_weight_zero_keeps_the_relevance_order():
    lists = calibrate_tail_share(RELEVANCE, TAIL, np.array([0.0, 0.5, 1.0]), 4, 0.0)
    np.testing.assert_array_equal(lists, np.tile(np.arange(4), (3, 1)))


def test_lists_follow_each_users_appetite():
    lists = calibrate_tail_share(RELEVANCE, TAIL, np.array([0.0, 0.5, 1.0]), 4, 0.9)
    np.testing.assert_array_equal(tail_count(lists), [0, 2, 4])
    # Within each group items keep their relevance order.
    np.testing.assert_array_equal(lists[1][~TAIL[lists[1]]], [0, 1])
    np.testing.assert_array_equal(lists[2], [5, 6, 7, 8])


def test_more_weight_never_moves_a_list_away_from_the_appetite():
    appetite = np.full(3, 0.5)
    counts = [tail_count(calibrate_tail_share(RELEVANCE, TAIL, appetite, 6, w))[0] for w in (0.0, 0.3, 0.6, 0.9)]
    assert counts == sorted(counts) and counts[0] == 1 and counts[-1] == 3  # top 6 by relevance hold item 5


def test_excluded_items_never_appear_and_short_catalogues_pad_with_minus_one():
    relevance = RELEVANCE.copy()
    relevance[:, [5, 6, 7, 8]] = -np.inf
    lists = calibrate_tail_share(relevance, TAIL, np.ones(3), 8, 0.9)
    assert not np.isin(lists, [5, 6, 7, 8]).any()
    assert (lists[0] == -1).sum() == 2
    assert set(lists[0][lists[0] >= 0]) == {0, 1, 2, 3, 4, 9}


@pytest.mark.parametrize("tail", [np.zeros(10, bool), np.ones(10, bool), TAIL], ids=["no tail", "all tail", "half"])
def test_a_list_longer_than_a_group_or_the_catalogue_holds_each_item_once_then_minus_one(tail):
    lists = calibrate_tail_share(RELEVANCE, tail, np.array([0.0, 0.5, 1.0]), 12, 0.9)
    assert lists.shape == (3, 12) and (lists[:, 10:] == -1).all()
    for row in lists:
        assert sorted(row[:10]) == list(range(10))


def test_float32_scores_give_the_lists_of_their_float64_values():
    relevance = np.random.default_rng(0).random((50, 40)).astype(np.float32)
    relevance[relevance < 0.1] = -np.inf
    tail = np.arange(40) % 3 == 0
    appetite = np.linspace(0, 1, 50)
    for weight in (0.0, 0.6):
        np.testing.assert_array_equal(
            calibrate_tail_share(relevance, tail, appetite, 10, weight),
            calibrate_tail_share(relevance.astype(np.float64), tail, appetite, 10, weight),
        )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"tail": np.ones(3, bool)}, "tail must have shape"),
        ({"appetite": np.array([0.1, 2.0, 0.0])}, "appetite"),
        ({"weight": 1.5}, "weight"),
    ],
)
def test_bad_input_is_refused(kwargs, message):
    args = {"relevance": RELEVANCE, "tail": TAIL, "appetite": np.zeros(3), "k": 3, "weight": 0.5} | kwargs
    with pytest.raises(ValueError, match=message):
        calibrate_tail_share(**args)
