import numpy as np
import pytest
import scipy.sparse as sp

from longtail.recommend.models import ALS, EASE
from longtail.recommend.models.hybrid import LongTailHybrid


def test_without_recency_debiasing_content_or_calibration_it_ranks_like_ease(random_sparse):
    hybrid = LongTailHybrid(l2=50.0, recent_weight=0.0, popularity_exponent=0.0).fit(random_sparse)
    ease = EASE(l2=50.0).fit(random_sparse)
    users = np.arange(50)
    np.testing.assert_array_equal(hybrid.recommend(users, 10), ease.recommend(users, 10))


def test_item_sentiment_moves_liked_items_up_and_disliked_items_down(random_sparse):
    users = np.arange(200)
    plain = LongTailHybrid(l2=50.0, recent_weight=0.0).fit(random_sparse)
    ranked = plain.recommend(users, 10)
    liked, disliked = np.bincount(ranked.ravel()).argsort()[[-20, -1]]  # a mid-ranked and the most listed item
    quality = np.zeros(random_sparse.shape[1])
    quality[[liked, disliked]] = [1.0, -1.0]
    opinionated = LongTailHybrid(l2=50.0, recent_weight=0.0, item_quality=quality, sentiment_weight=0.5)
    reranked = opinionated.fit(random_sparse).recommend(users, 10)
    assert (reranked == liked).sum() > (ranked == liked).sum()
    assert (reranked == disliked).sum() < (ranked == disliked).sum()
    no_weight = LongTailHybrid(l2=50.0, recent_weight=0.0, item_quality=quality).fit(random_sparse)
    np.testing.assert_array_equal(no_weight.recommend(users, 10), ranked)


def test_popularity_exponent_moves_lists_towards_less_popular_items(random_sparse):
    users = np.arange(200)
    mean_popularity = []
    for exponent in (0.0, 0.5, 1.0):
        model = LongTailHybrid(l2=50.0, recent_weight=0.0, popularity_exponent=exponent).fit(random_sparse)
        mean_popularity.append(model.popularity_[model.recommend(users, 10)].mean())
    assert mean_popularity[0] > mean_popularity[1] > mean_popularity[2]


def test_calibration_gives_tail_lovers_more_tail_items(planted):
    X, _, _ = planted
    X = X.tolil()
    # Users 0-9 buy only tail items; everyone else keeps the planted head-heavy history.
    model = LongTailHybrid(l2=10.0, recent_weight=0.0, popularity_exponent=0.0).fit(X.tocsr())
    tail_items = np.flatnonzero(model.tail_)
    for user in range(10):
        X.rows[user], X.data[user] = [], []
        for item in tail_items[user % len(tail_items) :][:4]:
            X[user, item] = 1
    X = X.tocsr()
    plain = LongTailHybrid(l2=10.0, recent_weight=0.0, popularity_exponent=0.0).fit(X)
    calibrated = LongTailHybrid(l2=10.0, recent_weight=0.0, popularity_exponent=0.0, tail_weight=0.9).fit(X)
    tail_lovers, others = np.arange(10), np.arange(100, 200)
    share = lambda model, users: model.tail_[model.recommend(users, 10)].mean()  # noqa: E731
    assert calibrated.appetite_[tail_lovers].mean() > calibrated.appetite_[others].mean()
    assert share(calibrated, tail_lovers) > share(plain, tail_lovers)
    assert share(calibrated, tail_lovers) > share(calibrated, others)


def test_recency_weights_favour_items_bought_with_recent_purchases():
    # Item 0 was bought with item 1 long ago and with item 2 recently (by many users).
    old = sp.csr_matrix(np.array([[1, 1, 0, 0]] * 5 + [[1, 0, 1, 0]] * 5 + [[1, 0, 0, 0]], dtype=np.float32))
    recency = old.multiply(np.array([[0.05, 0.05, 1, 1]] * 5 + [[1, 1, 1, 1]] * 6, dtype=np.float32)).tocsr()
    model = LongTailHybrid(l2=1.0, recent_weight=1.0, popularity_exponent=0.0).fit(old, recency=recency)
    assert model.recommend(np.array([10]), 1)[0, 0] == 2


