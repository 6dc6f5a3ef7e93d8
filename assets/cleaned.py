"""cleaned_events (four-month periods), cleaned_items, cleaned_reviews: raw rows through the named cleaning rules;
guest_sales: the sale lines cleaned_events quarantines for want of a customer.

On the engine of the ``engine`` resource: in this process, or as a Spark job (``longtail.spark.cleaning``) with
exactly the same rows. Rejected rows go to the ``quarantine`` table with their rule, a message naming file, row and
column, and the whole raw record. Each asset has a blocking check that raw = cleaned + quarantined for every file.
"""

import time

import dagster as dg
import pandas as pd

from assets.metadata import counts_table, engine_metadata, preview
from assets.partitions import event_periods
from assets.raw import RAW_ASSETS
from longtail.data.cleaning import CLEANERS
from longtail.data.guest_sales import WITHOUT_CUSTOMER_SQL, clean_guest_sales, guest_sales_table
from longtail.data.reconcile import reconcile
from longtail.data.schema import QUARANTINE_DDL
from longtail.data.warehouse import Window, fetch_one, read_table, replace_rows, replace_windows, table_exists
from longtail.spark.cleaning import clean_on_spark
from longtail.spark.exchange import export_query
from resources.engine import EngineResource
from resources.warehouse import WAREHOUSE_POOL, WarehouseResource


def _clean_into_warehouse(
    warehouse: WarehouseResource,
    engine: EngineResource,
    table: str,
    window: tuple[pd.Timestamp, pd.Timestamp] | None = None,
) -> dg.MaterializeResult:
    """Clean ``raw_<table>`` (the rows whose partition day is in ``window``, or all) on the ``engine`` and rewrite
    that window of ``cleaned_<table>`` and of the quarantine in one transaction, so reruns and overlapping
    backfills leave no duplicates and a failure leaves the previous state whole.
    """
    started = time.perf_counter()
    params = list(window) if window else []
    raw_window = "partition_day >= ? and partition_day < ?" if window else ""
    on_spark = {}
    with warehouse.connect() as connection:
        connection.execute(QUARANTINE_DDL)
        raw_rows = f"from raw_{table}" + (f" where {raw_window}" if window else "")
        raw_count = fetch_one(connection, f"select count(*) {raw_rows}", params)[0]
        if engine.is_spark:
            result, on_spark = _clean_on_spark(connection, engine, table, f"select * {raw_rows}", params)
        else:
            result = CLEANERS[table](read_table(connection, f"raw_{table}", raw_window, params))
        replace_windows(
            connection,
            [
                Window(
                    f"cleaned_{table}", result.cleaned, "event_day >= ? and event_day < ?" if window else "", params
                ),
                Window(
                    "quarantine",
                    result.quarantined,
                    f"table_name = '{table}'" + (f" and {raw_window}" if window else ""),
                    params,
                ),
            ],
        )
        total = fetch_one(connection, f"select count(*) from cleaned_{table}")[0]
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": int(total),
            "raw_rows": int(raw_count),
            "cleaned_rows": len(result.cleaned),
            "quarantined_rows": len(result.quarantined),
            "quarantined_by_rule": counts_table(result.quarantine_counts()),
            "repaired_by_rule": counts_table({k: v for k, v in result.repairs.items() if v}),
            "preview": preview(result.cleaned),
            "quarantine_sample": preview(
                result.quarantined.groupby("rule").head(2)[["rule", "detail"]], rows=2 * len(result.quarantine_counts())
            ),
            **engine_metadata(engine),
            **on_spark,
            "seconds": round(time.perf_counter() - started, 2),
        }
    )


def _clean_on_spark(connection, engine: EngineResource, table: str, raw_sql: str, params: list):
    """The cleaning of the ``raw_sql`` rows of ``table`` as a Spark job, and its metadata: the shards."""
    spark = engine.spark()
    folder = engine.exchange(f"cleaned_{table}")
    raw_path = export_query(connection, raw_sql, params, folder / "raw.parquet")
    job = clean_on_spark(spark, table, raw_path, folder / "output")
    return job.result(connection), {"spark_shards": job.shards}


@dg.asset(
    deps=[RAW_ASSETS["events"]],
    partitions_def=event_periods,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="cleaning",
    kinds={"duckdb"},
    pool=WAREHOUSE_POOL,
)
def cleaned_events(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, engine: EngineResource
) -> dg.MaterializeResult:
    """Events by four-month period (UTC): cancellations, returns, non-positive quantities, missing users,
    non-product codes, duplicates and implausible timestamps removed. A backfill over a range of periods runs as one
    run over one window."""
    start, end = context.partition_time_window
    context.log.info(f"cleaning events of the days {start:%Y-%m-%d} .. {end:%Y-%m-%d} (exclusive)")
    return _clean_into_warehouse(warehouse, engine, "events", (pd.Timestamp(start), pd.Timestamp(end)))


