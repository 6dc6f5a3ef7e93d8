import numpy as np
import scipy.sparse as sp

from longtail.recommend.explanations import explain, reason_text

# User 0 has items 0 and 1, user 1 has nothing.
HISTORY = sp.csr_matrix(np.array([[1.0, 0.5, 0, 0, 0], [0, 0, 0, 0, 0]], dtype=np.float32))
B = np.zeros((5, 5), dtype=np.float32)
B[0, 2], B[1, 2] = 0.2, 0.9  # item 2: mostly bought with item 1 (0.5 * 0.9 > 1.0 * 0.2)
SIMILARITY = sp.csr_matrix(([0.8], ([0], [3])), shape=(5, 5), dtype=np.float32)  # item 3 looks like item 0


def pair_weights(sources, targets):
    return B[sources, targets]


def test_each_item_gets_the_users_item_that_led_to_it():
    recommended = np.array([[2, 3, 4, -1], [2, 3, -1, -1]])
    anchors, kinds = explain(HISTORY, recommended, pair_weights, SIMILARITY)
    np.testing.assert_array_equal(anchors[0], [1, 0, -1, -1])
    assert kinds[0].tolist() == ["bought", "similar", "popular", ""]
    assert kinds[1].tolist() == ["popular", "popular", "", ""]


def test_without_models_every_reason_is_popularity():
    anchors, kinds = explain(HISTORY, np.array([[2, 3], [2, 3]]), None, None)
    assert (anchors == -1).all() and (kinds == "popular").all()


def test_reason_text_names_the_anchor_and_marks_tail_picks():
    assert reason_text("bought", "Tea mug", False) == "bought Tea mug"
    assert reason_text("similar", "Tea mug", True) == "tail pick: similar to Tea mug"
    assert reason_text("popular", None, False) == "popular now"


def test_a_tail_item_without_an_anchor_is_never_called_popular():
    assert reason_text("popular", None, True) == "tail pick: less known, for variety"
