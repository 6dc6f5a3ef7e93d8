from math import log2

import numpy as np
import pytest
import scipy.sparse as sp

from longtail.recommend.evaluation.metrics import (
    aplt_at_k,
    by_popularity_bucket,
    coverage_at_k,
    evaluate,
    gini_at_k,
    hit_rate_at_k,
    ndcg_at_k,
    novelty_at_k,
    popularity_buckets,
    recall_at_k,
    tail_recall_at_k,
)
from longtail.recommend.matrices import tail_items

# Hand-computed case: 4 users, 6 items, K = 3.
# popularity (total 30) -> cumulative 12, 20, 24, ...: 80% (24) is reached after items 0, 1, 2 -> tail = {3, 4, 5};
# 50% (15) after items 0, 1 -> buckets head {0, 1}, mid {2}, tail {3, 4, 5}.
POPULARITY = np.array([12, 8, 4, 3, 2, 1])
TAIL = np.array([False, False, False, True, True, True])
N_ITEMS = 6
RECOMMENDED = np.array(
    [
        [0, 3, 5],  # u0, targets {3, 5} (both tail): hits at ranks 2 and 3
        [2, -1, -1],  # u1, targets {2}: hit at rank 1, padded list
        [4, 0, 5],  # u2, no targets: skipped by accuracy metrics, counted by beyond-accuracy ones
        [1, 2, 4],  # u3, targets {0, 2} (no tail target): hit at rank 2
    ]
)
TARGETS = [np.array([3, 5]), np.array([2]), np.array([], dtype=int), np.array([0, 2])]

D1, D2, D3 = 1 / log2(2), 1 / log2(3), 1 / log2(4)  # DCG discounts of ranks 1, 2, 3


def test_recall_hand_computed():
    # k=1: only u1 hits -> (0 + 1 + 0) / 3
    assert recall_at_k(RECOMMENDED, TARGETS, 1) == pytest.approx(1 / 3)
    # k=2: u0 1/2, u1 1/1, u3 1/2 -> 2/3
    assert recall_at_k(RECOMMENDED, TARGETS, 2) == pytest.approx((0.5 + 1 + 0.5) / 3)
    # k=3: u0 2/2, u1 1/1, u3 1/2 -> 5/6
    assert recall_at_k(RECOMMENDED, TARGETS, 3) == pytest.approx(5 / 6)


def test_ndcg_hand_computed():
    # k=1: IDCG = 1 for everyone; only u1 hits at rank 1
    assert ndcg_at_k(RECOMMENDED, TARGETS, 1) == pytest.approx(1 / 3)
    # k=2: u0 D2 / (D1 + D2); u1 D1 / D1; u3 D2 / (D1 + D2)
    u0 = D2 / (D1 + D2)
    assert ndcg_at_k(RECOMMENDED, TARGETS, 2) == pytest.approx((u0 + 1 + u0) / 3)
    # k=3: u0 (D2 + D3) / (D1 + D2) (ideal over min(3, 2) = 2 ranks); u1 1; u3 D2 / (D1 + D2)
    u0 = (D2 + D3) / (D1 + D2)
    u3 = D2 / (D1 + D2)
    assert ndcg_at_k(RECOMMENDED, TARGETS, 3) == pytest.approx((u0 + 1 + u3) / 3)


def test_hit_rate_hand_computed():
    assert hit_rate_at_k(RECOMMENDED, TARGETS, 1) == pytest.approx(1 / 3)  # only u1
    assert hit_rate_at_k(RECOMMENDED, TARGETS, 2) == pytest.approx(1.0)


def test_tail_recall_hand_computed():
    # only u0 has tail targets ({3, 5}); u1 and u3 are skipped
    assert tail_recall_at_k(RECOMMENDED, TARGETS, TAIL, 1) == pytest.approx(0.0)
    assert tail_recall_at_k(RECOMMENDED, TARGETS, TAIL, 2) == pytest.approx(0.5)
    assert tail_recall_at_k(RECOMMENDED, TARGETS, TAIL, 3) == pytest.approx(1.0)