def _materialized_periods(
    instance: dg.DagsterInstance, asset: dg.AssetsDefinition
) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """The (start, end) of each partition of the time-partitioned ``asset`` materialized so far."""
    windows = [
        asset.partitions_def.time_window_for_partition_key(key)
        for key in instance.get_materialized_partitions(asset.key)
    ]
    return [(pd.Timestamp(window.start), pd.Timestamp(window.end)) for window in windows]


@dg.asset(deps=["cleaned_events"], group_name="cleaning", kinds={"duckdb"}, pool=WAREHOUSE_POOL)
def guest_sales(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Purchase lines without a customer (guest checkouts, counter sales) that pass every other event rule, for
    demand: cleaned_events quarantines them as ``missing_user`` (``longtail.data.guest_sales``).

    Read from the raw events of the cleaned_events partitions materialized so far, so that demand holds the guests'
    sales of the periods whose customers' sales it holds; cleaned in this process on either engine (a share of the
    lines, and the duplicate rule compares each with all the others).
    """
    started = time.perf_counter()
    periods = _materialized_periods(context.instance, cleaned_events)
    cleaned_days = " or ".join(["partition_day >= ? and partition_day < ?"] * len(periods)) or "false"
    with warehouse.connect() as connection:
        bounds = [bound for period in periods for bound in period]
        raw = read_table(connection, "raw_events", f"{WITHOUT_CUSTOMER_SQL} and ({cleaned_days})", bounds)
        result = clean_guest_sales(raw)
        replace_rows(connection, "guest_sales", result.cleaned)
        # A shop of reviews alone has no cleaned events, and so no customers' sales to set the guests' beside.
        customer_units = (
            connection.execute(
                "select dataset, sum(coalesce(quantity, 1)) from cleaned_events where event_type = 'purchase' "
                "group by all"
            ).fetchall()
            if table_exists(connection, "cleaned_events")
            else []
        )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(result.cleaned),
            "guest_share_by_dataset": preview(guest_sales_table(dict(customer_units), result), rows=20),
            "left_out_by_rule": counts_table(result.quarantine_counts()),
            "preview": preview(result.cleaned),
            "seconds": round(time.perf_counter() - started, 2),
        }
    )


@dg.asset(deps=[RAW_ASSETS["items"]], group_name="cleaning", kinds={"duckdb"}, pool=WAREHOUSE_POOL)
def cleaned_items(warehouse: WarehouseResource, engine: EngineResource) -> dg.MaterializeResult:
    """One canonical row per item: HTML and entities stripped, list descriptions joined, prices parsed."""
    return _clean_into_warehouse(warehouse, engine, "items")


@dg.asset(deps=[RAW_ASSETS["reviews"]], group_name="cleaning", kinds={"duckdb"}, pool=WAREHOUSE_POOL)
def cleaned_reviews(warehouse: WarehouseResource, engine: EngineResource) -> dg.MaterializeResult:
    """Reviews with a user, an item, a 1-5 rating and some text; HTML stripped; duplicates removed."""
    return _clean_into_warehouse(warehouse, engine, "reviews")


def _reconciliation_check(asset: dg.AssetsDefinition, table: str) -> dg.AssetChecksDefinition:
    partitioned = asset.partitions_def is not None

    @dg.asset_check(
        asset=asset,
        name="raw_rows_reconciled",
        blocking=True,
        pool=WAREHOUSE_POOL,
        description="For every file: raw rows = cleaned rows + quarantined rows"
        + (" (over the partitions cleaned so far)." if partitioned else "."),
    )
    def check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        days = None
        if partitioned:
            days = [
                day.date()
                for start, end in _materialized_periods(context.instance, asset)
                for day in pd.date_range(start, end, inclusive="left")
            ]
        with warehouse.connect() as connection:
            counts = reconcile(connection, table, days)
        broken = counts[counts["missing"] != 0]
        return dg.AssetCheckResult(
            passed=broken.empty,
            metadata={
                "files": len(counts),
                "raw": int(counts["raw"].sum()),
                "cleaned": int(counts["cleaned"].sum()),
                "quarantined": int(counts["quarantined"].sum()),
                "files_not_reconciled": preview(broken, rows=50),
                "per_file": preview(counts, rows=50),
            },
        )

    return check


RECONCILIATION_CHECKS = [
    _reconciliation_check(cleaned_events, "events"),
    _reconciliation_check(cleaned_items, "items"),
    _reconciliation_check(cleaned_reviews, "reviews"),
]
