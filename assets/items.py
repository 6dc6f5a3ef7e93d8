"""item_text -> item_embeddings -> item_similarity: what each item says, as text, vectors and neighbours.

Every table holds all datasets, one ``dataset`` column apart; each dataset is processed on its own.
"""

import time

import dagster as dg
import numpy as np
import pandas as pd

from assets.metadata import counts_table, engine_metadata, preview
from longtail.data.interactions import interactions_sql, load_interactions
from longtail.data.warehouse import (
    drop_other_datasets,
    fetch_one,
    read_table,
    read_vectors,
    replace_dataset_rows,
    replace_rows,
    table_exists,
)
from longtail.language.review_facts import REVIEW_FACT_COLUMNS
from longtail.recommend.embedding import EXTRA_TEXT_WEIGHT
from longtail.recommend.item_vectors import refresh_catalogue_embeddings
from longtail.recommend.neighbours import item_neighbours
from longtail.recommend.text import REVIEWS_SOURCE, build_catalogue_texts, changed_texts
from longtail.spark.exchange import export_query
from longtail.spark.neighbours import collaborative_neighbours
from resources.engine import EngineResource
from resources.models import EmbeddingModelResource
from resources.warehouse import WAREHOUSE_POOL, WarehouseResource

GROUP = "items"
GENERATED_SOURCE = "generated"


@dg.asset(
    deps=["cleaned_items", "cleaned_reviews", "generated_descriptions"],
    group_name=GROUP,
    kinds={"duckdb"},
    pool=WAREHOUSE_POOL,
)
def item_text(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """One text per item from title, brand, category path and description, and as ``extra_text`` the accepted
    generated description of items whose own text is missing or poor (``text_source`` says "generated"), which
    the embedding blends in at a lower weight; an item that only reviews know (no catalogue row) has what its reviews
    say as its text (``text_source`` "reviews"). ``text_hash`` tells the embedding step which items changed."""
    with warehouse.connect() as connection:
        items = read_table(connection, "cleaned_items")
        generated = accepted_descriptions(connection)
        reviews = read_table(connection, "cleaned_reviews")
        previous = read_table(connection, "item_text")
        texts = build_catalogue_texts(items, generated, reviews[REVIEW_FACT_COLUMNS] if len(reviews) else None)
        replace_rows(connection, "item_text", texts)
    changed = changed_texts(previous, texts)
    context.log.info(f"{len(texts):,} item texts, {changed:,} new or changed since the last run")
    by_dataset = texts.groupby("dataset").agg(
        items=("item_id", "size"),
        with_text=("has_text", "sum"),
        with_description=("has_description", "sum"),
        with_generated=("text_source", lambda sources: int(sources.str.contains(GENERATED_SOURCE).sum())),
        from_reviews=("text_source", lambda sources: int((sources == REVIEWS_SOURCE).sum())),
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(texts),
            "new_or_changed_texts": changed,
            "by_dataset": preview(by_dataset.reset_index(), rows=50),
            "median_text_chars": int(texts["text"].str.len().median()) if len(texts) else 0,
            "preview": preview(texts[["dataset", "item_id", "text", "extra_text", "text_source"]]),
        }
    )


def accepted_descriptions(connection) -> pd.DataFrame:
    """``dataset, item_id, text, source`` of the generated descriptions the guard accepted (none before the first
    ``generated_descriptions`` run)."""
    columns = ["dataset", "item_id", "text", "source"]
    if not table_exists(connection, "generated_descriptions"):
        return pd.DataFrame(columns=columns)
    rows = read_table(connection, "generated_descriptions", "accepted")
    return rows.rename(columns={"description": "text"}).assign(source=GENERATED_SOURCE)[columns]


