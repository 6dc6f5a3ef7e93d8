import numpy as np
import pytest

from longtail.recommend.neighbours import build_faiss_index, exact_top_k, faiss_top_k, recall_against


def test_faiss_flat_is_exact(random_vectors):
    indices, scores = faiss_top_k(random_vectors, 7, index="flat")
    expected_indices, expected_scores = exact_top_k(random_vectors, 7)
    np.testing.assert_array_equal(indices, expected_indices)
    np.testing.assert_allclose(scores, expected_scores, atol=1e-5)


@pytest.mark.parametrize("index", ["ivf", "hnsw"])
def test_approximate_indexes_find_most_exact_neighbours(clustered_vectors, index):
    vectors, exact = clustered_vectors
    indices, scores = faiss_top_k(vectors, 10, index=index)
    assert indices.shape == (3000, 10) and indices.dtype == np.int64 and scores.dtype == np.float32
    assert recall_against(exact, indices) > 0.9
    assert not (indices == np.arange(3000)[:, None]).any()
    assert np.all(np.diff(scores, axis=1) <= 1e-6)


def test_ivf_recall_grows_with_nprobe_and_short_lists_are_padded(clustered_vectors):
    vectors, exact = clustered_vectors
    index = build_faiss_index(vectors, index="ivf", nlist=60)
    recalls = [recall_against(exact, faiss_top_k(vectors, 10, index=index, nprobe=p)[0]) for p in (1, 4, 60)]
    assert recalls[0] < recalls[1] < recalls[2] == pytest.approx(1.0)
    # one cell of about 50 items cannot hold 200 neighbours: the rest is -1 with score 0, at the end of the row
    indices, scores = faiss_top_k(vectors, 200, index=index, nprobe=1)
    missing = indices == -1
    assert missing.any() and np.all(scores[missing] == 0)
    assert np.all(np.diff(missing.astype(int), axis=1) >= 0)


def test_faiss_rows_and_queries(clustered_vectors):
    vectors, exact = clustered_vectors
    index = build_faiss_index(vectors, index="hnsw")
    rows = np.arange(0, 3000, 7)
    indices, _ = faiss_top_k(vectors, 10, index=index, rows=rows)
    assert recall_against(exact[rows], indices) > 0.9
    assert not (indices == rows[:, None]).any()
    # external queries equal to base rows find those rows first, as nothing is excluded
    indices, scores = faiss_top_k(vectors, 3, index=index, queries=vectors[:50])
    np.testing.assert_array_equal(indices[:, 0], np.arange(50))
    np.testing.assert_allclose(scores[:, 0], 1.0, atol=1e-5)


def test_faiss_rejects_an_index_over_other_vectors(random_vectors):
    with pytest.raises(ValueError, match="index holds 100 vectors"):
        faiss_top_k(random_vectors, 3, index=build_faiss_index(random_vectors[:100], index="flat"))
    with pytest.raises(ValueError, match="index must be one of"):
        faiss_top_k(random_vectors, 3, index="lsh")
    with pytest.raises(ValueError, match="train_size"):
        build_faiss_index(random_vectors, index="ivf", nlist=7, train_size=5)


def test_recall_against():
    exact = np.array([[1, 2, 3], [4, 5, -1], [-1, -1, -1]])
    approx = np.array([[3, 9, 1], [7, 8, 9], [1, 2, 3]])
    # row 0: 2 of 3 found, row 1: 0 of 2, row 2 has no exact neighbour and is left out
    assert recall_against(exact, approx) == pytest.approx((2 / 3 + 0) / 2)
    assert recall_against(exact[:2], exact[:2]) == 1.0
    with pytest.raises(ValueError, match="no neighbour"):
        recall_against(exact[2:], approx[2:])
    with pytest.raises(ValueError, match="rows"):
        recall_against(exact, approx[:2])
