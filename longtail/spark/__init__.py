"""The Spark engine: the heavy steps of the asset graph as Spark jobs, for shops that outgrow one machine.

Every function here takes a ``SparkSession`` and computes what its local counterpart in ``longtail.data`` or
``longtail.recommend`` computes, with the same rules and the same results (see ``docs/scaling.md``): cleaning with
the named rules and the quarantine contract, the collaborative neighbours, ALS (Spark MLlib), the served lists and
the item embeddings. Data crosses between DuckDB and Spark as Parquet (``longtail.spark.exchange``), so the
warehouse, its checks and the UI previews are the same on either engine. pyspark is imported inside functions.
"""
