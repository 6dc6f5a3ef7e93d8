"""The collaborative neighbours as a Spark job: the rows ``longtail.recommend.neighbours.item_neighbours`` stores as
"collaborative", computed from a Spark DataFrame of interactions without gathering the users x items matrix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from longtail.recommend.neighbours.similarity import neighbour_table
from longtail.validation import check_positive_int


def collaborative_neighbours(
    spark, interactions, item_ids: np.ndarray, k: int = 50, shrink: float = 0.0
) -> pd.DataFrame:
    """Each catalogue item's ``k`` most similar other items by cosine over their users, as ``neighbour_table`` rows
    of source "collaborative": the same rows, dtypes and order as the local path (``interaction_matrix``, then
    ``collaborative_top_k`` and ``neighbours_to_csr``), bit for bit.

    Args:
        spark: the SparkSession that runs the job.
        interactions: a Spark DataFrame with string columns ``user_id`` and ``item_id`` (others are ignored); a
            user counts once per item however often they interacted with it, interactions with items outside
            ``item_ids`` are left out, and rows with a null id name nobody and are left out too.
        item_ids: ``(n_items,)`` the catalogue, unique ids; an item's position is its index, which breaks ties.
        k: neighbours per item (an item has at most ``n_items - 1``).
        shrink: ``>= 0``; ``sim(i, j) = |U_i & U_j| / (sqrt(|U_i|) * sqrt(|U_j|) + shrink)`` with ``U_i`` the users
            of item ``i``.

    Returns:
        ``item_id, neighbour_id, rank, score, source`` (see ``neighbour_table``): each item's positive similarities,
        the best ``k`` by score and then by the lower item index, sorted by item index then rank.

    The job: the distinct (user, item index) pairs, joined with themselves on the user to count each pair of items'
    common users, joined with each item's user count, then ranked per item by a window. The self-join emits each
    user's pairs of items, ``n * (n - 1) / 2`` for a user of ``n`` items: the cost grows with the square of a
    user's items, so the heaviest users (wholesalers, bots) dominate the shuffle. Only the kept rows, at most
    ``n_items * k``, reach the driver.

    The score is computed as numpy computes it in ``float32`` (``sqrt`` of the count, the product of the two roots,
    plus ``shrink``, the division): each step in double and rounded to float. That is the correctly rounded
    ``float32`` result, as numpy's, because a double carries more than twice a float's 24 bits plus two (53 >= 50),
    which makes the double rounding innocuous for each of ``+ * / sqrt`` (Figueroa, "When is double rounding
    innocuous?", 1995).
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    item_ids = np.asarray(item_ids)
    if item_ids.ndim != 1 or len(item_ids) == 0:
        raise ValueError(f"item_ids must be a non-empty 1-D array of ids, got shape {item_ids.shape}")
    if pd.api.types.infer_dtype(item_ids, skipna=False) != "string":
        raise ValueError("item_ids must be strings, as the interactions' item_id column is")
    if not pd.Index(item_ids).is_unique:
        raise ValueError("item_ids must be unique: an id names one item index")
    k = check_positive_int(k, "k")
    if not np.isfinite(shrink) or shrink < 0:
        raise ValueError(f"shrink must be a finite number >= 0, got {shrink!r}")
    missing = {"user_id", "item_id"} - set(interactions.columns)
    if missing:
        raise ValueError(f"interactions lack the columns {sorted(missing)}")
    n_items = len(item_ids)

    catalogue = spark.createDataFrame(pd.DataFrame({"item_id": item_ids, "item": np.arange(n_items, dtype=np.int64)}))
    pairs = (
        interactions.select("user_id", "item_id")
        .where(F.col("user_id").isNotNull())
        .join(F.broadcast(catalogue), "item_id")
        .select("user_id", "item")
        .distinct()
    )
    # numpy's float32 steps, each in double and rounded to float (see the docstring): the roots of the user counts,
    # their product, plus shrink, the division.
    roots = pairs.groupBy("item").agg(F.sqrt(F.count("*").cast("double")).cast("float").alias("root"))
    product = (F.col("item_root").cast("double") * F.col("neighbour_root").cast("double")).cast("float")
    denominator = (product.cast("double") + F.lit(float(np.float32(shrink)))).cast("float")
    score = (F.col("together").cast("double") / denominator.cast("double")).cast("float")
    # Each unordered pair once (the score is symmetric), mirrored after scoring: half the co-occurrence shuffle.
    together = (
        pairs.alias("a")
        .join(pairs.alias("b"), (F.col("a.user_id") == F.col("b.user_id")) & (F.col("a.item") < F.col("b.item")))
        .groupBy(F.col("a.item").alias("item"), F.col("b.item").alias("neighbour"))
        .agg(F.count("*").alias("together"))
    )
    scored = (
        together.join(roots.select("item", F.col("root").alias("item_root")), "item")
        .join(roots.select(F.col("item").alias("neighbour"), F.col("root").alias("neighbour_root")), "neighbour")
        .select("item", "neighbour", score.alias("score"))
    )
    both_ways = scored.unionByName(
        scored.select(F.col("neighbour").alias("item"), F.col("item").alias("neighbour"), "score")
    )
    ranking = Window.partitionBy("item").orderBy(F.col("score").desc(), F.col("neighbour").asc())
    kept = (
        both_ways.where(F.col("score") > 0)
        .withColumn("place", F.row_number().over(ranking))
        .where(F.col("place") <= k)
        .select("item", "neighbour", "score")
        .toPandas()
    )
    similarity = sp.csr_matrix(
        (
            kept["score"].to_numpy(dtype=np.float32),
            (kept["item"].to_numpy(dtype=np.int64), kept["neighbour"].to_numpy(dtype=np.int64)),
        ),
        shape=(n_items, n_items),
        dtype=np.float32,
    )
    return neighbour_table(item_ids, similarity, "collaborative")
