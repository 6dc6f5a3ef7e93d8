import numpy as np
import pytest

from longtail.recommend.models import ItemKNN, RP3Beta

MODELS = [lambda k=5: ItemKNN(k, shrink=5.0, block_size=64), lambda k=5: RP3Beta(0.5, 0.3, k, block_size=64)]


@pytest.mark.parametrize("make", MODELS, ids=["ItemKNN", "RP3beta"])
def test_each_k_from_one_search_is_the_fit_at_that_k(make, random_sparse):
    # Binarised counts give many tied similarities: the k-th place is decided by the lower index in both.
    ks = [1, 3, 10, 50, 400]  # 400 is more neighbours than the 299 other items
    fitted = make().fit_each_k(random_sparse, ks)
    users = np.arange(200)
    for k, model in zip(ks, fitted):
        alone = make(k).fit(random_sparse)
        assert model.k_neighbors == k
        assert (model.similarity_ != alone.similarity_).nnz == 0
        np.testing.assert_array_equal(model.recommend(users, 10), alone.recommend(users, 10))
    assert fitted[0].similarity_.getnnz(axis=1).max() == 1 and fitted[1].similarity_.getnnz(axis=1).max() == 3


def test_the_model_it_is_called_on_stays_as_it_was(random_sparse):
    model = ItemKNN(7)
    assert model.fit_each_k(random_sparse, []) == []
    [copy] = model.fit_each_k(random_sparse, [2])
    assert model.k_neighbors == 7 and not hasattr(model, "similarity_")
    assert copy.n_users_ == 200 and copy.n_items_ == 300
    with pytest.raises(ValueError, match="k"):
        model.fit_each_k(random_sparse, [0])