def test_a_customer_last_seen_long_ago_is_scored_from_their_own_items(random_sparse):
    """Each score term is scaled to the user's best item, so only a user's weights relative to each other count:
    a user whose every purchase is 200 half-lives old (weights below float32's smallest) gets the list they would
    get had they bought the same way last week, not every item scored 0 and the catalogue in id order."""
    rng = np.random.default_rng(3)
    bought = (random_sparse > 0).astype(np.float64)
    recency = bought.multiply(rng.uniform(0.2, 1.0, bought.shape)).tocsr()
    ancient = recency.copy().tolil()
    ancient[0] = recency[0] * 0.5**200
    users = np.arange(5)
    # recent_weight 0: both fits are the same EASE on the purchases; only the user's weights differ.
    settings = {"l2": 50.0, "recent_weight": 0.0, "popularity_exponent": 0.25}
    recent = LongTailHybrid(**settings).fit(bought, recency=recency)
    old = LongTailHybrid(**settings).fit(bought, recency=ancient.tocsr())
    lists, scores = old.recommend(users, 10, return_scores=True)
    assert (scores[0] > 0).all()
    np.testing.assert_array_equal(lists, recent.recommend(users, 10))


@pytest.mark.parametrize("pair", [False, True], ids=["one item only they bought", "two items only two bought"])
def test_a_customer_whose_items_nobody_else_bought_gets_the_new_users_ranking(random_sparse, pair):
    """No co-purchase beyond their own items, no text: no item the user has not bought scores above 0. Such a user
    was listed the catalogue in id order; now the shop's most bought items, as a new user is. With a pair of items
    two users bought together, each item scores the other, but both are the user's own."""
    bought = (random_sparse > 0).astype(np.float32)
    n_users, n_items = bought.shape
    theirs = np.ones((2, 2) if pair else (1, 1), dtype=np.float32)
    X = sp.bmat([[bought, None], [None, sp.csr_matrix(theirs)]]).tocsr()
    model = LongTailHybrid(l2=50.0, recent_weight=0.0, popularity_exponent=0.0, tail_weight=0.0).fit(X)
    lists, scores = model.recommend(np.array([n_users]), 10, return_scores=True)
    new_user = [item for item in model.recommend_cold(12) if item < n_items][:10]
    assert (scores > 0).all()
    np.testing.assert_array_equal(lists[0], new_user)


def test_content_similarity_reaches_items_without_co_purchases():
    X = sp.csr_matrix(np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 0, 1]], dtype=np.float32))
    vectors = np.array([[1, 0], [0.9, 0.1], [1, 0.05], [0, 1]], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    model = LongTailHybrid(
        l2=1.0, recent_weight=0.0, popularity_exponent=0.0, content_weight=1.0, item_vectors=vectors
    ).fit(X)
    assert model.recommend(np.array([0]), 1)[0, 0] == 2


def test_users_without_history_and_the_cold_start_list_are_full(random_sparse):
    X = random_sparse.tolil()
    X.rows[0], X.data[0] = [], []
    model = LongTailHybrid(l2=50.0, tail_weight=0.5).fit(X.tocsr())
    assert (model.recommend(np.array([0]), 20) >= 0).all()
    cold = model.recommend_cold(20)
    assert len(set(cold)) == 20 and (cold >= 0).all()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"recent_weight": 1.5}, "recent_weight"),
        ({"tail_weight": -0.1}, "tail_weight"),
        ({"popularity_exponent": -1.0}, "popularity_exponent"),
        ({"content_weight": 0.5}, "item_vectors"),
        ({"sentiment_weight": 2.0}, "sentiment_weight"),
    ],
)
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LongTailHybrid(**kwargs)


def test_recency_must_match_the_interactions(tiny):
    with pytest.raises(ValueError, match="recency has shape"):
        LongTailHybrid().fit(tiny, recency=sp.csr_matrix((3, 5)))
    with pytest.raises(ValueError, match="item_vectors must have shape"):
        LongTailHybrid(content_weight=1.0, item_vectors=np.ones((2, 3))).fit(tiny)
    with pytest.raises(ValueError, match="item_quality must be"):
        LongTailHybrid(item_quality=np.full(tiny.shape[1], 2.0)).fit(tiny)


