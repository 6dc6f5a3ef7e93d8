import numpy as np
import pytest

from longtail.recommend.embedding import DEFAULT_MODEL, encode_texts, load_encoder
from longtail.spark.embedding import SparkEncoder
from longtail.spark.session import tasks_by_executor
from tests.fixtures import assert_ran_on_every_executor

pytestmark = pytest.mark.spark

PRODUCTS = ["tea", "cookies", "wine glass", "bike tyre", "whole milk", "garden hose", "frying pan", "notebook"]
QUALITIES = ["organic", "red", "set of four", "29 inch", "hand-blown", "sturdy", "non-stick"]
# 50 short texts of different lengths, a few repeated (the encoder encodes each distinct text once).
TEXTS = [f"{product.title()}." for product in PRODUCTS] + [
    f"{quality.capitalize()} {product}. Category: home > {product.split()[-1]}s." * (1 + i % 3)
    for i, (quality, product) in enumerate((q, p) for q in QUALITIES for p in PRODUCTS[:6])
]


def executor_torch_threads(spark) -> int:
    """How many threads torch uses in an executor's Python worker (Spark sets their ``OMP_NUM_THREADS``)."""
    return spark.sparkContext.parallelize([0], 1).map(lambda _: __import__("torch").get_num_threads()).first()


def test_the_executors_give_the_local_vectors_loading_the_model_once_per_python_worker(spark):
    assert len(TEXTS) == 50
    before = tasks_by_executor(spark)
    # Batches of 8: seven of them, spread over the four tasks.
    encoder = SparkEncoder(spark, "default", device="cpu", batch_size=8, partitions=4)
    vectors = encoder.encode(TEXTS)
    first_loads = encoder.worker_loads
    # Reversed, so that the texts are in other partitions than before.
    again = encoder.encode(TEXTS[::-1])

    import torch

    # On a CPU with native bfloat16 (AMX) the products round differently with another number of threads: the local
    # encoding runs with the executors' Python workers' threads (max difference 6e-4 with 2 threads against 1).
    threads = torch.get_num_threads()
    torch.set_num_threads(executor_torch_threads(spark))
    try:
        local = encode_texts(load_encoder("default", "cpu"), TEXTS, batch_size=8)
    finally:
        torch.set_num_threads(threads)
    assert vectors.shape == (50, 384) and vectors.dtype == np.float32
    # The same batches as locally, on as many threads: the same vectors, bit for bit.
    np.testing.assert_array_equal(vectors, local)
    np.testing.assert_allclose(again, local[::-1], atol=1e-3)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    assert encoder.model_name() == DEFAULT_MODEL

    # One load per Python worker, and fewer workers than the 4 tasks: reused workers kept their model, and kept it
    # for the second job too.
    assert set(first_loads.values()) == {1} and len(first_loads) < 4
    kept = {worker: loads for worker, loads in encoder.worker_loads.items() if worker in first_loads}
    assert kept and set(kept.values()) == {0}
    assert_ran_on_every_executor(spark, before)


def test_bad_arguments_are_refused_before_any_job(spark):
    with pytest.raises(ValueError, match="batch_size"):
        SparkEncoder(spark, batch_size=0)
    with pytest.raises(ValueError, match="model"):
        SparkEncoder(spark, "")
    with pytest.raises(TypeError, match="one string"):
        SparkEncoder(spark).encode("one text")
    with pytest.raises(ValueError, match="empty"):
        SparkEncoder(spark).encode([])
