import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from longtail.recommend.neighbours import blend_neighbours, neighbour_matrix, neighbour_table, neighbours_to_csr


def test_neighbours_to_csr_drops_missing_and_non_positive():
    indices = np.array([[2, 1], [-1, -1], [0, 1]])
    scores = np.array([[0.9, -0.1], [0.0, 0.0], [0.5, 0.0]], dtype=np.float32)
    S = neighbours_to_csr(indices, scores, 3)
    assert S.dtype == np.float32 and S.shape == (3, 3) and S.nnz == 2 and S.has_sorted_indices
    np.testing.assert_allclose(S.toarray(), [[0, 0, 0.9], [0, 0, 0], [0.5, 0, 0]])
    assert neighbours_to_csr(np.empty((3, 0)), np.empty((3, 0)), 3).nnz == 0  # no neighbours at all, any dtype
    with pytest.raises(ValueError, match="one per item"):
        neighbours_to_csr(indices, scores, 4)
    with pytest.raises(ValueError, match=r"\[-1, 3\)"):
        neighbours_to_csr(np.array([[3], [0], [0]]), np.ones((3, 1)), 3)
    with pytest.raises(ValueError, match="scores has shape"):
        neighbours_to_csr(indices, scores[:, :1], 3)


def test_blend_weights_and_truncates_each_row():
    content = sp.csr_matrix(np.array([[0, 0.9, 0.2, 0], [0.9, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]))
    collaborative = sp.csr_matrix(np.array([[0, 0.1, 0.3, 0.4], [0, 0, 0, 0], [0.3, 0, 0, 0], [0, 0, 0, 0]]))
    blended = blend_neighbours(content, collaborative, 0.5, 2)
    # row 0: 0.5 * [0, .9, .2, 0] + 0.5 * [0, .1, .3, .4] = [0, .5, .25, .2], keep the best two
    expected = np.array([[0, 0.5, 0.25, 0], [0.45, 0, 0, 0], [0.15, 0, 0, 0], [0, 0, 0, 0]])
    assert blended.dtype == np.float32 and blended.has_sorted_indices
    np.testing.assert_allclose(blended.toarray(), expected, rtol=1e-6)
    only_content = blend_neighbours(content, collaborative, 1.0, 1)
    np.testing.assert_allclose(only_content.toarray(), [[0, 0.9, 0, 0], [0.9, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]])
    assert only_content.nnz == 2  # weight 0 on collaborative leaves no explicit zeros behind


@pytest.mark.parametrize(
    "args, match",
    [
        ((np.eye(3), sp.eye(3), 0.5, 2), "content must be"),
        ((sp.eye(3), sp.eye(4), 0.5, 2), "shape"),
        ((sp.eye(3), sp.eye(3), 1.5, 2), "weight"),
        ((sp.eye(3), sp.eye(3), 0.5, 0), "k must be"),
    ],
)
def test_blend_validation(args, match):
    with pytest.raises(ValueError, match=match):
        blend_neighbours(*args)


def test_neighbour_table_from_arrays_and_from_csr():
    item_ids = np.array(["a", "b", "c"])
    indices = np.array([[2, 1], [-1, -1], [0, -1]])
    scores = np.array([[0.9, 0.3], [0.0, 0.0], [0.5, 0.0]], dtype=np.float32)
    table = neighbour_table(item_ids, (indices, scores), "content")
    assert list(table.columns) == ["item_id", "neighbour_id", "rank", "score", "source"]
    assert table["rank"].dtype == np.int32 and table["score"].dtype == np.float32
    expected = pd.DataFrame(
        {"item_id": ["a", "a", "c"], "neighbour_id": ["c", "b", "a"], "rank": [1, 2, 1], "score": [0.9, 0.3, 0.5]}
    )
    pd.testing.assert_frame_equal(
        table.drop(columns="source"), expected.astype({"rank": np.int32, "score": np.float32})
    )
    assert set(table["source"]) == {"content"}
    # the same neighbours as a matrix give the same table, ranked by score
    from_csr = neighbour_table(item_ids, neighbours_to_csr(indices, scores, 3), "blended")
    pd.testing.assert_frame_equal(from_csr.drop(columns="source"), table.drop(columns="source"))
    assert set(from_csr["source"]) == {"blended"}


def test_neighbour_table_validation():
    S = sp.eye(3, format="csr")
    with pytest.raises(ValueError, match="source"):
        neighbour_table(np.arange(3), S, "popular")
    with pytest.raises(ValueError, match="shape"):
        neighbour_table(np.arange(4), S, "content")
    with pytest.raises(ValueError, match="pair"):
        neighbour_table(np.arange(3), [np.zeros((3, 1), int)], "content")


def test_stored_neighbour_rows_come_back_as_the_matrix_on_a_models_items():
    item_ids = np.array(["a", "b", "c"])
    S = neighbours_to_csr(np.array([[2, 1], [-1, -1], [0, -1]]), np.array([[0.9, 0.3], [0, 0], [0.5, 0]]), 3)
    rows = neighbour_table(item_ids, S, "blended")
    np.testing.assert_allclose(neighbour_matrix(rows, item_ids).toarray(), S.toarray())
    # Another item order, and an item the model does not know: rows that name it are left out.
    model_items = np.array(["c", "a", "z"])
    np.testing.assert_allclose(neighbour_matrix(rows, model_items).toarray(), [[0, 0.5, 0], [0.9, 0, 0], [0, 0, 0]])
    assert neighbour_matrix(rows.iloc[:0], item_ids) is None
