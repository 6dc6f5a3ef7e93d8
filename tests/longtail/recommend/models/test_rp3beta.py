import numpy as np
import pytest
import scipy.sparse as sp

from longtail.recommend.models import RP3Beta
from longtail.recommend.neighbours import rp3beta_top_k


def dense_rp3beta(X: np.ndarray, alpha: float, beta: float) -> np.ndarray:
    """The definition, on a small dense matrix: item -> user -> item walk, target popularity discounted."""
    X = (X > 0).astype(float)
    user_to_item = X / np.maximum(X.sum(axis=1, keepdims=True), 1)
    popularity = X.sum(axis=0)
    item_to_user = np.divide(X.T, popularity[:, None], out=np.zeros_like(X.T), where=popularity[:, None] > 0)
    weights = (item_to_user**alpha) @ (user_to_item**alpha)
    weights = np.divide(weights, popularity[None, :] ** beta, out=np.zeros_like(weights), where=popularity > 0)
    np.fill_diagonal(weights, 0.0)
    return weights


@pytest.mark.parametrize(("alpha", "beta"), [(1.0, 0.0), (0.5, 0.5), (1.0, 0.8)])
def test_rp3beta_top_k_matches_the_definition(alpha, beta):
    rng = np.random.default_rng(3)
    X = (rng.random((40, 12)) < 0.25).astype(float)
    X[:, 11] = 0  # an item nobody bought has no neighbours
    indices, scores = rp3beta_top_k(sp.csr_matrix(X), 4, alpha=alpha, beta=beta, block_size=5)
    reference = dense_rp3beta(X, alpha, beta)
    for item in range(11):
        expected = np.sort(reference[item][reference[item] > 0])[::-1][:4]
        assert scores[item][: len(expected)] == pytest.approx(expected, rel=1e-5)
        assert np.all(
            reference[item, indices[item][indices[item] >= 0]] == pytest.approx(scores[item][scores[item] > 0])
        )
    assert (indices[11] == -1).all() and not (indices[:, :] == 11).any()


def test_beta_moves_neighbours_towards_the_tail():
    # Item 0 is bought by everyone; item 2 by two users who also bought item 1.
    X = sp.csr_matrix(np.array([[1, 1, 1], [1, 1, 1], [1, 1, 0], [1, 0, 0], [1, 0, 0]], dtype=float))
    plain, _ = rp3beta_top_k(X, 1, alpha=1.0, beta=0.0)
    discounted, _ = rp3beta_top_k(X, 1, alpha=1.0, beta=1.0)
    assert plain[1, 0] == 0 and discounted[1, 0] == 2  # from item 1: the popular item, then the rarer one


def test_rp3beta_recommends_through_the_walk_and_validates():
    X = sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]], dtype=float))
    model = RP3Beta(alpha=1.0, beta=0.5, k_neighbors=2).fit(X)
    assert model.recommend([0], 1).tolist() == [[2]]  # user 0's items lead through user 1 to item 2
    for bad in ({"alpha": 0.0}, {"beta": -1.0}, {"k_neighbors": 0}):
        with pytest.raises(ValueError):
            RP3Beta(**bad)
