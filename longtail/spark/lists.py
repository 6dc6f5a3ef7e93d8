"""Every user's list on Spark: ``recommend_on_spark`` scores the users of a fitted ``Recommender`` on the executors
and returns what ``Recommender.recommend`` returns locally; ``longtail.recommend.serving.serve_recommendations``
takes it as its ``recommend`` (``functools.partial(recommend_on_spark, spark)``)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import numpy as np
import pandas as pd

from longtail.recommend.models.base import DEFAULT_BATCH_SIZE, Recommender, not_fitted_error
from longtail.validation import check_positive_int

# One row per filled slot of a user's list: ``rank`` from 1, ``item`` the item index, ``score`` the model's.
LIST_SCHEMA = "user long, rank int, item long, score float"


def recommend_on_spark(
    spark,
    model: Recommender,
    n_users: int,
    k: int,
    *,
    exclude_seen: bool = True,
    batch_size: int = DEFAULT_BATCH_SIZE,
    partitions: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``model.recommend(np.arange(n_users), k, exclude_seen=exclude_seen, return_scores=True)``, computed by the
    executors of ``spark``: ``(items, scores)``, ``int64`` item indices and their ``float32`` scores, both of
    shape ``(n_users, k)``, best first, padded with -1 and NaN where a user has fewer than ``k`` items to get.

    The fitted ``model`` is broadcast once (``sparkContext.broadcast``); the user indices ``0 .. n_users - 1`` are
    split into ``partitions`` tasks (default: Spark's default parallelism, one per executor core), each scoring its
    users ``batch_size`` at a time with ``model.recommend``, so each user's list is the local one.

    What it costs at scale: the model is pickled on the driver, sent to every executor and unpickled by each of
    its Python workers (cores x model size of executor memory), and every list comes back to the driver (``n_users
    * k`` rows). The broadcast is the whole fitted model: for ``LongTailHybrid`` its EASE item-item matrices, each
    ``m^2`` float32 (``m = min(n_items, max_items)``, 1.6 GB at 20,000 items; two with recency), plus the training
    interactions. That suits catalogues up to tens of thousands of items; at millions of items the lists come from
    ALS factors (``(n_users + n_items) * rank`` floats) instead.
    """
    if not isinstance(model, Recommender):
        raise TypeError(f"model must be a Recommender, got {type(model).__name__}")
    if not hasattr(model, "n_users_"):
        raise not_fitted_error(model)
    if isinstance(n_users, bool) or not isinstance(n_users, (int, np.integer)) or not 0 <= n_users <= model.n_users_:
        raise ValueError(f"n_users must be an integer in [0, {model.n_users_}], got {n_users!r}")
    k = check_positive_int(k, "k")
    batch_size = check_positive_int(batch_size, "batch_size")
    partitions = None if partitions is None else check_positive_int(partitions, "partitions")
    broadcast = spark.sparkContext.broadcast(model)
    try:
        score = partial(_recommend_batches, model=broadcast, k=k, exclude_seen=exclude_seen, batch_size=batch_size)
        users = spark.range(0, int(n_users), numPartitions=partitions).withColumnRenamed("id", "user")
        rows = users.mapInPandas(score, LIST_SCHEMA).toPandas()
    finally:
        # The lists are on the driver now: free the model's copies on the executors and the driver.
        broadcast.destroy()
    items = np.full((n_users, k), -1, dtype=np.int64)
    scores = np.full((n_users, k), np.nan, dtype=np.float32)
    slots = (rows["user"].to_numpy(), rows["rank"].to_numpy() - 1)
    items[slots] = rows["item"].to_numpy()
    scores[slots] = rows["score"].to_numpy()
    return items, scores


def _recommend_batches(
    batches: Iterator[pd.DataFrame], *, model, k: int, exclude_seen: bool, batch_size: int
) -> Iterator[pd.DataFrame]:
    """The ``mapInPandas`` function, run by an executor's Python worker: batches of ``user`` indices in,
    ``LIST_SCHEMA`` rows of their lists' filled slots out. ``model`` is the broadcast ``Recommender``, unpickled
    once per Python worker on first use."""
    recommender = model.value
    for batch in batches:
        users = batch["user"].to_numpy()
        items, scores = recommender.recommend(
            users, k, exclude_seen=exclude_seen, batch_size=batch_size, return_scores=True
        )
        filled = items >= 0
        yield pd.DataFrame(
            {
                "user": np.repeat(users, k).reshape(len(users), k)[filled],
                "rank": np.tile(np.arange(1, k + 1, dtype=np.int32), (len(users), 1))[filled],
                "item": items[filled],
                "score": scores[filled],
            }
        )
