import numpy as np
import pytest

from longtail.recommend.neighbours import exact_top_k, recall_against
from tests.longtail.recommend.neighbours.conftest import brute_force, normalised


@pytest.mark.parametrize("block_size, base_block_size", [(1, 300), (7, 5), (64, 50), (300, 299), (4096, 32768)])
@pytest.mark.parametrize("exclude_self", [True, False])
def test_exact_equals_brute_force_across_tile_boundaries(random_vectors, block_size, base_block_size, exclude_self):
    indices, scores = exact_top_k(
        random_vectors, 7, block_size=block_size, base_block_size=base_block_size, exclude_self=exclude_self
    )
    expected_indices, expected_scores = brute_force(random_vectors, 7, exclude_self=exclude_self)
    assert indices.dtype == np.int64 and scores.dtype == np.float32 and indices.shape == (300, 7)
    np.testing.assert_array_equal(indices, expected_indices)
    np.testing.assert_allclose(scores, expected_scores, atol=1e-5)
    has_self = (indices == np.arange(300)[:, None]).any(axis=1)
    assert not has_self.any() if exclude_self else has_self.all()


def test_exact_with_external_queries_and_with_rows(random_vectors):
    queries = normalised(np.random.default_rng(1), 20, 16)
    indices, scores = exact_top_k(random_vectors, 5, queries=queries, block_size=6, base_block_size=40)
    expected_indices, expected_scores = brute_force(random_vectors, 5, queries=queries)
    np.testing.assert_array_equal(indices, expected_indices)
    np.testing.assert_allclose(scores, expected_scores, atol=1e-5)
    # searching some rows of the base gives those rows of the full search, self still excluded
    rows = np.array([299, 0, 17, 17])
    full = exact_top_k(random_vectors, 5)
    some = exact_top_k(random_vectors, 5, rows=rows, block_size=3, base_block_size=64)
    np.testing.assert_array_equal(some[0], full[0][rows])
    np.testing.assert_allclose(some[1], full[1][rows], atol=1e-6)


def test_exact_clamps_k_to_the_other_items():
    vectors = normalised(np.random.default_rng(2), 6, 4)
    indices, scores = exact_top_k(vectors, 50, base_block_size=4)
    assert indices.shape == (6, 5)
    for item, row in enumerate(indices):
        assert sorted(row) == [other for other in range(6) if other != item]
    assert np.all(np.diff(scores, axis=1) <= 1e-6)  # best first
    assert exact_top_k(vectors, 50, exclude_self=False)[0].shape == (6, 6)
    assert exact_top_k(vectors[:1], 3)[0].shape == (1, 0)


def test_half_precision_is_close_to_float32(random_vectors):
    indices, scores = exact_top_k(random_vectors, 10, half=True, base_block_size=128)
    expected_indices, expected_scores = exact_top_k(random_vectors, 10)
    assert scores.dtype == np.float32
    np.testing.assert_allclose(scores, expected_scores, atol=5e-3)
    assert recall_against(expected_indices, indices) > 0.95
    with pytest.raises(ValueError, match="float16"):
        exact_top_k(random_vectors * 300, 3, half=True)


@pytest.mark.parametrize("name", ["block_size", "base_block_size"])
def test_exact_rejects_bad_block_sizes(name):
    with pytest.raises(ValueError, match=name):
        exact_top_k(np.eye(3), 2, **{name: 0})