@dg.asset(deps=[item_text], group_name=GROUP, kinds={"duckdb", "pytorch"}, pool=WAREHOUSE_POOL)
def item_embeddings(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    embedder: EmbeddingModelResource,
    engine: EngineResource,
) -> dg.MaterializeResult:
    """Sentence embeddings of ``item_text`` (unit length, ``FLOAT[dim]``), with an item's extra text blended in at
    ``EXTRA_TEXT_WEIGHT``. Only items that are new, whose text changed or that another model (or weight) embedded
    are encoded, in this process or by the Spark executors; every other vector is reused from the table."""
    started = time.perf_counter()
    with warehouse.connect() as connection:
        texts = read_table(connection, "item_text")
        stored = read_table(connection, "item_embeddings")
    model_name = embedder.model_name()
    on_spark = embedder.spark_encoder(engine.spark()) if engine.is_spark else None
    context.log.info(f"embedding with {model_name} " + ("on Spark" if on_spark else f"on {embedder.device_name()}"))

    def encode(dataset: str, batch: list[str]) -> np.ndarray:
        if on_spark is not None:
            context.log.info(f"{dataset}: embedding {len(batch):,} texts on Spark")
            return on_spark(batch)

        def progress(done: int, total: int) -> None:
            context.log.info(f"{dataset}: embedded {done:,} / {total:,} texts")

        return embedder.encode(batch, progress=progress)

    refreshed = refresh_catalogue_embeddings(texts, stored, encode, model_name, progress=context.log.info)
    frames = list(refreshed.tables.values())
    counts = {dataset: plan.counts() for dataset, plan in refreshed.plans.items()}
    with warehouse.connect() as connection:
        for frame in frames:
            replace_dataset_rows(connection, "item_embeddings", frame, vector_column="embedding")
        drop_other_datasets(connection, "item_embeddings", sorted(counts))
    embedded = sum(c["to_embed"] for c in counts.values())
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": int(sum(len(f) for f in frames)),
            "embedded": embedded,
            "reused": sum(c["reused"] for c in counts.values()),
            "removed": sum(c["removed"] for c in counts.values()),
            "by_dataset": preview(pd.DataFrame(counts).T.reset_index(names="dataset"), rows=50),
            "model": model_name,
            "with_extra_text": int(texts.get("extra_text", pd.Series(dtype=object)).fillna("").ne("").sum()),
            "extra_text_weight": EXTRA_TEXT_WEIGHT,
            "device": "spark executors" if on_spark else embedder.device_name(),
            **engine_metadata(engine),
            "dimensions": int(len(frames[0]["embedding"].iloc[0])) if frames and len(frames[0]) else 0,
            "texts_per_second": round(embedded / refreshed.encode_seconds, 1)
            if embedded and refreshed.encode_seconds
            else None,
            "seconds": round(time.perf_counter() - started, 2),
        }
    )


class ItemSimilarityConfig(dg.Config):
    """``k`` neighbours per item; ``method`` "auto" (exact up to ``exact_max_items``, FAISS beyond), "exact"
    or "faiss"; ``device`` for exact search ("auto", "cpu", "cuda"); ``content_weight`` of the blended source."""

    k: int = 50
    method: str = "auto"
    exact_max_items: int = 200_000
    device: str = "auto"
    content_weight: float = 0.5


