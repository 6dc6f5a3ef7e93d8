import numpy as np
import pandas as pd
import pytest

from longtail.data.interactions import interaction_matrix
from longtail.recommend.neighbours import collaborative_top_k, item_neighbours, neighbour_table, neighbours_to_csr
from longtail.spark.neighbours import collaborative_neighbours
from longtail.spark.session import tasks_by_executor
from tests.fixtures import assert_ran_on_every_executor

pytestmark = pytest.mark.spark


def local_rows(interactions: pd.DataFrame, item_ids: np.ndarray, k: int, shrink: float) -> pd.DataFrame:
    """The local path's "collaborative" rows, as ``item_neighbours`` builds them, with ``shrink``."""
    matrix = interaction_matrix(interactions, item_ids=item_ids).matrix
    found = collaborative_top_k(matrix, k, shrink=shrink)
    return neighbour_table(item_ids, neighbours_to_csr(*found, len(item_ids)), "collaborative")


def tied_interactions() -> tuple[pd.DataFrame, np.ndarray]:
    """Item "hub" shares one user with each of six one-user items (six neighbours tied for every place), a repeat
    purchase, and an interaction with an item outside the catalogue; the catalogue order is not the ids' order."""
    rows = [(f"u{n}", "hub") for n in range(6)] + [(f"u{n}", f"leaf{5 - n}") for n in range(6)]
    rows += [("u0", "hub"), ("u0", "gone"), ("u9", "gone"), ("u7", "lonely")]
    item_ids = np.array(
        ["leaf3", "hub", "leaf0", "leaf5", "leaf1", "leaf4", "leaf2", "lonely", "unbought"], dtype=object
    )
    return pd.DataFrame(rows, columns=["user_id", "item_id"]), item_ids


def random_interactions(seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """300 users of a 200-item catalogue, popularity skewed, repeats and items outside the catalogue included."""
    rng = np.random.default_rng(seed)
    n_rows = 3_000
    users = rng.integers(0, 300, size=n_rows)
    items = np.minimum(rng.zipf(1.3, size=n_rows) - 1, 219)  # ids 200..219 are not in the catalogue
    frame = pd.DataFrame({"user_id": [f"user{u}" for u in users], "item_id": [f"item{i}" for i in items]})
    item_ids = np.array([f"item{i}" for i in rng.permutation(200)], dtype=object)
    return frame, item_ids


@pytest.mark.parametrize("k", [1, 5, 20])
def test_ties_are_kept_as_locally(spark, k):
    frame, item_ids = tied_interactions()
    found = collaborative_neighbours(spark, spark.createDataFrame(frame), item_ids, k=k)
    pd.testing.assert_frame_equal(found, local_rows(frame, item_ids, k, 0.0))
    hub = found[found["item_id"] == "hub"]
    # Tied at 1/sqrt(6): the leaves earliest in the catalogue win.
    assert hub["neighbour_id"].tolist() == ["leaf3", "leaf0", "leaf5", "leaf1", "leaf4", "leaf2"][:k]


@pytest.mark.parametrize("shrink", [0.0, 2.5])
def test_random_data_equals_the_local_path_on_both_executors(spark, shrink):
    frame, item_ids = random_interactions(seed=7)
    before = tasks_by_executor(spark)
    assert len(before) == 2, f"expected the cluster's two executors, got {before}"
    found = collaborative_neighbours(spark, spark.createDataFrame(frame), item_ids, k=10, shrink=shrink)
    assert_ran_on_every_executor(spark, before)
    expected = local_rows(frame, item_ids, 10, shrink)
    assert len(expected) > 500 and expected.duplicated(["item_id", "score"]).any()  # ties happen
    pd.testing.assert_frame_equal(found, expected)


def test_equals_the_collaborative_rows_of_item_neighbours(spark):
    frame, item_ids = random_interactions(seed=8)
    vectors = np.random.default_rng(0).normal(size=(len(item_ids), 8)).astype(np.float32)
    stored = item_neighbours(item_ids, vectors, frame, k=15).table
    expected = stored[stored["source"] == "collaborative"].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        collaborative_neighbours(spark, spark.createDataFrame(frame), item_ids, k=15), expected
    )


def test_inputs_are_checked(spark):
    frame, item_ids = tied_interactions()
    interactions = spark.createDataFrame(frame)
    with pytest.raises(ValueError, match="unique"):
        collaborative_neighbours(spark, interactions, np.array(["hub", "hub"], dtype=object))
    with pytest.raises(ValueError, match="strings"):
        collaborative_neighbours(spark, interactions, np.arange(3))
    with pytest.raises(ValueError, match="shrink"):
        collaborative_neighbours(spark, interactions, item_ids, shrink=-1.0)
    with pytest.raises(ValueError, match="k must be"):
        collaborative_neighbours(spark, interactions, item_ids, k=0)
    with pytest.raises(ValueError, match="user_id"):
        collaborative_neighbours(spark, interactions.select("item_id"), item_ids)
