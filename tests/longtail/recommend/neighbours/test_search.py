import numpy as np
import pytest

from longtail.recommend.neighbours import search, top_k_similarity
from tests.longtail.recommend.neighbours.conftest import brute_force


def test_top_k_similarity_dispatches_on_size_and_device(random_vectors, monkeypatch):
    calls = []
    monkeypatch.setattr(search, "exact_top_k", lambda *args, **kwargs: calls.append(("exact", kwargs["device"])))
    monkeypatch.setattr(search, "faiss_top_k", lambda *args, **kwargs: calls.append(("faiss", kwargs["index"])))
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
