"""user_profiles: who each user is, from behaviour: activity, recency, categories, price band, taste and tail
appetite."""

import time

import dagster as dg
import pandas as pd

from assets.metadata import counts_table, preview
from longtail.data.interactions import datasets_with_interactions, load_interactions
from longtail.data.warehouse import drop_other_datasets, read_table, read_vectors, replace_dataset_rows
from longtail.recommend.profiles import profile_users
from resources.warehouse import WAREHOUSE_POOL, WarehouseResource

APPETITE_BUCKETS = [0.0, 0.1, 0.25, 0.5, 1.0]


@dg.asset(
    deps=["cleaned_events", "cleaned_reviews", "cleaned_items", "item_embeddings"],
    group_name="users",
    kinds={"duckdb"},
    pool=WAREHOUSE_POOL,
)
def user_profiles(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """One row per user and dataset. ``tail_share`` is the user's appetite for tail items (the share of tail
    items among their own), which the recommendation re-ranker follows; ``taste_vector`` is the mean embedding
    of their items."""
    started = time.perf_counter()
    frames = []
    with warehouse.connect() as connection:
        datasets = datasets_with_interactions(connection)
        for dataset in datasets:
            profiles = profile_users(
                load_interactions(connection, dataset),
                read_table(connection, "cleaned_items", "dataset = ?", [dataset]),
                read_vectors(connection, "item_embeddings", dataset),
            ).assign(dataset=dataset)
            frames.append(profiles)
            context.log.info(f"{dataset}: {len(profiles):,} user profiles")
            replace_dataset_rows(connection, "user_profiles", profiles, vector_column="taste_vector", fixed_size=False)
        drop_other_datasets(connection, "user_profiles", datasets)
    profiles = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["dataset", "tail_share"])
    appetite = pd.cut(profiles["tail_share"], APPETITE_BUCKETS, include_lowest=True).astype(str)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(profiles),
            "users_by_dataset": counts_table(
                profiles["dataset"].value_counts().to_dict(), key="dataset", value="users"
            ),
            "users_by_tail_appetite": counts_table(appetite.value_counts().to_dict(), key="tail_share", value="users"),
            "users_by_price_band": counts_table(
                profiles["price_band"].fillna("unknown").value_counts().to_dict(), key="price_band", value="users"
            )
            if len(profiles)
            else counts_table({}),
            "preview": preview(profiles.drop(columns=["taste_vector"], errors="ignore")),
            "seconds": round(time.perf_counter() - started, 2),
        }
    )
