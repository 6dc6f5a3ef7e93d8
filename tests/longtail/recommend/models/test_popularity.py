import numpy as np

from longtail.recommend.models import MostPopular


def test_popularity_counts_users_not_interactions(tiny):
    model = MostPopular().fit(tiny)
    np.testing.assert_array_equal(model.popularity_, [3, 2, 2, 1, 0])
    assert model.score(np.array([1, 2])).tolist() == [[3, 2, 2, 1, 0]] * 2


def test_most_popular_order(tiny):
    np.testing.assert_array_equal(MostPopular().fit(tiny).recommend(np.array([3]), 3, exclude_seen=False), [[0, 1, 2]])


def test_private_popularity_changes_the_counts_only_when_on(tiny):
    from longtail.privacy.dp import PrivacySettings

    np.testing.assert_array_equal(MostPopular(privacy=None).fit(tiny).popularity_, MostPopular().fit(tiny).popularity_)
    # At a tiny epsilon the noise dwarfs counts of at most 3: some count moves (5 items, all unchanged is ~never).
    private = [MostPopular(PrivacySettings(0.01), seed=draw).fit(tiny).popularity_ for draw in range(3)]
    assert any((counts != [3, 2, 2, 1, 0]).any() for counts in private)
    assert all((counts >= 0).all() and counts.shape == (5,) for counts in private)
