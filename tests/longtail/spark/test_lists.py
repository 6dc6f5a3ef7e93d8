from functools import partial

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from longtail.recommend.models.hybrid import LongTailHybrid
from longtail.recommend.serving import build_served_hybrid, serve_recommendations
from longtail.spark.lists import recommend_on_spark
from longtail.spark.session import tasks_by_executor
from tests.fixtures import assert_ran_on_every_executor, themed_shop

pytestmark = pytest.mark.spark

SETTINGS = {
    "l2": 100.0,
    "recent_weight": 0.3,
    "popularity_exponent": 0.25,
    "tail_weight": 0.5,
    "content_weight": 0.1,
    "half_life": 14.0,
}


@pytest.fixture(scope="module")
def shop():
    return themed_shop()


def test_served_lists_on_spark_are_the_local_ones_and_ran_on_both_executors(spark, shop):
    events, items, vectors = shop
    local = serve_recommendations(events, SETTINGS, item_vectors=vectors, items=items, list_length=10)
    before = tasks_by_executor(spark)
    on_spark = serve_recommendations(
        events, SETTINGS, item_vectors=vectors, items=items, list_length=10,
        recommend=partial(recommend_on_spark, spark, partitions=4),
    )  # fmt: skip

    assert len(local.lists) > 500
    scores = ["score"]
    pd.testing.assert_frame_equal(on_spark.lists.drop(columns=scores), local.lists.drop(columns=scores))
    np.testing.assert_allclose(on_spark.lists["score"], local.lists["score"], rtol=0, atol=1e-6)
    assert on_spark.summary == local.summary
    assert_ran_on_every_executor(spark, before)


def test_short_lists_are_padded_as_locally_and_seen_items_may_be_kept(spark, shop):
    events, _, _ = shop
    model = build_served_hybrid(events, SETTINGS).model
    # As many slots as items: without seen items every list ends in -1 and NaN.
    k = model.n_items_
    for exclude_seen in (True, False):
        items, scores = recommend_on_spark(spark, model, model.n_users_, k, exclude_seen=exclude_seen, partitions=4)
        expected_items, expected_scores = model.recommend(
            np.arange(model.n_users_), k, exclude_seen=exclude_seen, return_scores=True
        )
        assert items.dtype == np.int64 and scores.dtype == np.float32
        np.testing.assert_array_equal(items, expected_items)
        np.testing.assert_allclose(scores, expected_scores, rtol=0, atol=1e-6)
        assert (items[:, -1] == -1).all() == exclude_seen and np.isnan(scores[:, -1]).all() == exclude_seen
    # The first users only.
    items, _ = recommend_on_spark(spark, model, 5, 4)
    np.testing.assert_array_equal(items, model.recommend(np.arange(5), 4))


def test_bad_arguments_are_refused_before_any_job(spark, shop):
    model = build_served_hybrid(shop[0], SETTINGS).model
    with pytest.raises(NotFittedError):
        recommend_on_spark(spark, LongTailHybrid(), 3, 5)
    with pytest.raises(TypeError, match="Recommender"):
        recommend_on_spark(spark, object(), 3, 5)
    with pytest.raises(ValueError, match="n_users"):
        recommend_on_spark(spark, model, model.n_users_ + 1, 5)
    with pytest.raises(ValueError, match="k must be"):
        recommend_on_spark(spark, model, 3, 0)