@dg.asset(
    deps=[item_embeddings, "cleaned_events", "cleaned_reviews"],
    group_name=GROUP,
    kinds={"duckdb", "pytorch"},
    pool=WAREHOUSE_POOL,
)
def item_similarity(
    context: dg.AssetExecutionContext,
    config: ItemSimilarityConfig,
    warehouse: WarehouseResource,
    engine: EngineResource,
) -> dg.MaterializeResult:
    """The item-item similarity matrix as top-k neighbour rows (item, neighbour, rank, score, source): content
    (cosine of embeddings), collaborative (cosine of co-interactions; a Spark job on the spark engine) and blended.
    Computed in blocks, so memory grows with items x k, never items squared."""
    from longtail.device import pick_device

    started = time.perf_counter()
    device = pick_device(config.device)
    with warehouse.connect() as connection:
        datasets = (
            [row[0] for row in connection.execute("select distinct dataset from item_embeddings").fetchall()]
            if table_exists(connection, "item_embeddings")
            else []
        )
        tables, sizes = [], {}
        for dataset in sorted(datasets):
            item_ids, vectors = read_vectors(connection, "item_embeddings", dataset)
            interactions = load_interactions(connection, dataset)
            collaborative = None
            if engine.is_spark:
                spark = engine.spark()
                path = export_query(
                    connection,
                    interactions_sql(connection),
                    {"d": dataset},
                    engine.exchange(dataset) / "interactions.parquet",
                )
                collaborative = collaborative_neighbours(spark, spark.read.parquet(str(path)), item_ids, config.k)
            neighbours = item_neighbours(
                item_ids,
                vectors,
                interactions,
                collaborative=collaborative,
                k=config.k,
                content_weight=config.content_weight,
                method=config.method,
                exact_max_items=config.exact_max_items,
                device=device,
            )
            table = neighbours.table.assign(dataset=dataset)
            replace_dataset_rows(connection, "item_similarity", table)
            tables.append(table)
            sizes[dataset] = {
                "items": len(item_ids),
                "rows": len(table),
                "content_search_seconds": round(neighbours.content_search_seconds, 2),
            }
            context.log.info(f"{dataset}: {len(item_ids):,} items, {len(table):,} neighbour rows")
        drop_other_datasets(connection, "item_similarity", datasets)
    rows = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(rows),
            "by_dataset": preview(pd.DataFrame(sizes).T.reset_index(names="dataset"), rows=50),
            "rows_by_source": counts_table(rows["source"].value_counts().to_dict(), key="source")
            if len(rows)
            else counts_table({}),
            "device": device,
            **engine_metadata(engine),
            "preview": preview(rows[rows["source"] == "blended"].head(10) if len(rows) else rows),
            "seconds": round(time.perf_counter() - started, 2),
        }
    )


@dg.asset_check(asset=item_embeddings, blocking=True, pool=WAREHOUSE_POOL)
def every_item_embedded(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    """Every item text has one vector, embedded from its current text, finite and of unit length."""
    with warehouse.connect() as connection:
        if not table_exists(connection, "item_embeddings"):  # nothing embedded yet: every text is missing
            missing = fetch_one(connection, "select count(*) from item_text")[0]
            return dg.AssetCheckResult(passed=missing == 0, metadata={"missing_or_stale": int(missing)})
        stale = fetch_one(
            connection,
            """select count(*) from item_text t left join item_embeddings e using (dataset, item_id)
            where e.item_id is null or e.text_hash <> t.text_hash""",
        )[0]
        orphaned = fetch_one(
            connection,
            "select count(*) from item_embeddings e anti join item_text t using (dataset, item_id)",
        )[0]
        not_unit = fetch_one(
            connection,
            """select count(*) from item_embeddings
            where not isfinite(array_inner_product(embedding, embedding))
               or abs(array_inner_product(embedding, embedding) - 1) > 1e-3""",
        )[0]
    return dg.AssetCheckResult(
        passed=stale == orphaned == not_unit == 0,
        metadata={"missing_or_stale": int(stale), "without_text": int(orphaned), "not_unit_length": int(not_unit)},
    )


@dg.asset_check(asset=item_similarity, blocking=True, pool=WAREHOUSE_POOL)
def neighbours_valid(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    """No item is its own neighbour, scores are cosines in [-1, 1], ranks are unique per item and source."""
    with warehouse.connect() as connection:
        if not table_exists(connection, "item_similarity"):
            return dg.AssetCheckResult(passed=True, metadata={"note": "no item has a vector yet: no neighbours"})
        self_rows, out_of_range, repeated_ranks = fetch_one(
            connection,
            """select count(*) filter (where item_id = neighbour_id),
                      count(*) filter (where not (score between -1.001 and 1.001)),
                      count(*) - count(distinct (dataset, source, item_id, rank))
               from item_similarity""",
        )
    return dg.AssetCheckResult(
        passed=self_rows == out_of_range == repeated_ranks == 0,
        metadata={
            "self_neighbours": int(self_rows),
            "scores_out_of_range": int(out_of_range),
            "repeated_ranks": int(repeated_ranks),
        },
    )


ITEM_CHECKS = [every_item_embedded, neighbours_valid]
