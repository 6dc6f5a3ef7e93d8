import numpy as np
import pandas as pd
import pytest

from longtail.demand.borrowing import PRIOR_WEEKS, NeighbourPrior
from longtail.demand.series import Panel
from tests.longtail.demand.weekly_rows import weekly_frame

ITEMS = np.array(["a", "b", "c", "d"])


def test_probability_is_the_similarity_weighted_mean_of_the_neighbours():
    neighbours = pd.DataFrame(
        {"item_id": ["a", "a", "a", "b"], "neighbour_id": ["b", "c", "a", "zzz"], "similarity": [3.0, 1.0, 9.0, 1.0]}
    )
    prior = NeighbourPrior.build(ITEMS, neighbours=neighbours)
    own = np.array([0.9, 0.2, 0.6, 0.4])
    borrowed = prior.probability(np.arange(4), own)
    # a: its self-pair and b's unknown neighbour are ignored; b, c and d borrow from nobody.
    assert borrowed[0] == pytest.approx((3 * 0.2 + 1 * 0.6) / 4)
    assert np.isnan(borrowed[1:]).all()


def test_probability_falls_back_to_the_other_items_of_the_category():
    categories = pd.DataFrame({"item_id": ["a", "b", "c", "d"], "category": ["toys", "toys", "toys", None]})
    prior = NeighbourPrior.build(ITEMS, categories=categories)
    borrowed = prior.probability(np.arange(4), np.array([0.9, 0.3, 0.6, 0.4]))
    np.testing.assert_allclose(borrowed[:3], [(0.3 + 0.6) / 2, (0.9 + 0.6) / 2, (0.9 + 0.3) / 2])
    assert np.isnan(borrowed[3])
    # Only the items present at the origin count: alone in its category, a has nothing to borrow from.
    assert np.isnan(prior.probability(np.array([0, 3]), np.array([0.9, 0.4]))).all()


def test_negative_similarities_count_as_no_neighbour():
    neighbours = pd.DataFrame({"item_id": ["a"], "neighbour_id": ["b"], "similarity": [-0.5]})
    prior = NeighbourPrior.build(ITEMS, neighbours=neighbours)
    assert np.isnan(prior.probability(np.arange(4), np.full(4, 0.5))).all()


def test_shrink_moves_a_young_item_towards_its_neighbours_rate_by_its_age():
    weekly = weekly_frame({"old": [2, 0, 2, 0, 2, 0], "young": [0, 0, 0, 0, 0, 6]})
    panel = Panel.from_weekly(weekly)
    history = panel.history(panel.n_weeks)
    neighbours = pd.DataFrame({"item_id": ["young"], "neighbour_id": ["old"], "similarity": [1.0]})
    rate = np.array([1.0, 6.0])
    shrunk = NeighbourPrior.build(panel.item_ids, neighbours=neighbours).shrink(history, rate)
    # young (one week old) borrows old's occurrence share 3/6 times its own median size 6, worth PRIOR_WEEKS weeks.
    own_weight = 1 / (1 + PRIOR_WEEKS)
    assert shrunk[1] == pytest.approx(own_weight * 6.0 + (1 - own_weight) * 0.5 * 6.0)
    assert shrunk[0] == rate[0]
    assert (NeighbourPrior.build(panel.item_ids).shrink(history, rate) == rate).all()
