import numpy as np
import pytest

from longtail.recommend.matrices import top_k_indices


def by_score_then_index(scores: np.ndarray, k: int) -> np.ndarray:
    order = np.lexsort((np.broadcast_to(np.arange(scores.shape[1]), scores.shape), -scores), axis=1)[:, :k]
    return np.where(np.take_along_axis(scores, order, axis=1) == -np.inf, -1, order)


def test_ties_at_the_kth_place_go_to_the_lower_indices():
    scores = np.array([[0.5, 0.9, 0.5, 0.5, 0.1, 0.5], [0.2, 0.2, 0.2, 0.2, 0.2, 0.3]], dtype=np.float32)
    np.testing.assert_array_equal(top_k_indices(scores, 3), [[1, 0, 2], [5, 0, 1]])


def test_unavailable_items_come_back_as_minus_one_and_short_rows_keep_their_width():
    scores = np.array([[0.3, -np.inf, 0.7, -np.inf], [-np.inf] * 4])
    np.testing.assert_array_equal(top_k_indices(scores, 3), [[2, 0, -1], [-1, -1, -1]])
    np.testing.assert_array_equal(top_k_indices(scores, 9), [[2, 0, -1, -1], [-1, -1, -1, -1]])


@pytest.mark.parametrize("k", [1, 7, 40])
def test_lists_are_the_rows_sorted_by_score_then_index(k):
    rng = np.random.default_rng(k)
    scores = np.round(rng.random((60, 50)), 1)  # many ties
    scores[rng.random(scores.shape) < 0.2] = -np.inf
    np.testing.assert_array_equal(top_k_indices(scores, k), by_score_then_index(scores, k))
    # The same lists from float32, from a read-only array and from a column-major one.
    frozen = scores.astype(np.float32)
    frozen.flags.writeable = False
    for variant in (frozen, np.asfortranarray(scores)):
        np.testing.assert_array_equal(top_k_indices(variant, k), by_score_then_index(scores, k))
    assert not frozen.flags.writeable
