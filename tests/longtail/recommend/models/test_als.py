import warnings

import numpy as np
import pytest

from longtail.recommend.models.als import ALS


def test_fit_stores_float32_factors_and_scores_are_their_product(random_sparse):
    model = ALS(factors=8, iterations=3).fit(random_sparse)
    assert model.user_factors_.shape == (200, 8) and model.user_factors_.dtype == np.float32
    assert model.item_factors_.shape == (300, 8) and model.item_factors_.dtype == np.float32
    users = np.array([0, 5, 199])
    scores = model.score(users)
    assert scores.shape == (3, 300) and scores.dtype == np.float32
    np.testing.assert_allclose(scores, model.user_factors_[users] @ model.item_factors_.T, rtol=1e-6)


def test_same_random_state_gives_same_factors(random_sparse):
    first = ALS(factors=8, iterations=3, random_state=7).fit(random_sparse)
    second = ALS(factors=8, iterations=3, random_state=7).fit(random_sparse)
    other = ALS(factors=8, iterations=3, random_state=8).fit(random_sparse)
    np.testing.assert_array_equal(first.user_factors_, second.user_factors_)
    np.testing.assert_array_equal(first.item_factors_, second.item_factors_)
    assert not np.allclose(first.item_factors_, other.item_factors_)


def test_counts_are_binarised_before_fitting(random_sparse):
    binary = random_sparse.copy()
    binary.data[:] = 1.0
    counts = ALS(factors=8, iterations=3).fit(random_sparse)
    np.testing.assert_array_equal(counts.item_factors_, ALS(factors=8, iterations=3).fit(binary).item_factors_)


def test_planted_clusters_rank_own_cluster_first(planted):
    X, group, cluster = planted
    # The planted structure has rank 2, so a few factors and strong regularisation keep the noise out.
    model = ALS(factors=4, regularization=10.0, alpha=1.0, iterations=10).fit(X)
    recs = model.recommend(np.arange(X.shape[0]), 5)
    assert (recs >= 0).all()
    assert (cluster[recs] == group[:, None]).mean() > 0.95
    # Not only the top 5: on average a user's own cluster scores above the other one.
    scores = model.score(np.arange(X.shape[0]))
    own = np.where(group[:, None] == cluster[None, :], scores, np.nan)
    other = np.where(group[:, None] != cluster[None, :], scores, np.nan)
    assert (np.nanmean(own, axis=1) > np.nanmean(other, axis=1)).all()


def test_recommend_excludes_seen_items_unless_asked(tiny):
    model = ALS(factors=4, iterations=5).fit(tiny)
    users = np.arange(4)
    recs = model.recommend(users, 5)
    seen = tiny.toarray() > 0
    for user, row in zip(users, recs):
        items = row[row >= 0]
        assert not seen[user, items].any()
        assert len(items) == (~seen[user]).sum()  # every unseen item is listed, then -1 padding
    unfiltered = model.recommend(users, 5, exclude_seen=False)
    assert (unfiltered >= 0).all()
    scores = model.score(users)
    ranked = np.take_along_axis(scores, unfiltered, axis=1)
    assert (np.diff(ranked, axis=1) <= 0).all()


def test_fit_limits_blas_threads_so_implicit_does_not_warn(monkeypatch, random_sparse):
    # implicit checks the BLAS thread count once per process and warns when it is above 1; re-arm that check.
    monkeypatch.setattr("implicit.utils._checked_blas_config", False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ALS(factors=4, iterations=1).fit(random_sparse)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"factors": 0},
        {"regularization": -0.1},
        {"regularization": float("nan")},
        {"alpha": 0.0},
        {"alpha": float("inf")},
        {"iterations": 0},
        {"random_state": None},
        {"num_threads": -1},
    ],
)
def test_bad_parameters_raise(kwargs):
    with pytest.raises(ValueError):
        ALS(**kwargs)