def test_recommend_each_gives_the_lists_of_each_settings_from_one_scoring_pass(random_sparse):
    rng = np.random.default_rng(5)
    vectors = rng.standard_normal((random_sparse.shape[1], 8)).astype(np.float32)
    quality = rng.uniform(-1, 1, random_sparse.shape[1])
    recency = random_sparse.copy()
    recency.data = rng.uniform(0.1, 1.0, recency.nnz).astype(np.float32)
    hybrid = LongTailHybrid(
        l2=50.0, recent_weight=0.6, content_weight=0.1, item_vectors=vectors, item_quality=quality
    ).fit(random_sparse, recency=recency)
    grid = [
        {"recent_weight": 0.0, "popularity_exponent": 0.0, "tail_weight": 0.0, "content_weight": 0.0},
        {"recent_weight": 0.3, "popularity_exponent": 0.5, "tail_weight": 0.5, "content_weight": 0.1},
        {"recent_weight": 0.6, "popularity_exponent": 0.25, "tail_weight": 0.0, "sentiment_weight": 0.5},
        {"recent_weight": 0.0, "popularity_exponent": 0.25, "content_weight": 0.1, "history_recency": 0.0},
        {"recent_weight": 0.3, "content_weight": 0.0, "history_recency": 0.5},
    ]
    users = np.arange(0, 200, 3)
    lists = hybrid.recommend_each(users, 15, grid, batch_size=16)
    assert len(lists) == len(grid)
    for settings, recommended in zip(grid, lists):
        np.testing.assert_array_equal(recommended, hybrid.with_settings(**settings).recommend(users, 15))
    assert not np.array_equal(lists[0], lists[1])
    assert not np.array_equal(
        lists[0], hybrid.with_settings(history_recency=0.0, recent_weight=0.0).recommend(users, 15)
    )


def test_a_binary_history_with_every_weight_0_ranks_as_its_ease_even_when_fitted_with_recency(random_sparse):
    """``history_recency`` 0 scores each user's binary history: with the other weights 0 the hybrid's lists are its
    EASE's, so a grid that holds this point can always match the EASE it was built on."""
    recency = random_sparse.copy()
    recency.data = np.random.default_rng(3).uniform(0.01, 1.0, recency.nnz).astype(np.float32)
    hybrid = LongTailHybrid(l2=50.0, recent_weight=0.6).fit(random_sparse, recency=recency)
    binary = hybrid.with_settings(recent_weight=0.0, popularity_exponent=0.0, history_recency=0.0)
    users = np.arange(50)
    np.testing.assert_array_equal(binary.recommend(users, 10), EASE(l2=50.0).fit(random_sparse).recommend(users, 10))
    weighted = hybrid.with_settings(recent_weight=0.0, popularity_exponent=0.0)
    assert weighted.history_recency == 1.0 and not np.array_equal(
        weighted.recommend(users, 10), binary.recommend(users, 10)
    )
    # The copy's scoring input is the binary history; the original keeps the recency weights; half mixes them.
    assert set(np.unique(binary.history_.data)) == {1.0} and hybrid.history_.data.min() < 1.0
    half = hybrid.with_settings(history_recency=0.5).history_
    np.testing.assert_allclose(half.toarray(), 0.5 * (binary.history_ + hybrid.history_).toarray(), rtol=1e-6)


