import numpy as np
import pytest

from longtail.demand.inventory import (
    Simulation,
    mean_std_order_up_to,
    normal_order_up_to,
    simulate,
    spread_order_up_to,
    tune_parameter,
)


def _one_item(demand, level, **kwargs):
    demand = np.array([demand], dtype=float)
    return simulate(demand, np.full(demand.shape, float(level)), **kwargs)


def test_hand_worked_week_by_week_with_lead_time_1_and_review_1():
    # S = 5.5, default start ceil(5.5) = 6 units.
    # week 0: IP 6 >= 5.5, no order; serve 3 of 3, close 3.
    # week 1: IP 3, order ceil(2.5) = 3 due week 2; serve 3 of 4 (1 lost), close 0.
    # week 2: IP 0 + 3 on order = 3, order 3 due week 3; receive 3; serve 3 of 6 (3 lost), close 0.
    # week 3: IP 0 + 3 = 3, order 3 due week 4 (never arrives); receive 3; serve 2 of 2, close 1.
    result = _one_item([3, 4, 6, 2], 5.5, lead_time=1, review_period=1)
    assert result.served[0].tolist() == [3, 3, 3, 2]
    assert result.closing_stock[0].tolist() == [3, 0, 0, 1]
    assert result.orders[0].tolist() == [0, 3, 3, 3]
    assert result.fill_rate() == pytest.approx([11 / 15])


def test_lead_time_0_arrives_before_the_weeks_demand():
    now = _one_item([4, 4], 4, lead_time=0, review_period=1, initial_stock=np.zeros(1))
    assert now.served[0].tolist() == [4, 4]
    assert now.orders[0].tolist() == [4, 4]
    later = _one_item([4, 4], 4, lead_time=1, review_period=1, initial_stock=np.zeros(1))
    assert later.served[0].tolist() == [0, 4]


def test_review_period_2_orders_only_on_even_weeks():
    # S = 10, start 10, 3 a week: IP 4 at weeks 2 and 4 (order 6); week 1 and 3 are not reviewed.
    result = _one_item([3, 3, 3, 3, 3], 10, lead_time=1, review_period=2)
    assert result.orders[0].tolist() == [0, 0, 6, 0, 6]
    assert result.closing_stock[0].tolist() == [7, 4, 1, 4, 1]
    assert result.served[0].tolist() == [3] * 5


def test_lost_sales_never_make_stock_negative():
    rng = np.random.default_rng(0)
    demand = rng.poisson(5, (20, 30)).astype(float)
    result = simulate(demand, np.full(demand.shape, 3.0), lead_time=2, review_period=3)
    assert (result.closing_stock >= 0).all()
    assert (result.served <= demand).all()
    assert (result.served >= 0).all()
    assert (demand - result.served > 0).any()


def test_initial_stock_defaults_to_ceil_of_the_first_level():
    demand = np.zeros((2, 3))
    levels = np.array([[2.2, 9.0, 9.0], [4.0, 0.0, 0.0]])
    result = simulate(demand, levels, lead_time=1, review_period=5)
    assert result.closing_stock[:, 0].tolist() == [3, 4]
    assert (result.orders == 0).all()


def test_summary_per_group_is_units_weighted():
    demand = np.array([[10.0, 0.0], [2.0, 2.0], [4.0, 4.0]])
    served = np.array([[5.0, 0.0], [2.0, 1.0], [4.0, 4.0]])
    closing = np.array([[0.0, 1.0], [3.0, 0.0], [2.0, 6.0]])
    orders = np.array([[4.0, 0.0], [0.0, 2.0], [0.0, 0.0]])
    sim = Simulation(demand=demand, served=served, closing_stock=closing, orders=orders)
    summary = sim.summary(np.array(["a", "a", "b"]), target=0.9)
    assert list(summary) == ["a", "b", "all"]
    # Units-weighted: (5 + 3) / (10 + 4), not the mean of the items' 0.5 and 0.75.
    assert summary["a"] == {
        "fill_rate": pytest.approx(8 / 14),
        "target": 0.9,
        "avg_stock": pytest.approx((3 + 1) / 2),
        "stockout_weeks": 2,
        "orders": 2,
        "items": 2,
    }
    assert summary["b"]["fill_rate"] == 1.0
    assert summary["b"]["stockout_weeks"] == 0
    assert summary["all"]["fill_rate"] == pytest.approx(16 / 22)
    assert summary["all"]["avg_stock"] == pytest.approx((5 + 7) / 2)
    assert summary["all"]["items"] == 3
    assert isinstance(summary["all"]["fill_rate"], float)
    assert list(sim.summary(np.array(["a", "a", "b"], dtype=object))) == ["a", "b", "all"]
    assert list(sim.summary(np.array([2, 1, 2]))) == [1, 2, "all"]
    assert list(sim.summary()) == ["all"]
    assert sim.summary()["all"]["target"] is None


def test_an_item_entering_later_holds_and_orders_nothing_before_and_starts_with_its_level():
    demand = np.array([[0.0, 0.0, 3, 4, 6], [3, 4, 6, 2, 1]])
    levels = np.array([[0.0, 0.0, 5.5, 5.5, 5.5], [5.5] * 5])
    result = simulate(demand, levels, lead_time=1, review_period=1, start=np.array([2, 0]))
    # The late item from week 2 is the first one's hand-worked weeks 0-2 (test above), two weeks later.
    assert result.closing_stock[0].tolist() == [0, 0, 3, 0, 0]
    assert result.orders[0].tolist() == [0, 0, 0, 3, 3]
    assert result.served[0].tolist() == [0, 0, 3, 3, 3]
    early = simulate(demand[1:], levels[1:], lead_time=1, review_period=1)
    np.testing.assert_array_equal(result.served[1], early.served[0])
    # Given an initial stock, an item enters with it.
    given = simulate(demand, levels, lead_time=1, review_period=1, start=np.array([2, 0]), initial_stock=np.ones(2))
    assert given.served[0, 2] == 1 and given.closing_stock[0, :2].tolist() == [0, 0]


