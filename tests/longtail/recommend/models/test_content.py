import numpy as np
import pytest

from longtail.recommend.models import ItemKNN
from longtail.recommend.models.content import ContentKNN

# One embedding per item of the `tiny` fixture. Item 4 has no users but reads like item 2 (cosine 0.995);
# item 3 is orthogonal to item 2 and item 0 to everything but item 1.
VECTORS = np.array([[1, 0, 0], [0.6, 0.8, 0], [0, 0, 1], [0, 1, 0], [0, 0.1, 1]], dtype=np.float64)


def cosine(vectors):
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    similarity = unit @ unit.T
    np.fill_diagonal(similarity, 0)
    return np.where(similarity > 0, similarity, 0)


def test_similarity_is_positive_cosine_of_the_embeddings(tiny):
    model = ContentKNN(VECTORS * 3.0, k_neighbors=10).fit(tiny)  # scaling does not change a cosine
    assert model.similarity_.shape == (5, 5) and model.similarity_.dtype == np.float32
    np.testing.assert_allclose(model.similarity_.toarray(), cosine(VECTORS), rtol=1e-6)


def test_an_unseen_similar_item_ranks_first(tiny):
    # user 3 only bought item 2; nobody bought item 4, which is item 2's closest embedding
    content = ContentKNN(VECTORS).fit(tiny)
    assert content.recommend(np.array([3]), 2)[0, 0] == 4
    assert content.score(np.array([3]))[0, 4] == pytest.approx(cosine(VECTORS)[2, 4], rel=1e-6)
    # collaborative filtering cannot see it: item 4 has no co-buyers
    assert ItemKNN().fit(tiny).score(np.array([3]))[0, 4] == 0


def test_truncation_and_items_without_an_embedding(tiny):
    vectors = VECTORS.copy()
    vectors[0] = 0  # item 0 has no text: no neighbours, and no one's neighbour
    S = ContentKNN(vectors, k_neighbors=1).fit(tiny).similarity_
    assert np.diff(S.indptr).tolist() == [0, 1, 1, 1, 1]
    assert S[:, 0].nnz == 0
    assert S[2, 4] == pytest.approx(cosine(VECTORS)[2, 4]) and S[3, 1] == pytest.approx(0.8)


@pytest.mark.parametrize(
    "vectors, match",
    [
        (VECTORS[:4], "one row per item of X"),
        (VECTORS[:, 0], "one row per item of X"),
        (VECTORS.astype(np.int64), "float"),
        (np.where(np.eye(5, 3) > 0, np.nan, VECTORS), "NaN"),
    ],
)
def test_bad_item_vectors_raise_in_fit(tiny, vectors, match):
    with pytest.raises(ValueError, match=match):
        ContentKNN(vectors).fit(tiny)


@pytest.mark.parametrize("kwargs, match", [({"k_neighbors": 0}, "k_neighbors"), ({"method": "lsh"}, "method")])
def test_bad_parameters_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ContentKNN(VECTORS, **kwargs)
