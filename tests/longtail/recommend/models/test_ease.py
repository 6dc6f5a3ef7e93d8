import numpy as np
import pytest
import scipy.sparse as sp

from longtail.recommend.models import EASE, ItemKNN, tune_l2


def closed_form(X, l2):
    binary = (X.toarray() > 0).astype(np.float64)
    P = np.linalg.inv(binary.T @ binary + l2 * np.eye(binary.shape[1]))
    B = np.eye(binary.shape[1]) - P @ np.diag(1 / np.diag(P))
    np.fill_diagonal(B, 0)
    return B


@pytest.mark.parametrize("l2", [0.5, 200.0])
def test_weights_equal_closed_form(tiny, l2):
    model = EASE(l2=l2).fit(tiny)
    assert model.weights_.shape == (5, 5) and model.weights_.dtype == np.float32
    np.testing.assert_allclose(model.weights_, closed_form(tiny, l2), rtol=1e-5, atol=1e-7)
    assert np.all(np.diag(model.weights_) == 0)


def test_weights_equal_closed_form_on_random_matrix(random_sparse):
    np.testing.assert_allclose(EASE(l2=10.0).fit(random_sparse).weights_, closed_form(random_sparse, 10.0), atol=1e-6)


def test_score_is_user_row_times_weights(tiny):
    model = EASE(l2=1.0).fit(tiny)
    binary = (tiny.toarray() > 0).astype(np.float64)
    np.testing.assert_allclose(model.score(np.arange(4)), binary @ closed_form(tiny, 1.0), rtol=1e-5, atol=1e-6)


def test_beyond_max_items_models_the_most_popular_items_and_scores_the_rest_zero(random_sparse):
    popularity = np.asarray((random_sparse > 0).sum(axis=0)).ravel()
    model = EASE(l2=10.0, max_items=50).fit(random_sparse)
    kept = np.sort(np.argsort(-popularity, kind="stable")[:50])
    np.testing.assert_array_equal(model.modelled_items_, kept)
    assert model.weights_.shape == (50, 50)
    np.testing.assert_allclose(model.weights_, closed_form(random_sparse[:, kept], 10.0), atol=1e-6)
    scores = model.score(np.arange(20))
    others = np.setdiff1d(np.arange(random_sparse.shape[1]), kept)
    assert np.all(scores[:, others] == 0)
    binary = (random_sparse[:20][:, kept].toarray() > 0).astype(np.float64)
    np.testing.assert_allclose(scores[:, kept], binary @ model.weights_, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kwargs", [{"l2": 0.0}, {"l2": -1.0}, {"l2": float("nan")}, {"max_items": 0}])
def test_bad_parameters_raise(kwargs):
    with pytest.raises(ValueError):
        EASE(**kwargs)


def test_tune_l2_picks_argmax_of_validation_fn(tiny):
    seen = []

    def validation_fn(model):
        assert isinstance(model, EASE) and hasattr(model, "weights_")
        seen.append(model.l2)
        return -abs(np.log(model.l2 / 300))

    best, scores = tune_l2(tiny, validation_fn)
    assert seen == [50, 100, 200, 500, 1000]
    assert best == 200 and list(scores) == [50, 100, 200, 500, 1000]
    assert scores[200] == max(scores.values())
    assert tune_l2(tiny, lambda model: 1.0, grid=(3, 1, 2))[0] == 3  # ties go to the first value


def test_tune_l2_rejects_empty_grid_and_nan_scores(tiny):
    with pytest.raises(ValueError, match="grid"):
        tune_l2(tiny, lambda model: 1.0, grid=())
    with pytest.raises(ValueError, match="non-finite"):
        tune_l2(tiny, lambda model: float("nan"), grid=(1,))


@pytest.mark.parametrize("model", [EASE(l2=20.0), ItemKNN(k_neighbors=20)], ids=["EASE", "ItemKNN"])
def test_planted_clusters_recommend_in_cluster_items(planted, model):
    X, group, cluster = planted
    recs = model.fit(X).recommend(np.arange(X.shape[0]), 5)
    assert (recs >= 0).all()
    in_cluster = cluster[recs] == group[:, None]
    assert in_cluster.mean() > 0.95


def test_weights_equal_closed_form_beyond_one_block_of_the_symmetric_inverse():
    # 700 items: the inverse's lower triangle is mirrored in more than one 512-row block.
    rng = np.random.default_rng(2)
    X = sp.random(400, 700, density=0.03, format="csr", random_state=rng, dtype=np.float32)
    np.testing.assert_allclose(EASE(l2=20.0).fit(X).weights_, closed_form(X, 20.0), atol=1e-6)


@pytest.mark.parametrize("n_users, n_items", [(300, 120), (120, 300)])
def test_weights_equal_closed_form_with_more_users_than_items_and_fewer(n_users, n_items):
    # More users than items inverts the item Gram matrix; fewer takes the Woodbury identity over users.
    rng = np.random.default_rng(3)
    X = sp.random(n_users, n_items, density=0.05, format="csr", random_state=rng, dtype=np.float32)
    np.testing.assert_allclose(EASE(l2=5.0).fit(X).weights_, closed_form(X, 5.0), atol=1e-6)
