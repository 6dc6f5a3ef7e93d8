import numpy as np
import pytest

from longtail.recommend.models import ItemKNN

R6, R3, R2 = np.sqrt(6), np.sqrt(3), np.sqrt(2)
# cosine of the binarised `tiny` columns: item users 0:{0,1,2} 1:{0,2} 2:{1,3} 3:{2} 4:{}
TINY_COSINE = np.array(
    [
        [0, 2 / R6, 1 / R6, 1 / R3, 0],
        [2 / R6, 0, 0, 1 / R2, 0],
        [1 / R6, 0, 0, 0, 0],
        [1 / R3, 1 / R2, 0, 0, 0],
        [0, 0, 0, 0, 0],
    ]
)


def test_similarity_equals_hand_computed_cosine(tiny):
    model = ItemKNN(k_neighbors=100).fit(tiny)
    assert model.similarity_.shape == (5, 5) and model.similarity_.dtype == np.float32
    np.testing.assert_allclose(model.similarity_.toarray(), TINY_COSINE, rtol=1e-6)


def test_shrink_adds_to_the_denominator(tiny):
    S = ItemKNN(shrink=1.0).fit(tiny).similarity_.toarray()
    assert S[0, 1] == pytest.approx(2 / (R6 + 1))
    assert S[1, 3] == pytest.approx(1 / (R2 + 1))


def test_neighbour_truncation_keeps_each_items_best(tiny):
    S = ItemKNN(k_neighbors=1).fit(tiny).similarity_
    expected = np.zeros((5, 5))
    for item, neighbour in [(0, 1), (1, 0), (2, 0), (3, 1)]:
        expected[item, neighbour] = TINY_COSINE[item, neighbour]
    np.testing.assert_allclose(S.toarray(), expected, rtol=1e-6)
    assert np.diff(S.indptr).tolist() == [1, 1, 1, 1, 0]


def test_score_is_user_row_times_similarity(tiny):
    model = ItemKNN(k_neighbors=100).fit(tiny)
    binary = (tiny.toarray() > 0).astype(np.float64)
    np.testing.assert_allclose(model.score(np.arange(4)), binary @ TINY_COSINE, rtol=1e-6)
    # user 3 (item 2 only): item 0 is its only neighbour; zero-score items still fill the list, lower index first
    np.testing.assert_array_equal(model.recommend(np.array([3]), 3), [[0, 1, 3]])


@pytest.mark.parametrize("k_neighbors", [5, 299, 1000])
def test_blocked_equals_unblocked(random_sparse, k_neighbors):
    blocked = ItemKNN(k_neighbors, shrink=2.0, block_size=7).fit(random_sparse).similarity_
    whole = ItemKNN(k_neighbors, shrink=2.0, block_size=300).fit(random_sparse).similarity_
    assert (blocked != whole).nnz == 0
    assert np.diff(whole.indptr).max() <= k_neighbors


def test_blocked_similarity_equals_dense_cosine(random_sparse):
    binary = (random_sparse.toarray() > 0).astype(np.float64)
    norms = np.linalg.norm(binary, axis=0)
    gram = binary.T @ binary
    cosine = np.divide(gram, np.outer(norms, norms), out=np.zeros_like(gram), where=gram > 0)
    np.fill_diagonal(cosine, 0)
    S = ItemKNN(k_neighbors=1000, block_size=16).fit(random_sparse).similarity_
    np.testing.assert_allclose(S.toarray(), cosine, rtol=1e-5)


@pytest.mark.parametrize("kwargs", [{"k_neighbors": 0}, {"shrink": -1.0}, {"block_size": 0}])
def test_bad_parameters_raise(kwargs):
    with pytest.raises(ValueError):
        ItemKNN(**kwargs)