def test_no_weeks_simulate_to_empty_arrays():
    result = simulate(np.zeros((2, 0)), np.zeros((2, 0)), lead_time=1, review_period=1, start=np.array([0, 0]))
    assert result.served.shape == result.closing_stock.shape == result.orders.shape == (2, 0)


def test_fill_rate_and_summary_without_demand():
    sim = _one_item([0, 0], 1, lead_time=0, review_period=1)
    assert np.isnan(sim.fill_rate()[0])
    assert sim.summary()["all"]["fill_rate"] is None


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"order_up_to": np.ones((2, 3))}, "order_up_to"),
        ({"demand": -np.ones((1, 3))}, "demand"),
        ({"review_period": 0}, "review_period"),
        ({"lead_time": -1}, "lead_time"),
        ({"initial_stock": np.ones(2)}, "initial_stock"),
        ({"start": np.array([1.0])}, "start"),
        ({"start": np.array([4])}, "start"),
        ({"start": np.array([2])}, "before an item's start"),
    ],
)
def test_simulate_validation_names_the_argument(kwargs, name):
    arguments = {"demand": np.ones((1, 3)), "order_up_to": np.ones((1, 3)), "lead_time": 1, "review_period": 1}
    with pytest.raises(ValueError, match=name):
        simulate(**(arguments | kwargs))


def test_normal_order_up_to():
    levels = normal_order_up_to(np.array([2.0, 0.1]), np.array([1.0, 1.0]), 4, 1.5)
    # 4 * 2 + 1.5 * 1 * 2 = 11; 0.4 + 3 > 0.
    assert levels == pytest.approx([11.0, 3.4])
    assert normal_order_up_to(np.array([0.1]), np.array([1.0]), 1, -1.0) == pytest.approx([0.0])
    with pytest.raises(ValueError, match="sigma"):
        normal_order_up_to(np.array([1.0]), np.array([-1.0]), 1, 1.0)


def test_mean_std_order_up_to_ignores_weeks_before_the_first_sale():
    recent = np.array([[np.nan, np.nan, 2.0, 4.0], [np.nan] * 4, [1.0, 1.0, 1.0, 1.0]])
    # Row 0: mean 3, std 1, so 4 * 3 + 2 * 1 * 2 = 16; row 2 has std 0.
    assert mean_std_order_up_to(recent, 4, 2.0) == pytest.approx([16.0, 0.0, 4.0])
    with pytest.raises(ValueError, match="recent_units"):
        mean_std_order_up_to(-np.ones((1, 2)), 4, 1.0)


def test_spread_order_up_to_reads_the_spread_as_a_normal_std():
    from scipy.stats import norm

    median, upper = np.array([10.0, 0.0, 4.0]), np.array([10.0 + norm.ppf(0.9), 0.0, 4.0 + 2 * norm.ppf(0.9)])
    # sigma = (upper - median) / Phi^-1(0.9): 1, 0 and 2 units.
    assert spread_order_up_to(median, upper, 0.9, 0.0) == pytest.approx(median)
    assert spread_order_up_to(median, upper, 0.9, 2.0) == pytest.approx([12.0, 0.0, 8.0])
    assert spread_order_up_to(median, upper, 0.9, norm.ppf(0.9)) == pytest.approx(upper)
    # A negative factor may take the level below 0: it is clipped.
    assert spread_order_up_to(median, upper, 0.9, -3.0) == pytest.approx([7.0, 0.0, 0.0])
    # One level per item: the last item's spread read up to its 95% quantile, 2 units a standard deviation.
    levels = np.array([0.9, 0.9, 0.95])
    upper = np.array([10.0 + norm.ppf(0.9), 0.0, 4.0 + 2 * norm.ppf(0.95)])
    assert spread_order_up_to(median, upper, levels, 2.0) == pytest.approx([12.0, 0.0, 8.0])


def test_spread_order_up_to_validation():
    median, upper = np.array([1.0, 2.0]), np.array([2.0, 3.0])
    with pytest.raises(ValueError, match="upper must be >= median"):
        spread_order_up_to(upper, median, 0.9, 1.0)
    with pytest.raises(ValueError, match="shape"):
        spread_order_up_to(median, upper[:1], 0.9, 1.0)
    with pytest.raises(ValueError, match="upper_level"):
        spread_order_up_to(median, upper, 0.5, 1.0)
    with pytest.raises(ValueError, match="upper_level"):
        spread_order_up_to(median, upper, 1.0, 1.0)
    with pytest.raises(ValueError, match="upper_level"):
        spread_order_up_to(median, upper, np.array([0.9, 0.4]), 1.0)
    with pytest.raises(ValueError, match="median"):
        spread_order_up_to(np.array([np.nan, 1.0]), upper, 0.9, 1.0)


def test_tune_parameter_picks_the_smallest_meeting_candidate():
    tried = []

    def fill_rate_of(candidate):
        tried.append(candidate)
        return candidate / 4

    assert tune_parameter([3, 1, 2], fill_rate_of, 0.5) == 2.0
    assert tried == [1.0, 2.0]


def test_tune_parameter_falls_back_to_the_largest():
    assert tune_parameter([0.5, 2.0, 1.0], lambda candidate: 0.1 * candidate, 0.95) == 2.0
    with pytest.raises(ValueError, match="candidates"):
        tune_parameter([], lambda candidate: 1.0, 0.9)
