import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from longtail.recommend import neighbours
from longtail.recommend.neighbours import (
    blend_neighbours,
    build_faiss_index,
    collaborative_top_k,
    exact_top_k,
    faiss_top_k,
    neighbour_table,
    neighbours_to_csr,
    recall_against,
    top_k_similarity,
)


def normalised(rng, n, dim):
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def clustered(n=3000, dim=32, n_clusters=30, seed=0):
    """L2-normalised points around random centres: nearest neighbours are mostly in the same cluster."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_clusters, dim))
    vectors = centres[rng.integers(n_clusters, size=n)] + 0.5 * rng.standard_normal((n, dim))
    vectors = vectors.astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def brute_force(vectors, k, queries=None, exclude_self=True):
    """Top-k by inner product in float64 numpy: the reference for the searches."""
    base = vectors.astype(np.float64)
    scores = (base if queries is None else queries.astype(np.float64)) @ base.T
    if queries is None and exclude_self:
        np.fill_diagonal(scores, -np.inf)
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(scores, order, axis=1)


@pytest.fixture(scope="module")
def random_vectors():
    return normalised(np.random.default_rng(0), 300, 16)


@pytest.fixture(scope="module")
def clustered_vectors():
    vectors = clustered()
    return vectors, brute_force(vectors, 10)[0]


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


@pytest.mark.parametrize(
    "vectors, kwargs, match",
    [
        (np.ones(5), {}, "2-D float"),
        (np.ones((5, 3), dtype=np.int64), {}, "2-D float"),
        (np.ones((0, 3)), {}, "at least one row"),
        (np.array([[1.0, np.nan], [0.0, 1.0]]), {}, "NaN"),
        (np.array([[1.0, np.inf], [0.0, 1.0]]), {}, "NaN or infinite"),
        (np.array([[1e39, 0.0], [0.0, 1.0]]), {}, "float32"),
        (np.eye(3), {"k": 0}, "k must be"),
        (np.eye(3), {"queries": np.ones((2, 4))}, "dim"),
        (np.eye(3), {"queries": np.ones((2, 3)), "rows": np.array([0])}, "either queries or rows"),
        (np.eye(3), {"rows": np.array([0, 3])}, r"rows must be in \[0, 3\)"),
        (np.eye(3), {"rows": np.array([0.5])}, "integer row indices"),
    ],
)
@pytest.mark.parametrize("search", [exact_top_k, faiss_top_k])
def test_searches_reject_bad_input(search, vectors, kwargs, match):
    kwargs = {"k": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        search(vectors, kwargs.pop("k"), **kwargs)


@pytest.mark.parametrize("name", ["block_size", "base_block_size"])
def test_exact_rejects_bad_block_sizes(name):
    with pytest.raises(ValueError, match=name):
        exact_top_k(np.eye(3), 2, **{name: 0})


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


def test_top_k_similarity_dispatches_on_size_and_device(random_vectors, monkeypatch):
    calls = []
    monkeypatch.setattr(neighbours, "exact_top_k", lambda *args, **kwargs: calls.append(("exact", kwargs["device"])))
    monkeypatch.setattr(neighbours, "faiss_top_k", lambda *args, **kwargs: calls.append(("faiss", kwargs["index"])))
    top_k_similarity(random_vectors, 5, exact_max_items=300)
    top_k_similarity(random_vectors, 5, exact_max_items=299)
    top_k_similarity(random_vectors, 5, exact_max_items=299, device="cuda")
    top_k_similarity(random_vectors, 5, method="faiss", faiss_index="hnsw")
    top_k_similarity(random_vectors, 5, method="exact", exact_max_items=1)
    assert calls == [("exact", "cpu"), ("faiss", "auto"), ("exact", "cuda"), ("faiss", "hnsw"), ("exact", "cpu")]
    with pytest.raises(ValueError, match="method"):
        top_k_similarity(random_vectors, 5, method="annoy")


def test_top_k_similarity_returns_exact_neighbours(random_vectors):
    indices, scores = top_k_similarity(random_vectors, 4)
    np.testing.assert_array_equal(indices, brute_force(random_vectors, 4)[0])


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


def test_neighbours_to_csr_drops_missing_and_non_positive():
    indices = np.array([[2, 1], [-1, -1], [0, 1]])
    scores = np.array([[0.9, -0.1], [0.0, 0.0], [0.5, 0.0]], dtype=np.float32)
    S = neighbours_to_csr(indices, scores, 3)
    assert S.dtype == np.float32 and S.shape == (3, 3) and S.nnz == 2 and S.has_sorted_indices
    np.testing.assert_allclose(S.toarray(), [[0, 0, 0.9], [0, 0, 0], [0.5, 0, 0]])
    assert neighbours_to_csr(np.empty((3, 0)), np.empty((3, 0)), 3).nnz == 0  # no neighbours at all, any dtype
    with pytest.raises(ValueError, match="one per item"):
        neighbours_to_csr(indices, scores, 4)
    with pytest.raises(ValueError, match=r"\[-1, 3\)"):
        neighbours_to_csr(np.array([[3], [0], [0]]), np.ones((3, 1)), 3)
    with pytest.raises(ValueError, match="scores has shape"):
        neighbours_to_csr(indices, scores[:, :1], 3)


def test_blend_weights_and_truncates_each_row():
    content = sp.csr_matrix(np.array([[0, 0.9, 0.2, 0], [0.9, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]))
    collaborative = sp.csr_matrix(np.array([[0, 0.1, 0.3, 0.4], [0, 0, 0, 0], [0.3, 0, 0, 0], [0, 0, 0, 0]]))
    blended = blend_neighbours(content, collaborative, 0.5, 2)
    # row 0: 0.5 * [0, .9, .2, 0] + 0.5 * [0, .1, .3, .4] = [0, .5, .25, .2], keep the best two
    expected = np.array([[0, 0.5, 0.25, 0], [0.45, 0, 0, 0], [0.15, 0, 0, 0], [0, 0, 0, 0]])
    assert blended.dtype == np.float32 and blended.has_sorted_indices
    np.testing.assert_allclose(blended.toarray(), expected, rtol=1e-6)
    only_content = blend_neighbours(content, collaborative, 1.0, 1)
    np.testing.assert_allclose(only_content.toarray(), [[0, 0.9, 0, 0], [0.9, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]])
    assert only_content.nnz == 2  # weight 0 on collaborative leaves no explicit zeros behind


@pytest.mark.parametrize(
    "args, match",
    [
        ((np.eye(3), sp.eye(3), 0.5, 2), "content must be"),
        ((sp.eye(3), sp.eye(4), 0.5, 2), "shape"),
        ((sp.eye(3), sp.eye(3), 1.5, 2), "weight"),
        ((sp.eye(3), sp.eye(3), 0.5, 0), "k must be"),
    ],
)
def test_blend_validation(args, match):
    with pytest.raises(ValueError, match=match):
        blend_neighbours(*args)


def test_neighbour_table_from_arrays_and_from_csr():
    item_ids = np.array(["a", "b", "c"])
    indices = np.array([[2, 1], [-1, -1], [0, -1]])
    scores = np.array([[0.9, 0.3], [0.0, 0.0], [0.5, 0.0]], dtype=np.float32)
    table = neighbour_table(item_ids, (indices, scores), "content")
    assert list(table.columns) == ["item_id", "neighbour_id", "rank", "score", "source"]
    assert table["rank"].dtype == np.int32 and table["score"].dtype == np.float32
    expected = pd.DataFrame(
        {"item_id": ["a", "a", "c"], "neighbour_id": ["c", "b", "a"], "rank": [1, 2, 1], "score": [0.9, 0.3, 0.5]}
    )
    pd.testing.assert_frame_equal(
        table.drop(columns="source"), expected.astype({"rank": np.int32, "score": np.float32})
    )
    assert set(table["source"]) == {"content"}
    # the same neighbours as a matrix give the same table, ranked by score
    from_csr = neighbour_table(item_ids, neighbours_to_csr(indices, scores, 3), "blended")
    pd.testing.assert_frame_equal(from_csr.drop(columns="source"), table.drop(columns="source"))
    assert set(from_csr["source"]) == {"blended"}


def test_neighbour_table_validation():
    S = sp.eye(3, format="csr")
    with pytest.raises(ValueError, match="source"):
        neighbour_table(np.arange(3), S, "popular")
    with pytest.raises(ValueError, match="shape"):
        neighbour_table(np.arange(4), S, "content")
    with pytest.raises(ValueError, match="pair"):
        neighbour_table(np.arange(3), [np.zeros((3, 1), int)], "content")
