"""Vectors and the brute-force reference shared by the neighbour-search tests."""

import numpy as np
import pytest


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