def test_aplt_hand_computed():
    # k=2: u0 [0, 3] 1/2; u1 [2] 0/1; u2 [4, 0] 1/2; u3 [1, 2] 0/2 -> 1/4
    assert aplt_at_k(RECOMMENDED, TAIL, 2) == pytest.approx((0.5 + 0 + 0.5 + 0) / 4)
    # k=3: u0 2/3; u1 0/1; u2 2/3; u3 1/3 -> 5/12
    assert aplt_at_k(RECOMMENDED, TAIL, 3) == pytest.approx(5 / 12)


def test_coverage_hand_computed():
    # k=2: {0, 3} | {2} | {4, 0} | {1, 2} = {0, 1, 2, 3, 4}: 5 of 6
    assert coverage_at_k(RECOMMENDED, N_ITEMS, 2) == pytest.approx(5 / 6)
    assert coverage_at_k(RECOMMENDED, N_ITEMS, 3) == pytest.approx(1.0)


def test_gini_hand_computed():
    # k=2 exposure: item0 2, item1 1, item2 2, item3 1, item4 1, item5 0 -> sorted [0, 1, 1, 1, 2, 2], total 7
    # weights 2j - n - 1 = [-5, -3, -1, 1, 3, 5] -> (0 - 3 - 1 + 1 + 6 + 10) / (6 * 7) = 13 / 42
    assert gini_at_k(RECOMMENDED, N_ITEMS, 2) == pytest.approx(13 / 42)


def test_gini_extremes():
    equal = np.array([[0, 1], [2, 3]])
    assert gini_at_k(equal, 4, 2) == pytest.approx(0.0)
    concentrated = np.array([[0], [0], [0]])
    assert gini_at_k(concentrated, 4, 1) == pytest.approx(3 / 4)  # maximum (n - 1) / n
    assert np.isnan(gini_at_k(np.full((2, 2), -1), 4, 2))


def test_novelty_hand_computed():
    info = [log2(30 / p) for p in POPULARITY]  # -log2(p_i / 30)
    # k=2: u0 [0, 3]; u1 [2]; u2 [4, 0]; u3 [1, 2]
    per_user = [
        (info[0] + info[3]) / 2,
        info[2],
        (info[4] + info[0]) / 2,
        (info[1] + info[2]) / 2,
    ]
    assert novelty_at_k(RECOMMENDED, POPULARITY, 2) == pytest.approx(sum(per_user) / 4)


def test_novelty_unseen_item_counts_as_seen_once():
    assert novelty_at_k(np.array([[1]]), np.array([4, 0]), 1) == pytest.approx(log2(4 / 1))


def test_popularity_buckets_and_recall_by_bucket():
    assert popularity_buckets(POPULARITY).tolist() == [0, 0, 1, 2, 2, 2]
    # k=2: head targets only u3 {0}, missed -> 0; mid: u1 {2} hit, u3 {2} hit -> 1; tail = tail recall 0.5
    assert by_popularity_bucket(RECOMMENDED, TARGETS, POPULARITY, 2) == pytest.approx(
        {"head": 0.0, "mid": 1.0, "tail": 0.5}
    )


def test_evaluate_keys_and_values():
    result = evaluate(RECOMMENDED, TARGETS, tail_items(POPULARITY), POPULARITY, ks=(2, 3))
    for k in (2, 3):
        for name in ("recall", "ndcg", "hit_rate", "tail_recall", "aplt", "coverage", "gini", "novelty"):
            assert f"{name}@{k}" in result
        assert result[f"recall@{k}[tail]"] == pytest.approx(result[f"tail_recall@{k}"])
    assert result["recall@3"] == pytest.approx(5 / 6)
    assert result["gini@2"] == pytest.approx(13 / 42)
    assert result["aplt@3"] == pytest.approx(5 / 12)
    assert result["recall@2[mid]"] == pytest.approx(1.0)


def test_sparse_targets_match_list_targets():
    rows = np.repeat(np.arange(4), [len(t) for t in TARGETS])
    matrix = sp.csr_matrix((np.ones(len(rows)), (rows, np.concatenate(TARGETS))), shape=(4, N_ITEMS))
    assert evaluate(RECOMMENDED, matrix, TAIL, POPULARITY, ks=(1, 3)) == pytest.approx(
        evaluate(RECOMMENDED, TARGETS, TAIL, POPULARITY, ks=(1, 3))
    )


