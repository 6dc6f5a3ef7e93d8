"""Re-ranking for the long tail: calibrate each list's share of tail items to the user's own tail appetite.

Calibration (Steck 2018, "Calibrated recommendations"; applied to popularity groups by Abdollahpouri et al. 2021)
builds each list greedily. At every position it takes either the best remaining head item or the best remaining
tail item, whichever maximises

    (1 - weight) * relevance(item) - weight * KL(p_u || q(list + item))

where ``p_u`` is the user's tail appetite (the share of tail items it should see, e.g. the share of tail items
in its own history) and ``q`` the list's tail share. ``weight = 0`` returns the relevance order; ``weight = 1``
matches the appetite as closely as the list length allows. A user who never buys tail items keeps a head list;
one who mostly buys tail items gets mostly tail items: the re-ranker follows the user, not a global quota.
"""

from __future__ import annotations

import numpy as np

from longtail.recommend.matrices import top_k_indices

# Keeps the KL divergence finite when a list (or an appetite) holds no tail item, or only tail items.
_EPSILON = 1e-3


def calibrate_tail_share(
    relevance: np.ndarray, tail: np.ndarray, appetite: np.ndarray, k: int, weight: float
) -> np.ndarray:
    """Top-``k`` lists whose tail share follows each user's appetite; item indices, best first, -1 padded.

    Args:
        relevance: (n_users, n_items) float scores, higher is better, roughly on a 0..1 scale per user (the KL
            term is in nats, so the two terms must be comparable); ``-inf`` marks items that must not appear
            (already seen, unknown).
        tail: (n_items,) bool, True for tail items.
        appetite: (n_users,) target tail share in [0, 1] per user.
        k: list length.
        weight: in [0, 1], the weight of calibration against relevance.

    Returns:
        (n_users, k) int64 item indices. Within each group (head, tail) items keep their relevance order.
    """
    # Ranked in its own dtype (float32 from the hybrid): a float64 copy of every score would cost a pass of its own.
    relevance = np.asarray(relevance)
    if not np.issubdtype(relevance.dtype, np.floating):
        relevance = relevance.astype(np.float64)
    tail = np.asarray(tail, dtype=bool)
    appetite = np.asarray(appetite, dtype=np.float64)
    n_users, n_items = relevance.shape
    if tail.shape != (n_items,):
        raise ValueError(f"tail must have shape ({n_items},), got {tail.shape}")
    if appetite.shape != (n_users,) or not np.all((appetite >= 0) & (appetite <= 1)):
        raise ValueError(f"appetite must be {n_users} shares in [0, 1]")
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"weight must be in [0, 1], got {weight}")
    if weight == 0.0:
        return top_k_indices(relevance, k)

    heads, head_scores = _ranked(relevance, ~tail, k)
    tails, tail_scores = _ranked(relevance, tail, k)
    target = np.clip(appetite, _EPSILON, 1 - _EPSILON)
    rows = np.arange(n_users)
    out = np.full((n_users, k), -1, dtype=np.int64)
    next_head = np.zeros(n_users, dtype=np.int64)
    next_tail = np.zeros(n_users, dtype=np.int64)
    # Past n_items positions nothing is left to place: those slots stay -1 (and the group pointers in range).
    for position in range(min(k, n_items)):
        gain_head = (1 - weight) * head_scores[rows, next_head] - weight * _kl(target, next_tail, position + 1)
        gain_tail = (1 - weight) * tail_scores[rows, next_tail] - weight * _kl(target, next_tail + 1, position + 1)
        take_tail = gain_tail > gain_head
        chosen = np.where(take_tail, tails[rows, next_tail], heads[rows, next_head])
        out[:, position] = np.where(np.isneginf(np.maximum(gain_head, gain_tail)), -1, chosen)
        next_tail += take_tail
        next_head += ~take_tail
    return out


def _ranked(relevance: np.ndarray, allowed: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each user's top-``k`` allowed items and their scores, -1 and ``-inf`` padded to ``k + 1`` columns: the last
    is always padding, so that an exhausted group is never chosen. Only the group's columns are ranked: the two
    groups together cost one pass over the items, not two."""
    columns = np.flatnonzero(allowed)
    items = np.full((len(relevance), k + 1), -1, dtype=np.int64)
    scores = np.full(items.shape, -np.inf)
    if len(columns):
        group = np.take(relevance, columns, axis=1)  # row-major, as the top k reads it
        top = top_k_indices(group, k)
        found, at = top >= 0, np.maximum(top, 0)
        width = top.shape[1]
        items[:, :width] = np.where(found, columns[at], -1)
        scores[:, :width] = np.where(found, np.take_along_axis(group, at, axis=1), -np.inf)
    return items, scores


def _kl(target: np.ndarray, n_tail: np.ndarray, length: int) -> np.ndarray:
    """KL divergence between the target tail share and the share of a list of ``length`` with ``n_tail`` tail
    items (two groups: tail and head)."""
    share = np.clip(n_tail / length, _EPSILON, 1 - _EPSILON)
    return target * np.log(target / share) + (1 - target) * np.log((1 - target) / (1 - share))
