"""What must hold after any crash and automatic recovery: nothing lost, nothing duplicated, a warehouse that opens."""

from __future__ import annotations

from pathlib import Path

from longtail.data.reconcile import reconcile
from longtail.data.schema import TABLES
from longtail.data.warehouse import connect, fetch_one


def assert_recovered(warehouse: Path, landed_names: set[tuple[str, str]]) -> None:
    """The warehouse at ``warehouse`` opens; every ``(dataset, name)`` of ``landed_names`` is loaded; for every file
    raw = cleaned + quarantined; no ``(dataset, file_id, source_row)`` appears twice in a raw table, nor in its
    cleaned table and the quarantine together."""
    with connect(warehouse, read_only=True, lock_timeout_s=60) as connection:
        loaded = set(connection.execute("select dataset, name from landing_files where status = 'loaded'").fetchall())
        assert landed_names <= loaded, f"not loaded: {sorted(landed_names - loaded)}"
        for table in TABLES:
            counts = reconcile(connection, table)
            broken = counts[counts["missing"] != 0]
            assert broken.empty, f"{table}: raw != cleaned + quarantined for\n{broken.to_string()}"
            duplicated = fetch_one(
                connection,
                f"select count(*) - count(distinct (dataset, file_id, source_row)) from raw_{table}",
            )[0]
            assert duplicated == 0, f"raw_{table}: {duplicated} duplicate source rows"
            twice = fetch_one(
                connection,
                f"""select count(*) - count(distinct (dataset, file_id, source_row)) from (
                        select dataset, file_id, source_row from cleaned_{table}
                        union all
                        select dataset, file_id, source_row from quarantine where table_name = '{table}'
                    )""",
            )[0]
            assert twice == 0, f"{table}: {twice} source rows both cleaned and quarantined, or twice in one"