def test_with_settings_shares_the_fit_and_leaves_the_original_alone(random_sparse):
    hybrid = LongTailHybrid(l2=50.0, recent_weight=0.0, popularity_exponent=0.0).fit(random_sparse)
    before = hybrid.recommend(np.arange(20), 10)
    variant = hybrid.with_settings(popularity_exponent=1.0, tail_weight=0.5)
    assert variant.ease_ is hybrid.ease_ and variant.popularity_exponent == 1.0
    assert hybrid.popularity_exponent == 0.0 and hybrid.tail_weight == 0.0
    np.testing.assert_array_equal(hybrid.recommend(np.arange(20), 10), before)
    expected = LongTailHybrid(l2=50.0, recent_weight=0.0, popularity_exponent=1.0, tail_weight=0.5)
    np.testing.assert_array_equal(
        variant.recommend(np.arange(20), 10), expected.fit(random_sparse).recommend(np.arange(20), 10)
    )


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"l2": 10.0}, "scoring-time"),
        ({"tail_weight": 1.5}, "tail_weight"),
        ({"popularity_exponent": float("nan")}, "popularity_exponent"),
        ({"content_weight": 0.2}, "content similarity"),
    ],
)
def test_with_settings_refuses_what_the_fit_cannot_serve(random_sparse, settings, message):
    hybrid = LongTailHybrid(l2=50.0).fit(random_sparse)
    with pytest.raises(ValueError, match=message):
        hybrid.with_settings(**settings)
    with pytest.raises(ValueError, match=message):
        hybrid.recommend_each(np.arange(3), 5, [settings])


def test_with_settings_needs_a_fitted_hybrid():
    with pytest.raises(ValueError, match="fitted"):
        LongTailHybrid().with_settings(tail_weight=0.5)


def test_an_ease_fitted_on_the_same_interactions_is_reused_not_refitted(random_sparse):
    ease = EASE(l2=50.0, max_items=8_000).fit(random_sparse)
    reused = LongTailHybrid(l2=50.0, tail_weight=0.5).fit(random_sparse, ease=ease)
    assert reused.ease_ is ease
    fresh = LongTailHybrid(l2=50.0, tail_weight=0.5).fit(random_sparse)
    np.testing.assert_array_equal(reused.recommend(np.arange(100), 10), fresh.recommend(np.arange(100), 10))


@pytest.mark.parametrize(
    "ease, message",
    [
        (EASE(l2=50.0), "fitted EASE"),
        (EASE(l2=10.0, max_items=8_000), "l2=10.0"),
        (EASE(l2=50.0, max_items=100), "max_items=100"),
    ],
)
def test_an_unfitted_or_other_ease_is_refused(random_sparse, ease, message):
    if message != "fitted EASE":
        ease.fit(random_sparse)
    with pytest.raises(ValueError, match=message):
        LongTailHybrid(l2=50.0).fit(random_sparse, ease=ease)


def test_an_ease_fitted_on_other_interactions_is_refused(random_sparse):
    other = random_sparse.copy()
    other.data[:5] = 0  # five fewer interactions
    with pytest.raises(ValueError, match="other interactions"):
        LongTailHybrid(l2=50.0).fit(random_sparse, ease=EASE(l2=50.0, max_items=8_000).fit(other))


def test_a_calibrated_list_longer_than_the_catalogue_is_every_unseen_item_then_padding():
    X = sp.csr_matrix(np.array([[1, 1, 0, 0, 0], [0, 1, 1, 0, 0], [1, 0, 0, 1, 0], [0, 0, 1, 1, 1]], dtype=np.float32))
    hybrid = LongTailHybrid(l2=1.0, recent_weight=0.0, tail_weight=0.5).fit(X)
    lists = hybrid.recommend(np.arange(4), 8)
    assert lists.shape == (4, 8)
    for user, row in enumerate(lists):
        unseen = set(np.flatnonzero(X[user].toarray().ravel() == 0))
        assert set(row[row >= 0]) == unseen and (row[len(unseen) :] == -1).all()


