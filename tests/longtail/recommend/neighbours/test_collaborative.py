import numpy as np
import pytest
import scipy.sparse as sp

from longtail.recommend.neighbours import collaborative, collaborative_top_k, neighbours_to_csr
from longtail.recommend.neighbours.collaborative import _keep_block_top_k, _keep_top_k


@pytest.mark.parametrize("shrink", [0.0, 2.0])
def test_collaborative_equals_dense_cosine(shrink):
    rng = np.random.default_rng(3)
    X = sp.random(80, 60, density=0.08, format="csr", random_state=rng, dtype=np.float32)
    X.data = rng.integers(1, 4, size=X.nnz).astype(np.float32)  # counts: binarised before the cosine
    binary = (X.toarray() > 0).astype(np.float64)
    binary[:, 59] = 0  # item 59 has no users
    X = sp.csr_matrix(binary)
    norms = np.linalg.norm(binary, axis=0)
    gram, denom = binary.T @ binary, np.outer(norms, norms) + shrink
    cosine = np.divide(gram, denom, out=np.zeros_like(gram), where=denom > 0)
    np.fill_diagonal(cosine, 0)
    indices, scores = collaborative_top_k(X, 8, shrink=shrink, block_size=7)
    assert indices.shape == (60, 8) and indices.dtype == np.int64 and scores.dtype == np.float32
    for item in range(60):
        found = indices[item] >= 0
        # the found neighbours are the most similar positive ones, best first, -1 padding after them
        assert np.all(found[: found.sum()])
        expected = np.sort(cosine[item][cosine[item] > 0])[::-1][:8]
        np.testing.assert_allclose(scores[item, found], expected, rtol=1e-5)
        np.testing.assert_allclose(cosine[item, indices[item, found]], expected, rtol=1e-5)
        assert np.all(scores[item, ~found] == 0)
    assert np.all(indices[59] == -1)


def test_collaborative_matches_itemknn_similarity():
    from longtail.recommend.models import ItemKNN

    rng = np.random.default_rng(4)
    X = sp.random(100, 50, density=0.1, format="csr", random_state=rng, dtype=np.float32)
    indices, scores = collaborative_top_k(X, 6, shrink=1.0)
    expected = ItemKNN(k_neighbors=6, shrink=1.0).fit(X).similarity_
    assert (neighbours_to_csr(indices, scores, 50) != expected).nnz == 0


def test_collaborative_validation():
    with pytest.raises(TypeError, match="scipy.sparse"):
        collaborative_top_k(np.ones((3, 3)), 2)
    with pytest.raises(ValueError, match="shrink"):
        collaborative_top_k(sp.csr_matrix(np.ones((3, 3))), 2, shrink=-1.0)
    with pytest.raises(ValueError, match="k must be"):
        collaborative_top_k(sp.csr_matrix(np.ones((3, 3))), 0)


def test_a_tie_at_the_kth_place_keeps_the_lower_indices():
    # Item 0 shares one user with each of items 1..6, each bought by that user only: six neighbours tied at
    # 1/sqrt(6) for five places (argpartition alone kept item 6 over item 5 here).
    X = sp.csr_matrix(np.hstack([np.ones((6, 1)), np.eye(6)]).astype(np.float32))
    for block_size in (1, 3, 1024):
        indices, scores = collaborative_top_k(X, 5, block_size=block_size)
        np.testing.assert_array_equal(indices[0], [1, 2, 3, 4, 5])
        np.testing.assert_array_equal(scores[0], np.float32(1) / np.sqrt(np.float32(6)))
        np.testing.assert_array_equal(indices[1:, 0], 0)


def reference_block_top_k(sims, start, active, k, shape):
    """``_keep_block_top_k`` row by row: each row's positive entries but the item's own, by (-score, column)."""
    indices, scores = np.full(shape, -1, dtype=np.int64), np.zeros(shape, dtype=np.float32)
    for row, values in enumerate(sims):
        best = sorted((-value, column) for column, value in enumerate(values) if value > 0 and column != start + row)
        for place, (negated, column) in enumerate(best[:k]):
            indices[active[start + row], place] = active[column]
            scores[active[start + row], place] = -negated
    return indices, scores


def dense_rows(sims, start, active, k, indices, scores):
    _keep_block_top_k(sims.copy(), start, active, k, indices, scores)


def stored_entries(sims, start, active, k, indices, scores):
    """``_keep_top_k`` from the stored entries, however many there are."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(collaborative, "SPARSE_SELECTION_COST", 0)
        _keep_top_k(sp.csr_matrix(sims), start, active, k, indices, scores)


def stored_entries_a_few_rows_at_a_time(sims, start, active, k, indices, scores):
    """``_keep_top_k`` from the stored entries, with a sort key too short for more than a few rows beside the
    columns (as for a catalogue of millions)."""
    with pytest.MonkeyPatch.context() as patch:
        column_bits = max(int(sims.shape[1] - 1).bit_length(), 1)
        patch.setattr(collaborative, "ROW_AND_COLUMN_BITS", column_bits + 2)  # 4 rows at a time
        stored_entries(sims, start, active, k, indices, scores)


@pytest.mark.parametrize("keep", [dense_rows, stored_entries, stored_entries_a_few_rows_at_a_time])
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("n_columns,k", [(2, 1), (40, 1), (40, 6), (40, 39), (300, 50), (300, 299)])
def test_block_top_k_matches_a_row_by_row_reference(keep, seed, n_columns, k):
    rng = np.random.default_rng(seed)
    n_rows = min(n_columns, 25)
    start = int(rng.integers(0, n_columns - n_rows + 1))
    active = np.sort(rng.choice(n_columns + 20, size=n_columns, replace=False))  # some items inactive
    # Small integers divided by 3, most rows sparse: many ties (at the k-th place too), zeros, negative values, rows
    # with fewer than k positive entries.
    density = rng.random((n_rows, 1)) ** 2
    sims = np.where(rng.random((n_rows, n_columns)) < density, rng.integers(-2, 5, (n_rows, n_columns)), 0)
    sims = (sims / 3).astype(np.float32)
    sims[0] = 0
    sims[-1] = -1 if seed == 0 else 1  # nothing to keep, or all but the item's own tied
    shape = (n_columns + 20, k + 1)  # a column past k: the block's k-th place is not the table's last one
    expected = reference_block_top_k(sims, start, active, k, shape)
    indices, scores = np.full(shape, -1, dtype=np.int64), np.zeros(shape, dtype=np.float32)
    keep(sims, start, active, k, indices, scores)
    np.testing.assert_array_equal(indices, expected[0])
    np.testing.assert_array_equal(scores, expected[1])


@pytest.mark.parametrize("cost", [0, 10**9])  # every block from its stored entries, or every block dense
def test_itemknn_and_rp3beta_neighbours_are_the_same_by_either_selection(cost, monkeypatch):
    from longtail.recommend.neighbours import rp3beta_top_k

    rng = np.random.default_rng(5)
    X = sp.random(120, 90, density=0.04, format="csr", random_state=rng, dtype=np.float32)
    expected = [collaborative_top_k(X, 7, shrink=1.0, block_size=16), rp3beta_top_k(X, 7, block_size=16)]
    monkeypatch.setattr(collaborative, "SPARSE_SELECTION_COST", cost)
    found = [collaborative_top_k(X, 7, shrink=1.0, block_size=16), rp3beta_top_k(X, 7, block_size=16)]
    for (indices, scores), (expected_indices, expected_scores) in zip(found, expected):
        np.testing.assert_array_equal(indices, expected_indices)
        np.testing.assert_array_equal(scores, expected_scores)
