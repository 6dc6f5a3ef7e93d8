import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError

from longtail.recommend.matrices import check_interactions
from longtail.recommend.models import EASE, ItemKNN, MostPopular

MODELS = [MostPopular, lambda: ItemKNN(k_neighbors=3), lambda: EASE(l2=1.0)]


def test_check_interactions_binarises_and_drops_explicit_zeros():
    X = sp.csr_matrix((np.array([3.0, 0.0, 1.0]), (np.array([0, 0, 1]), np.array([0, 1, 1]))), shape=(2, 2))
    B = check_interactions(X)
    assert B.dtype == np.float32 and B.nnz == 2
    np.testing.assert_array_equal(B.toarray(), [[1, 0], [0, 1]])
    assert X.data[0] == 3.0  # input untouched


@pytest.mark.parametrize(
    "X, error, match",
    [
        (np.ones((2, 2)), TypeError, "scipy.sparse"),
        (sp.csr_matrix((0, 3)), ValueError, "at least one user"),
        (sp.csr_matrix(np.array([[1.0, -1.0]])), ValueError, "negative"),
        (sp.csr_matrix(np.array([[1.0, np.nan]])), ValueError, "NaN"),
    ],
)
def test_check_interactions_rejects_bad_input(X, error, match):
    with pytest.raises(error, match=match):
        check_interactions(X)


@pytest.mark.parametrize("make", MODELS)
def test_use_before_fit_raises_not_fitted(make):
    model = make()
    with pytest.raises(NotFittedError, match="fit"):
        model.score(np.array([0]))
    with pytest.raises(NotFittedError, match="fit"):
        model.recommend(np.array([0]), k=2)


@pytest.mark.parametrize("make", MODELS)
def test_bad_users_and_k_raise(make, tiny):
    model = make().fit(tiny)
    for users in ([4], [-1], [0.5], [[0, 1]]):
        with pytest.raises(ValueError, match="user"):
            model.score(np.array(users))
        with pytest.raises(ValueError, match="user"):
            model.recommend(np.array(users), k=2)
    for k in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="k must be"):
            model.recommend(np.array([0]), k=k)
    with pytest.raises(ValueError, match="batch_size"):
        model.score(np.array([0]), batch_size=0)


@pytest.mark.parametrize("make", MODELS)
def test_batched_equals_unbatched(make, random_sparse):
    model = make().fit(random_sparse)
    users = np.arange(random_sparse.shape[0])[::-1]
    full = model.score(users, batch_size=len(users))
    assert full.dtype == np.float32 and full.shape == (200, 300)
    np.testing.assert_array_equal(model.score(users, batch_size=7), full)
    np.testing.assert_array_equal(
        model.recommend(users, 10, batch_size=7), model.recommend(users, 10, batch_size=len(users))
    )


@pytest.mark.parametrize("make", MODELS)
def test_recommend_shape_and_order(make, random_sparse):
    model = make().fit(random_sparse)
    users = np.array([3, 0, 3, 150])
    recs = model.recommend(users, 20)
    assert recs.shape == (4, 20) and recs.dtype == np.int64
    scores = model.score(users)
    top = np.take_along_axis(scores, recs, axis=1)
    assert np.all(np.diff(top, axis=1) <= 0)
    seen = random_sparse[users].toarray() > 0
    assert not np.take_along_axis(seen, recs, axis=1).any()
    # the best unseen score is at the top
    np.testing.assert_array_equal(top[:, 0], np.where(seen, -np.inf, scores).max(axis=1))
    assert model.recommend(np.array([], dtype=int), 5).shape == (0, 5)


def test_recommend_excludes_seen_and_pads(tiny):
    model = MostPopular().fit(tiny)
    users = np.arange(4)
    # unseen by popularity: user0 {2,3,4}, user1 {1,3,4}, user2 {2,4}, user3 {0,1,3,4}
    np.testing.assert_array_equal(
        model.recommend(users, 6),
        [[2, 3, 4, -1, -1, -1], [1, 3, 4, -1, -1, -1], [2, 4, -1, -1, -1, -1], [0, 1, 3, 4, -1, -1]],
    )
    np.testing.assert_array_equal(model.recommend(users, 2), [[2, 3], [1, 3], [2, 4], [0, 1]])


def test_recommend_exclude_seen_false_keeps_seen_items(tiny):
    model = MostPopular().fit(tiny)
    # ties (items 1 and 2, popularity 2) go to the lower index
    recs = model.recommend(np.array([0, 3]), 7, exclude_seen=False)
    np.testing.assert_array_equal(recs, [[0, 1, 2, 3, 4, -1, -1]] * 2)