def test_an_als_weight_of_1_with_every_other_weight_0_ranks_as_the_als(random_sparse):
    als = ALS(factors=16, regularization=1.0, iterations=5).fit(random_sparse)
    hybrid = LongTailHybrid(l2=50.0, recent_weight=0.0, popularity_exponent=0.0, als_weight=1.0)
    hybrid.fit(random_sparse, als=als)
    users = np.arange(50)
    assert hybrid.als_ is als
    np.testing.assert_array_equal(hybrid.recommend(users, 10), als.recommend(users, 10))
    # Without an ALS given, one is fitted with als_settings: the same seed and settings, the same lists.
    fitted = LongTailHybrid(
        l2=50.0,
        recent_weight=0.0,
        popularity_exponent=0.0,
        als_weight=1.0,
        als_settings={"factors": 16, "regularization": 1.0, "iterations": 5},
    ).fit(random_sparse)
    np.testing.assert_array_equal(fitted.recommend(users, 10), als.recommend(users, 10))
    # A blend is neither; a weight of 0 leaves the ALS out, and ranks as the EASE again.
    blend = hybrid.with_settings(als_weight=0.5).recommend(users, 10)
    assert not np.array_equal(blend, als.recommend(users, 10))
    without = hybrid.with_settings(als_weight=0.0)
    assert without.als_ is None and hybrid.als_ is als
    ease = EASE(l2=50.0).fit(random_sparse)
    np.testing.assert_array_equal(without.recommend(users, 10), ease.recommend(users, 10))
    # Fitted with weight 0, no ALS is fitted at all, and asking for one later says so.
    plain = LongTailHybrid(l2=50.0).fit(random_sparse, als=als)
    assert plain.als_ is None
    with pytest.raises(ValueError, match="als_weight > 0 needs the ALS"):
        plain.with_settings(als_weight=0.25)


def test_recommend_each_weighs_the_als_as_separate_fits_do(random_sparse):
    recency = random_sparse.copy()
    recency.data = np.random.default_rng(4).uniform(0.1, 1.0, recency.nnz).astype(np.float32)
    hybrid = LongTailHybrid(l2=50.0, recent_weight=0.6, als_weight=1.0, als_settings={"factors": 16})
    hybrid.fit(random_sparse, recency=recency)
    grid = [
        {"als_weight": 0.0},
        {"als_weight": 0.25, "history_recency": 0.0, "popularity_exponent": 0.5},
        {"als_weight": 1.0, "recent_weight": 0.0, "tail_weight": 0.5},
    ]
    users = np.arange(0, 200, 4)
    for settings, recommended in zip(grid, hybrid.recommend_each(users, 12, grid, batch_size=16)):
        np.testing.assert_array_equal(recommended, hybrid.with_settings(**settings).recommend(users, 12))


def test_an_unfitted_als_or_one_fitted_on_other_interactions_is_refused(random_sparse):
    with pytest.raises(ValueError, match="als must be a fitted recommender"):
        LongTailHybrid(als_weight=0.5).fit(random_sparse, als=ALS(factors=8))
    other = random_sparse.copy()
    other.data[:5] = 0
    with pytest.raises(ValueError, match="als was fitted on other interactions"):
        LongTailHybrid(als_weight=0.5).fit(random_sparse, als=ALS(factors=8, iterations=2).fit(other))


def test_items_nothing_links_to_the_users_items_follow_the_linked_ones_in_the_new_users_order():
    """User 0 has item 0, which only user 1 shares, with item 1. Items 2-5 are bought by others who share nothing
    with user 0: whatever the model scores them, they follow item 1, most bought first, as a new user's list has them.
    """
    rows = [[1, 0, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0]] + [[0, 0, 1, 1, 1, 0]] * 3 + [[0, 0, 0, 1, 1, 1]] * 2
    rows += [[0, 0, 0, 0, 1, 0]] * 4
    X = sp.csr_matrix(np.array(rows, dtype=np.float32))
    for settings in ({"als_weight": 0.0}, {"als_weight": 1.0, "als_settings": {"factors": 2, "iterations": 5}}):
        model = LongTailHybrid(l2=1.0, recent_weight=0.0, popularity_exponent=0.0, **settings).fit(X)
        lists, scores = model.recommend(np.array([0]), 5, return_scores=True)
        new_user = [item for item in model.recommend_cold(6) if item != 0]
        assert lists[0].tolist() == [1, *new_user[:4]] and lists[0].tolist()[1:3] == [4, 3], settings
        assert scores[0, 0] > 1 >= scores[0, 1:].max() and (scores[0] >= 0).all()