def test_k_beyond_filled_slots_and_few_targets():
    # one target placed first in a list padded after rank 1: perfect at any k
    recommended = np.array([[2, -1, -1]])
    assert ndcg_at_k(recommended, [np.array([2])], 3) == pytest.approx(1.0)
    assert recall_at_k(recommended, [np.array([2])], 3) == pytest.approx(1.0)
    # padding in the middle leaves rank 2 empty: hit at rank 3 -> D3 / D1
    assert ndcg_at_k(np.array([[0, -1, 2]]), [np.array([2])], 3) == pytest.approx(D3)


def test_no_eligible_users_gives_nan():
    recommended = np.array([[0, 1]])
    assert np.isnan(recall_at_k(recommended, [np.array([], dtype=int)], 2))
    assert np.isnan(ndcg_at_k(recommended, [np.array([], dtype=int)], 2))
    assert np.isnan(tail_recall_at_k(recommended, [np.array([0])], np.array([False, False, True]), 2))
    assert np.isnan(aplt_at_k(np.full((2, 2), -1), np.array([True, False]), 2))


def test_last_users_without_targets():
    # trailing rows with no targets must not disturb the per-row target counts
    targets = [np.array([3]), np.array([], dtype=int), np.array([], dtype=int)]
    recommended = np.array([[3, 0], [1, 2], [0, 1]])
    assert tail_recall_at_k(recommended, targets, TAIL, 1) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "recommended, k, message",
    [
        (np.array([0, 1, 2]), 1, "2-D"),
        (np.array([[0.0, 1.0]]), 1, "integer"),
        (np.array([[0, 1]]), 3, "exceeds the list length"),
        (np.array([[0, 1]]), 0, "positive integer"),
        (np.array([[0, 0]]), 2, "same item twice"),
        (np.array([[0, -2]]), 2, "below -1"),
        (np.array([[0, 6]]), 2, "catalogue has 6 items"),
    ],
)
def test_bad_recommended_raises(recommended, k, message):
    with pytest.raises(ValueError, match=message):
        tail_recall_at_k(recommended, [np.array([0])], TAIL, k)


def test_mismatched_shapes_raise():
    with pytest.raises(ValueError, match="rows but recommended has"):
        recall_at_k(RECOMMENDED, TARGETS[:3], 2)
    with pytest.raises(ValueError, match="rows but recommended has"):
        recall_at_k(RECOMMENDED, sp.csr_matrix((3, N_ITEMS)), 2)
    with pytest.raises(ValueError, match="columns but the catalogue"):
        evaluate(RECOMMENDED, sp.csr_matrix((4, 5)), TAIL, POPULARITY, ks=(2,))
    with pytest.raises(ValueError, match="targets hold item index 9"):
        tail_recall_at_k(RECOMMENDED, [np.array([9])] * 4, TAIL, 2)
    with pytest.raises(ValueError, match="tail has 6 items but popularity has 5"):
        evaluate(RECOMMENDED, TARGETS, TAIL, POPULARITY[:5], ks=(2,))
    with pytest.raises(ValueError, match="bool"):
        aplt_at_k(RECOMMENDED, TAIL.astype(int), 2)
    with pytest.raises(ValueError, match="exceeds the list length K=3"):
        evaluate(RECOMMENDED, TARGETS, TAIL, POPULARITY, ks=(2, 10))


def test_evaluate_on_thousands_of_users_gives_bounded_figures():
    rng = np.random.default_rng(0)
    n_users, n_items, k_max = 4000, 4000, 20
    # distinct items per row: 197 is coprime to 4000, so offsets 197 * j (j < 20) never collide
    recommended = (rng.integers(0, n_items, (n_users, 1)) + 197 * np.arange(k_max)) % n_items
    rows = rng.integers(0, n_users, 20000)
    targets = sp.csr_matrix((np.ones(20000), (rows, rng.integers(0, n_items, 20000))), shape=(n_users, n_items))
    popularity = rng.integers(1, 100, n_items)
    result = evaluate(recommended, targets, tail_items(popularity), popularity)
    for name in ("recall@20", "ndcg@20", "hit_rate@20", "aplt@20", "coverage@20", "gini@20"):
        assert 0 <= result[name] <= 1, name
    assert result["recall@10"] <= result["recall@20"] and result["coverage@10"] <= result["coverage@20"]
