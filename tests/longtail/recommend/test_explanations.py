import numpy as np
import pytest
import scipy.sparse as sp

from longtail.recommend.explanations import alike_enough, co_buyers, explain, reason_text, similar_floor

# User 0 has items 0 and 1, user 1 has nothing; users 2-4 bought items 0, 1 and 2 together, user 5 items 0 and 4.
HISTORY = sp.csr_matrix(
    np.array(
        [[1.0, 0.5, 0, 0, 0], [0, 0, 0, 0, 0]] + [[1.0, 1.0, 1.0, 0, 0]] * 3 + [[1.0, 0, 0, 0, 1.0]],
        dtype=np.float32,
    )
)
B = np.zeros((5, 5), dtype=np.float32)
B[0, 2], B[1, 2] = 0.2, 0.9  # item 2: mostly bought with item 1 (0.5 * 0.9 > 1.0 * 0.2)
B[0, 4] = 5.0  # the model links item 0 to item 4 strongly, but only one customer bought both
SIMILARITY = sp.csr_matrix(([0.8], ([0], [3])), shape=(5, 5), dtype=np.float32)  # item 3 looks like item 0


def pair_weights(sources, targets):
    return B[sources, targets]


def lists(first_user: list[int], second_user: list[int]) -> np.ndarray:
    """The recommended items of users 0 and 1 (-1 pads), the other users' lists empty."""
    recommended = np.full((HISTORY.shape[0], len(first_user)), -1)
    recommended[0], recommended[1] = first_user, second_user
    return recommended


def test_each_item_gets_the_users_item_that_led_to_it():
    anchors, kinds = explain(HISTORY, lists([2, 3, 4, -1], [2, 3, -1, -1]), pair_weights, SIMILARITY)
    np.testing.assert_array_equal(anchors[0], [1, 0, -1, -1])
    assert kinds[0].tolist() == ["bought", "similar", "popular", ""]
    assert kinds[1].tolist() == ["popular", "popular", "", ""]


def test_a_co_purchase_reason_needs_enough_co_buyers():
    """Item 4 has the largest model weight, but one co-buyer: no "bought" reason unless one customer is enough."""
    recommended = lists([4, 2], [-1, -1])
    anchors, kinds = explain(HISTORY, recommended, pair_weights, None)
    assert kinds[0].tolist() == ["popular", "bought"] and anchors[0].tolist() == [-1, 1]
    anchors, kinds = explain(HISTORY, recommended, pair_weights, None, min_co_buyers=1)
    assert kinds[0].tolist() == ["bought", "bought"] and anchors[0].tolist() == [0, 1]
    with pytest.raises(ValueError, match="min_co_buyers"):
        explain(HISTORY, recommended, pair_weights, None, min_co_buyers=0)


def test_co_buyers_counts_the_users_who_have_both_items():
    count = co_buyers(HISTORY, lists([2, 4], [-1, -1]))
    np.testing.assert_array_equal(count(np.array([0, 1, 0, 3, 4]), np.array([2, 2, 4, 4, 4])), [3, 3, 1, 0, 1])


def test_without_models_every_reason_is_popularity():
    anchors, kinds = explain(HISTORY, np.full((HISTORY.shape[0], 2), 2), None, None)
    assert (anchors == -1).all() and (kinds == "popular").all()


def test_the_lists_must_be_those_of_the_history_users():
    with pytest.raises(ValueError, match="one list per user of history"):
        explain(HISTORY, np.array([[2, 3]]), pair_weights, None)


def test_reason_text_names_the_anchor_and_marks_tail_picks():
    assert reason_text("bought", "Tea mug", False) == "customers who bought Tea mug also bought this"
    assert reason_text("similar", "Tea mug", True) == "tail pick: similar to Tea mug, which you bought"
    assert reason_text("popular", None, False) == "popular now"


def test_a_tail_item_without_an_anchor_is_never_called_popular():
    assert reason_text("popular", None, True) == "tail pick: less known, for variety"


def test_the_similar_floor_is_a_percentile_of_random_pairs():
    """400 items in 100 tight groups of 4: under 1% of pairs share a group, so the 99th percentile of random pairs
    lies below every same-group pair and above nearly all the others. Items without text are left out."""
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(100, 32))
    vectors = np.repeat(centres, 4, axis=0) + 0.05 * rng.normal(size=(400, 32))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    groups = np.repeat(np.arange(100), 4)
    alike = vectors @ vectors.T
    same, other = groups[:, None] == groups[None, :], groups[:, None] != groups[None, :]
    floor = similar_floor(vectors)
    assert np.quantile(alike[other], 0.98) < floor < alike[same & ~np.eye(400, dtype=bool)].min()
    with_blanks = np.vstack([vectors, np.zeros((400, 32))])
    assert similar_floor(with_blanks) == pytest.approx(floor, abs=0.05)
    assert similar_floor(np.zeros((5, 32))) == np.inf and similar_floor(vectors[:1]) == np.inf


def test_only_neighbours_alike_enough_may_be_called_similar():
    """Items 0-3 form one tight group, items 4-399 are spread: a neighbour table links 0 to 1 (alike) and 0 to 4
    (a neighbour only because every item has k of them); only the first pair is kept, with its score."""
    rng = np.random.default_rng(2)
    vectors = rng.normal(size=(400, 32))
    vectors[1:4] = vectors[0] + 0.05 * rng.normal(size=(3, 32))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    neighbours = sp.csr_matrix(([0.9, 0.8, 0.7], ([0, 0, 5], [1, 4, 6])), shape=(400, 400))
    kept = alike_enough(neighbours, vectors)
    assert kept.shape == (400, 400) and kept.nnz == 1 and kept[0, 1] == pytest.approx(0.9)
    assert alike_enough(neighbours, None) is None and alike_enough(None, vectors) is None
