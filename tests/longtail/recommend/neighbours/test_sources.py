import numpy as np
import pandas as pd
import pytest

from longtail.recommend.neighbours import collaborative_top_k, item_neighbours, neighbour_table, neighbours_to_csr
from longtail.recommend.neighbours.search import top_k_similarity
from tests.longtail.recommend.neighbours.conftest import normalised


def test_every_source_holds_each_items_neighbours():
    rng = np.random.default_rng(7)
    item_ids = np.array([f"i{n}" for n in range(40)])
    vectors = normalised(rng, 40, 8)
    interactions = pd.DataFrame(
        {"user_id": rng.integers(0, 30, 300).astype(str), "item_id": item_ids[rng.integers(0, 40, 300)]}
    )
    found = item_neighbours(item_ids, vectors, interactions.assign(ts=0), k=5, content_weight=0.5)
    table = found.table
    assert set(table["source"]) == {"content", "collaborative", "blended"} and found.content_search_seconds >= 0
    assert table.groupby(["source", "item_id"]).size().max() == 5
    content = table[table["source"] == "content"].reset_index(drop=True)
    expected = neighbour_table(item_ids, top_k_similarity(vectors, 5), "content")
    pd.testing.assert_frame_equal(content, expected)
    X = neighbours_to_csr(*collaborative_top_k(_matrix(interactions, item_ids), 5), 40)
    collaborative = table[table["source"] == "collaborative"].reset_index(drop=True)
    pd.testing.assert_frame_equal(collaborative, neighbour_table(item_ids, X, "collaborative"))


def test_interactions_with_other_items_are_left_out_and_a_single_item_has_no_neighbours():
    # "zz" is not in the catalogue: without it, a and b share no user and have no collaborative neighbour.
    interactions = pd.DataFrame({"user_id": ["u1", "u1", "u2"], "item_id": ["a", "zz", "b"]})
    vectors = np.array([[1.0, 0.0], [0.6, 0.8]], dtype=np.float32)
    table = item_neighbours(np.array(["a", "b"]), vectors, interactions).table
    assert sorted(table["source"]) == ["blended", "blended", "content", "content"]
    assert table.loc[table["source"] == "blended", "score"].tolist() == pytest.approx([0.3, 0.3])
    assert item_neighbours(np.array(["a"]), vectors[:1], interactions).table.empty


def _matrix(interactions, item_ids):
    import scipy.sparse as sp

    users, user_codes = np.unique(interactions["user_id"], return_inverse=True)
    items = pd.Index(item_ids).get_indexer(interactions["item_id"])
    return sp.csr_matrix((np.ones(len(items)), (user_codes, items)), shape=(len(users), len(item_ids)))
