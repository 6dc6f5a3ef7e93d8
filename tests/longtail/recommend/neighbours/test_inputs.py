import numpy as np
import pytest

from longtail.recommend.neighbours import exact_top_k, faiss_top_k


@pytest.mark.parametrize(
    "vectors, kwargs, match",
    [
        (np.ones(5), {}, "2-D float"),
        (np.ones((5, 3), dtype=np.int64), {}, "2-D float"),
        (np.ones((0, 3)), {}, "at least one row"),
        (np.array([[1.0, np.nan], [0.0, 1.0]]), {}, "NaN"),
        (np.array([[1.0, np.inf], [0.0, 1.0]]), {}, "NaN or infinite"),
        (np.array([[1e39, 0.0], [0.0, 1.0]]), {}, "float32"),
        (np.eye(3), {"k": 0}, "k must be"),
        (np.eye(3), {"queries": np.ones((2, 4))}, "dim"),
        (np.eye(3), {"queries": np.ones((2, 3)), "rows": np.array([0])}, "either queries or rows"),
        (np.eye(3), {"rows": np.array([0, 3])}, r"rows must be in \[0, 3\)"),
        (np.eye(3), {"rows": np.array([0.5])}, "integer row indices"),
    ],
)
@pytest.mark.parametrize("search", [exact_top_k, faiss_top_k])
def test_searches_reject_bad_input(search, vectors, kwargs, match):
    kwargs = {"k": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        search(vectors, kwargs.pop("k"), **kwargs)
