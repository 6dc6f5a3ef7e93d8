import numpy as np
import pytest
import scipy.sparse as sp

from longtail.recommend.evaluation.tuning import TUNING_COLUMNS, fitted_each, floor_text, past_edges, tuning_table
from longtail.recommend.models import ALS, ItemKNN


@pytest.fixture
def random_interactions():
    """60 users x 80 items, about 10% of pairs."""
    return sp.random(60, 80, density=0.1, format="csr", random_state=np.random.default_rng(1), dtype=np.float32)


def tuned_report() -> dict:
    """A report's tuning part: EASE over three l2, ALS over a 2 x 2 grid, and a hybrid over two settings."""
    als_points = [
        {"factors": factors, "regularization": regularization, "ndcg@10": figure}
        for factors, regularization, figure in (
            (64, 10.0, 0.05),
            (64, 30.0, 0.07),
            (128, 10.0, 0.06),
            (128, 30.0, 0.04),
        )
    ]
    return {
        "system": "longtail_hybrid",
        "tuning": {
            "ease_l2_validation_ndcg@10": {"100.0": 0.08, "500.0": 0.09, "1000.0": 0.085},
            "hybrid": {"recent_weight": 0.0, "tail_weight": 0.5, "history_recency": 1.0},
            "hybrid_validation": [
                {"recent_weight": 0.0, "tail_weight": 0.0, "history_recency": 0.0, "ndcg@10": 0.1},
                {"recent_weight": 0.0, "tail_weight": 0.5, "history_recency": 1.0, "ndcg@10": 0.095},
                {"recent_weight": 0.3, "tail_weight": 0.5, "history_recency": 1.0, "ndcg@10": 0.093},
            ],
            "budgets": {"longtail_hybrid": 3, "EASE": 3, "ALS": 4},
            "baselines": {
                "EASE": {"chosen": {"l2": 500.0}},
                "ALS": {"chosen": {"factors": 64, "regularization": 30.0}, "validation_ndcg@10": als_points},
            },
        },
    }


def test_each_tuned_model_has_its_budget_choice_and_the_choices_validation_figure():
    table = tuning_table(tuned_report()).set_index("model")
    assert list(table.reset_index().columns) == TUNING_COLUMNS
    assert list(table.index) == ["EASE", "ALS", "longtail_hybrid"]
    assert table.loc["EASE", "budget"] == 3 and table.loc["EASE", "chosen"] == "l2=500"
    assert table.loc["ALS", "chosen"] == "factors=64, regularization=30"
    assert table.loc["EASE", "validation_ndcg@10"] == 0.09 and table.loc["ALS", "validation_ndcg@10"] == 0.07
    # The hybrid's choice is not its most accurate point: the figure is the chosen one's.
    assert table.loc["longtail_hybrid", "validation_ndcg@10"] == 0.095


def test_a_choice_at_the_end_of_its_grid_is_flagged_but_not_a_zero_floor_or_an_inner_value():
    table = tuning_table(tuned_report()).set_index("model")
    assert table.loc["EASE", "at_grid_edge"] == ""  # 500 lies inside 100-1000
    assert table.loc["ALS", "at_grid_edge"] == "factors (min), regularization (max)"
    # recent_weight 0 is the least it can be, not an edge a wider grid could pass, nor is history_recency 1 the most;
    # tail_weight 0.5 is the largest tried but not the most it can be.
    assert table.loc["longtail_hybrid", "at_grid_edge"] == "tail_weight (max)"


def test_the_points_past_the_edges_move_each_edge_setting_by_the_grids_last_step_and_all_of_them_together():
    grid = [
        {"factors": factors, "regularization": regularization, "alpha": alpha}
        for factors, regularization, alpha in ((64, 10.0, 1.0), (256, 40.0, 4.0), (256, 400.0, 40.0))
    ]
    # factors 256 is the largest tried (after 64: a step of 4), regularization 400 and alpha 40 too (steps of 10).
    assert past_edges(grid, grid[2]) == [
        {"factors": 1024, "regularization": 400.0, "alpha": 40.0},
        {"factors": 256, "regularization": 4000.0, "alpha": 40.0},
        {"factors": 256, "regularization": 400.0, "alpha": 400.0},
        {"factors": 1024, "regularization": 4000.0, "alpha": 400.0},
    ]
    # The smallest values step down, integers stay integers of at least 1, and a value inside the grid stays put.
    assert past_edges(grid, grid[0]) == [
        {"factors": 16, "regularization": 10.0, "alpha": 1.0},
        {"factors": 64, "regularization": 2.5, "alpha": 1.0},
        {"factors": 64, "regularization": 10.0, "alpha": 0.25},
        {"factors": 16, "regularization": 2.5, "alpha": 0.25},
    ]
    assert past_edges([{"k_neighbors": k} for k in (2, 5, 10)], {"k_neighbors": 2}) == [{"k_neighbors": 1}]


def test_a_choice_inside_its_grid_or_at_a_bound_of_the_setting_itself_has_no_points_past_an_edge():
    grid = [{"l2": l2, "tail_weight": weight} for l2 in (100.0, 500.0, 1000.0) for weight in (0.0, 0.5, 1.0)]
    # 0 is the least a weight or strength can be, and a unit weight cannot pass 1.
    assert past_edges(grid, {"l2": 500.0, "tail_weight": 0.0}) == []
    assert past_edges(grid, {"l2": 500.0, "tail_weight": 1.0}) == []
    assert past_edges(grid, {"l2": 1000.0, "tail_weight": 0.5}) == [{"l2": 2000.0, "tail_weight": 0.5}]
    # Past a largest value whose neighbour is 0 the step is additive.
    assert past_edges(grid[:2], {"l2": 100.0, "tail_weight": 0.5}) == [{"l2": 100.0, "tail_weight": 1.0}]


def test_grid_points_differing_in_k_share_a_search_and_give_each_points_own_model(random_interactions):
    grid = [
        {"k_neighbors": 20, "shrink": 0.0},
        {"k_neighbors": 5, "shrink": 10.0},
        {"k_neighbors": 5, "shrink": 0.0},
        {"shrink": 10.0},  # the model's default k
    ]
    for model, params in zip(fitted_each(ItemKNN, grid, random_interactions), grid, strict=True):
        alone = ItemKNN(**params).fit(random_interactions)
        assert (model.k_neighbors, model.shrink) == (alone.k_neighbors, alone.shrink)
        assert (model.similarity_ != alone.similarity_).nnz == 0
    # Any other constructor fits each point on its own.
    [als] = fitted_each(lambda **params: ALS(**params, iterations=2), [{"factors": 4}], random_interactions)
    assert als.factors == 4 and als.n_items_ == 80


def test_the_floor_sentence_names_whose_accuracy_it_was_and_whether_it_was_reached():
    report = tuned_report()
    report["tuning"]["hybrid_floor"] = {"model": "ALS", "ndcg@10": 0.13649, "reached": False}
    assert floor_text(report) == (
        "longtail_hybrid's floor: ALS's validation NDCG@10 0.1365, not reached by any point: the most accurate point "
        "was chosen."
    )
    report["tuning"]["hybrid_floor"]["reached"] = True
    assert "reached: the choice is among the points at least this accurate" in floor_text(report)
    # A validation split too thin to measure a trade of accuracy for the tail says so.
    report["tuning"]["hybrid_floor"]["tail_trade"] = False
    report["split"] = {"validation_users": 83}
    assert floor_text(report).endswith(
        "0.1365, not used: 83 validation users are too few to trade accuracy for the tail, so the most accurate "
        "point was chosen."
    )
