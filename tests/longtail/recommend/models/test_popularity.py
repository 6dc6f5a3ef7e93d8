import numpy as np

from longtail.recommend.models import MostPopular


def test_popularity_counts_users_not_interactions(tiny):
    model = MostPopular().fit(tiny)
    np.testing.assert_array_equal(model.popularity_, [3, 2, 2, 1, 0])
    assert model.score(np.array([1, 2])).tolist() == [[3, 2, 2, 1, 0]] * 2


def test_most_popular_order(tiny):
    np.testing.assert_array_equal(MostPopular().fit(tiny).recommend(np.array([3]), 3, exclude_seen=False), [[0, 1, 2]])
