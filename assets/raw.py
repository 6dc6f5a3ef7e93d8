"""raw_events, raw_items, raw_reviews: every row of every landed file, as found, with its provenance."""

import dagster as dg
import pandas as pd

from assets.metadata import counts_table, preview
from longtail.data.ingest import (
    Announcement,
    FileLoad,
    LoadPrivacy,
    describe,
    load_landed_files,
    mark_announced,
    unannounced_changes,
    unannounced_tables,
    vanished_files,
)
from longtail.data.reconcile import cleaned_behind
from longtail.data.schema import TABLES
from resources.landing import LandingResource
from resources.privacy import PrivacyResource
from resources.warehouse import WAREHOUSE_POOL, WarehouseResource

RAW_ASSETS = {table: f"raw_{table}" for table in TABLES}
# The raw tables cleaned by unpartitioned assets in the ingest run (events are cleaned per partition by a sensor).
UNPARTITIONED_TABLES = ("items", "reviews")
# raw_events metadata keys that tell the cleaned_events refresh sensor which days' partitions changed.
FIRST_DAY_KEY = "changed_days_first"
LAST_DAY_KEY = "changed_days_last"


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            asset,
            group_name="ingestion",
            kinds={"duckdb"},
            description=f"Every {table} row of every landed file, as found, with file, row and load time.",
            skippable=True,
        )
        for table, asset in RAW_ASSETS.items()
    ],
    pool=WAREHOUSE_POOL,
)
def raw_tables(
    context: dg.AssetExecutionContext, landing: LandingResource, warehouse: WarehouseResource, privacy: PrivacyResource
):
    """Load each landed file whose content is new (once per content); a changed file replaces its old rows; a
    retracted file's rows leave (``longtail retract``). A file that cannot be read is rejected alone. Customer ids
    are stored as pseudonyms; erased customers' rows and rows past retention are withheld (docs/privacy.md).

    Only the tables whose rows changed are materialized, so a load that finds nothing new leaves everything
    downstream up to date and starts no refresh. Also materialized: raw_events whenever a file was recorded, even
    a rejected or duplicate one, because it reports the landing log and carries the rejected-files check; and a
    table never materialized before, even empty, so that what is built on it (on no reviews, say) can be built.
    """
    files = landing.scan()
    context.log.info(f"{len(files)} file(s) in the landing folder {landing.path}")
    with warehouse.connect() as connection:
        loads = load_landed_files(
            connection,
            files,
            LoadPrivacy(privacy.pseudonyms(), privacy.retain_since()),
            retractions=landing.retractions(),
            progress=context.log.info,
        )
        # Announced from the warehouse's record, not from this run's loads alone: a run cut off after recording a
        # load but before materializing it left changes that its retry, finding nothing new, must still announce.
        changes = unannounced_changes(connection)
        changed = set(changes.tables) | ({"events"} if changes.files else set())
        # Also those a run cut off after Dagster stored their first materialization never announced to the end:
        # what is built on them (cleaned_items, say) may never have been built.
        never = {table for table, asset in RAW_ASSETS.items() if not _ever_materialized(context, asset)}
        never |= unannounced_tables(connection)
        # And those whose cleaned table does not account for them, whatever window of a cut-off run left it so.
        never |= {table for table in UNPARTITIONED_TABLES if cleaned_behind(connection, table)}
        context.log.info(
            f"tables changed: {', '.join(sorted(changed)) or 'none'}; never materialized before: "
            f"{', '.join(sorted(never)) or 'none'}"
        )
        for table in sorted(changed | never):
            yield dg.MaterializeResult(
                asset_key=RAW_ASSETS[table], metadata=_metadata(connection, table, loads, changes)
            )
        # Only now: Dagster has stored every materialization above before resuming this generator.
        mark_announced(connection, changed | never)


def _ever_materialized(context: dg.AssetExecutionContext, asset: str) -> bool:
    return context.instance.get_latest_materialization_event(dg.AssetKey(asset)) is not None


def _metadata(connection, table: str, loads: list[FileLoad], changes: Announcement) -> dict:
    asset = RAW_ASSETS[table]
    totals = connection.execute(
        f"select source_file, dataset, count(*) as rows from {asset} group by all order by all"
    ).df()
    metadata = {
        "dagster/row_count": int(totals["rows"].sum()),
        "rows_loaded_this_run": sum(load.rows.get(table, 0) for load in loads),
        "files_loaded_this_run": dg.MetadataValue.md(
            "\n".join(f"- {load.file.key}: {describe(load)}" for load in loads) or "_none_"
        ),
        "rows_by_file": preview(totals, rows=100),
        "preview": preview(connection.execute(f"select * from {asset} limit 10").df()),
    }
    if table == "events":
        files_table = connection.execute(
            "select dataset, name, format, status, error, rows_events, rows_items, rows_reviews, seconds "
            "from landing_files order by loaded_at desc limit 50"
        ).df()
        metadata.update(_changed_days(changes))
        metadata["landing_files"] = preview(files_table, rows=50)
        metadata["statuses_this_run"] = counts_table(
            pd.Series([load.status for load in loads]).value_counts().to_dict(), key="status", value="files"
        )
    return metadata


def _changed_days(changes: Announcement) -> dict[str, str]:
    if changes.first_day is None:
        return {}
    return {FIRST_DAY_KEY: f"{changes.first_day:%Y-%m-%d}", LAST_DAY_KEY: f"{changes.last_day:%Y-%m-%d}"}


@dg.asset_check(asset=RAW_ASSETS["events"], pool=WAREHOUSE_POOL)
def no_rejected_files(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    """Warns when a landed file could not be read; the error names its file, row and column. Good files still load."""
    rejected = warehouse.read_table("landing_files", "status = 'rejected'")
    return dg.AssetCheckResult(
        passed=rejected.empty,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "rejected_files": len(rejected),
            "errors": preview(rejected[["dataset", "name", "error"]] if not rejected.empty else rejected, rows=50),
        },
    )


@dg.asset_check(asset=RAW_ASSETS["events"], pool=WAREHOUSE_POOL)
def loaded_files_still_landed(landing: LandingResource, warehouse: WarehouseResource) -> dg.AssetCheckResult:
    """Warns when a loaded file has left the landing folder without ``longtail retract``: its rows stay loaded (a
    file deleted by mistake loses nothing) until it is put back or retracted."""
    with warehouse.connect() as connection:
        gone = vanished_files(connection, landing.scan())
    return dg.AssetCheckResult(
        passed=gone.empty,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "files_gone": len(gone),
            "rows_still_loaded": int(gone["rows"].sum()),
            "files": preview(gone, rows=50),
            "to_remove_their_rows": "longtail retract --file-id FILE_ID",
        },
    )
