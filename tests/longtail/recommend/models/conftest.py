import numpy as np
import pytest
import scipy.sparse as sp


@pytest.fixture
def tiny():
    """4 users x 5 items. Popularity (users per item): [3, 2, 2, 1, 0]; user 0 bought item 0 twice."""
    return sp.csr_matrix(
        np.array(
            [
                [2, 1, 0, 0, 0],
                [1, 0, 1, 0, 0],
                [1, 1, 0, 1, 0],
                [0, 0, 1, 0, 0],
            ],
            dtype=np.float32,
        )
    )


@pytest.fixture
def random_sparse():
    """200 users x 300 items, about 5% density, counts 1..3."""
    rng = np.random.default_rng(0)
    X = sp.random(200, 300, density=0.05, format="csr", random_state=rng, dtype=np.float32)
    X.data = rng.integers(1, 4, size=X.nnz).astype(np.float32)
    return X


@pytest.fixture
def planted():
    """Two user groups of 100; group g interacts with items of cluster g (items 0-19 or 20-39) w.p. 0.3,
    and with any item w.p. 0.01 (noise)."""
    rng = np.random.default_rng(1)
    n_users, n_items = 200, 40
    group = np.repeat([0, 1], n_users // 2)
    cluster = np.repeat([0, 1], n_items // 2)
    prob = np.where(group[:, None] == cluster[None, :], 0.3, 0.01)
    X = sp.csr_matrix((rng.random((n_users, n_items)) < prob).astype(np.float32))
    return X, group, cluster
