"""``longtail demo``'s parts besides ingesting and materializing: the data it runs on (a data folder, else UCI
Online Retail II downloaded) and what it tells a newcomer at the end: what was built, how the recommender compares
with the baselines, one user's list with its reasons, and where to look next.
"""

from __future__ import annotations

import json
import textwrap
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from longtail.files import write_text_whole
from longtail.recommend.evaluation.targets import target_comparison

UCI_ONLINE_RETAIL_II_URL = "https://archive.ics.uci.edu/static/public/502/online+retail+ii.zip"
NOT_DATA = {".md", ".txt", ".zip", ".pdf", ".html"}
EVALUATION_REPORT = "recommendation_evaluation.json"
# The headline columns of the evaluation table: (report key, heading).
HEADLINE_METRICS = (
    ("ndcg@10", "NDCG@10"),
    ("recall@20", "Recall@20"),
    ("tail_recall@20", "tail recall@20"),
    ("aplt@10", "APLT@10"),
    ("coverage@10", "coverage@10"),
)
EXAMPLE_LIST_LENGTH = 10
# The example list is a user's who bought at least this many items, where any did (see example_user_of).
EXAMPLE_MIN_ITEMS = 3
UI_URL = "http://127.0.0.1:3000"
SERVE_URL = "http://127.0.0.1:8000"
NEW_USER = "<new user>"  # the cold-start list of recommendation_lists, not a person


def dataset_files(data_dir: Path) -> dict[str, list[Path]]:
    """``{dataset: data files}`` of ``data_dir`` and each of its sub-folders (named after the folder), leaving out
    hidden files and documentation; folders without data files are left out."""
    found = {}
    for folder in sorted([data_dir, *(p for p in data_dir.iterdir() if p.is_dir())]):
        files = sorted(
            p
            for p in folder.iterdir()
            if p.is_file() and p.suffix.lower() not in NOT_DATA and not p.name.startswith(".")
        )
        if files:
            found[folder.name] = files
    return found


def download_online_retail_ii(target: Path) -> Path:
    """Download and unpack UCI Online Retail II into ``target``; exit with advice when offline."""
    folder = target / "online_retail_ii"
    if any(folder.glob("*.xlsx")):
        return target
    folder.mkdir(parents=True, exist_ok=True)
    archive = target / "online_retail_ii.zip"
    print(f"no data folder given: downloading UCI Online Retail II from {UCI_ONLINE_RETAIL_II_URL}")
    try:
        urllib.request.urlretrieve(UCI_ONLINE_RETAIL_II_URL, archive)
    except OSError as error:
        raise SystemExit(
            f"could not download {UCI_ONLINE_RETAIL_II_URL} ({error}).\n"
            "Offline? Point longtail at a local copy of the data instead:\n"
            "  longtail demo --data-dir PATH   (or: LONGTAIL_DATA_DIR=PATH make demo)\n"
            "where PATH holds one folder per dataset, e.g. PATH/uci_online_retail_ii/online_retail_II.xlsx "
            "(xlsx, csv or parquet)."
        ) from error
    with zipfile.ZipFile(archive) as unpacked:
        unpacked.extractall(folder)
    return target


def write_data_layer_report(warehouse_path: Path, reports_dir: Path) -> dict:
    """Rows raw / cleaned / quarantined by rule for each dataset and table, written to
    ``reports_dir/data_layer.json`` (which other tools read) and returned."""
    from longtail.data.warehouse import connect, table_exists

    summary: dict = {}
    with connect(warehouse_path) as connection:
        for table in ("events", "items", "reviews"):
            # A table the data never fed (no events in a shop of reviews alone) is not there to count.
            parts = [
                f"select dataset, '{kind}' as kind, count(*) as n from {name} group by all"
                for kind, name in (("raw", f"raw_{table}"), ("cleaned", f"cleaned_{table}"))
                if table_exists(connection, name)
            ]
            if table_exists(connection, "quarantine"):
                parts.append(
                    "select dataset, 'quarantined:' || rule, count(*) from quarantine "
                    f"where table_name = '{table}' group by all"
                )
            counts = connection.execute(" union all ".join(parts) + " order by all").fetchall() if parts else []
            for dataset, kind, n in counts:
                summary.setdefault(dataset, {}).setdefault(table, {})[kind] = n
    write_text_whole(reports_dir / "data_layer.json", json.dumps(summary, indent=2))
    return summary


@dataclass(frozen=True)
class DemoSummary:
    """What the demo left behind, as ``format_demo_summary`` shows it.

    ``built``: ``(asset, rows)`` of the materialized assets in the asset graph's order, rows of the warehouse
    table of that name (None: it has none, e.g. a model or a report); ``not_built``: the other assets.
    ``evaluation``: the content of ``reports/recommendation_evaluation.json`` (see
    ``longtail.recommend.evaluation.offline.evaluate_offline``), None before it was written.
    ``example_dataset``/``example_user``/``example_list``: one user's list, columns ``rank, item_id, title,
    score, is_tail, reason`` (a tail item's reason says so).
    ``reports``: the report files, relative to ``reports_dir``; ``plots``: how many PNGs lie under it.
    """

    built: list[tuple[str, int | None]]
    not_built: list[str]
    evaluation: dict | None
    example_dataset: str | None
    example_user: str | None
    example_list: pd.DataFrame
    reports_dir: Path
    reports: list[str] = field(default_factory=list)
    plots: int = 0


def materialized(assets: list[str]) -> set[str]:
    """Those of ``assets`` that the Dagster instance at ``DAGSTER_HOME`` holds a materialization of."""
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        return {asset for asset in assets if instance.get_latest_materialization_event(dg.AssetKey(asset))}


def read_demo_summary(
    assets: list[str], materialized: set[str], warehouse_path: Path, reports_dir: Path
) -> DemoSummary:
    """Gather the ``DemoSummary`` of ``assets`` (those ``materialized`` were built) from the warehouse and the
    reports folder (read only)."""
    from longtail.data.warehouse import connect, fetch_one, table_exists

    report_path = reports_dir / EVALUATION_REPORT
    evaluation = json.loads(report_path.read_text()) if report_path.exists() else None
    example_dataset = example_user = None
    example_list = pd.DataFrame()
    built_assets = [asset for asset in assets if asset in materialized]
    built: list[tuple[str, int | None]] = [(asset, None) for asset in built_assets]
    if warehouse_path.exists():
        with connect(warehouse_path, read_only=True) as connection:
            built = [
                (asset, fetch_one(connection, f'select count(*) from "{asset}"')[0])
                if table_exists(connection, asset)
                else (asset, None)
                for asset in built_assets
            ]
            if table_exists(connection, "recommendation_lists"):
                example_dataset = evaluation["dataset"] if evaluation else None
                example_dataset, example_user = example_user_of(connection, example_dataset)
                if example_user is not None:
                    example_list = user_list(connection, example_dataset, example_user)
    return DemoSummary(
        built=built,
        not_built=[asset for asset in assets if asset not in materialized],
        evaluation=evaluation,
        example_dataset=example_dataset,
        example_user=example_user,
        example_list=example_list,
        reports_dir=reports_dir,
        reports=sorted(str(p.relative_to(reports_dir)) for p in reports_dir.glob("*.json")),
        plots=len(list(reports_dir.rglob("*.png"))),
    )


def example_user_of(connection, dataset: str | None) -> tuple[str | None, str | None]:
    """``(dataset, user)`` of a list that shows the long tail: the user of ``dataset`` (any dataset when None)
    whose list holds the most tail items, then the most kinds of reason; ties go to the smallest id. Where
    ``user_profiles`` is built, users who bought at least ``EXAMPLE_MIN_ITEMS`` items come first: a one-purchase
    user's list explains every item by that one purchase."""
    from longtail.data.warehouse import fetch_one, table_exists

    profiled = table_exists(connection, "user_profiles")
    profiles = "left join user_profiles p using (dataset, user_id)" if profiled else ""
    items_bought = "coalesce(any_value(p.n_items), 0)" if profiled else "0"
    row = fetch_one(
        connection,
        f"""select any_value(dataset), any_value(user_id) from (
               select l.dataset, l.user_id from recommendation_lists l {profiles}
               where l.user_id <> ? and (? is null or l.dataset = ?)
               group by all
               order by {items_bought} >= ? desc, count(*) filter (where is_tail) desc,
                        count(distinct reason_kind) desc, l.dataset, l.user_id
               limit 1)""",
        [NEW_USER, dataset, dataset, EXAMPLE_MIN_ITEMS],
    )
    return (row[0], row[1]) if row[1] is not None else (None, None)


def user_list(connection, dataset: str, user: str) -> pd.DataFrame:
    """The first ``EXAMPLE_LIST_LENGTH`` rows of ``user``'s list with the items' cleaned titles."""
    from longtail.data.warehouse import read_table

    rows = read_table(connection, "recommendation_lists", "dataset = ? and user_id = ?", [dataset, user])
    rows = rows.sort_values("rank").head(EXAMPLE_LIST_LENGTH)
    items = read_table(
        connection, "cleaned_items", "dataset = ? and list_contains(?, item_id)", [dataset, rows["item_id"].tolist()]
    )
    titles = items.drop_duplicates("item_id").set_index("item_id")["title"] if len(items) else pd.Series()
    rows["title"] = rows["item_id"].map(titles)
    return rows[["rank", "item_id", "title", "score", "is_tail", "reason"]].reset_index(drop=True)


def format_demo_summary(summary: DemoSummary) -> str:
    """The closing text of ``longtail demo``: four short sections, plain text, no wider than about 110 columns."""
    sections = [
        _built_section(summary.built, summary.not_built),
        _evaluation_section(summary.evaluation),
        _example_section(summary),
        _where_next_section(summary),
    ]
    return "\n\n".join(section for section in sections if section)


def _built_section(built: list[tuple[str, int | None]], not_built: list[str]) -> str:
    width = max((len(asset) for asset, _ in built), default=0)
    lines = ["What was built (asset: rows in the warehouse):"]
    for asset, rows in built:
        count = f"{rows:>12,}" if rows is not None else f"{'-':>12}  (a model or a report: no table of its own)"
        lines.append(f"  {asset:<{width}}  {count}")
    if not built:
        lines.append("  nothing")
    if not_built:
        lines += textwrap.wrap(f"Not built: {', '.join(not_built)}", width=110, subsequent_indent="  ")
    return "\n".join(lines)


def _evaluation_section(report: dict | None) -> str:
    if report is None:
        return (
            f"No recommendation evaluation: reports/{EVALUATION_REPORT} is written when\n"
            "recommendation_evaluation is built on a dataset with enough history to split."
        )
    split = report["split"]
    width = max(len(model) for model in report["models"]) + 2
    lines = [
        f"How longtail's recommender compares with the baselines on {report['dataset']} "
        f"({split['evaluated_users']:,} users, test after {split['cut']}):",
        f"  {'model':<{width}}" + "".join(f"{heading:>{len(heading) + 2}}" for _, heading in HEADLINE_METRICS),
    ]
    system_first = sorted(report["models"].items(), key=lambda item: item[0] != report["system"])
    for model, figures in system_first:
        marker = "*" if model == report["system"] else ""
        values = "".join(
            f"{figures[key]:>{len(heading) + 2}.4f}" if figures.get(key) is not None else f"{'-':>{len(heading) + 2}}"
            for key, heading in HEADLINE_METRICS
        )
        lines.append(f"  {model + marker:<{width}}" + values)
    lines += [
        "  * longtail's system; the others are baselines. NDCG and recall: how well the lists found what users",
        "  bought in the test weeks; tail recall: the same for long-tail items; APLT@10: share of tail items in",
        "  the top 10; coverage@10: share of the catalogue that appears in someone's top 10.",
    ]
    comparison = target_comparison(report)
    lines.append(
        "  longtail / best baseline (paired 95% CI): "
        + "; ".join(
            f"{row.metric} {row.ratio:.2f}x vs {row.best_baseline}"
            + (f" ({row.ratio_ci95[0]:.2f}-{row.ratio_ci95[1]:.2f})" if row.ratio_ci95 else "")
            for row in comparison.itertuples()
            if row.baseline
        )
    )
    others = report.get("other_datasets") or {}
    if others:
        lines.append("  Other datasets: " + ", ".join(f"{name} (reports/{path})" for name, path in others.items()))
    return "\n".join(lines)


def _example_section(summary: DemoSummary) -> str:
    if summary.example_user is None or summary.example_list.empty:
        return "No recommendation lists yet."
    shown = len(summary.example_list)
    lines = [f"The list of one user ({summary.example_dataset}, user {summary.example_user}), top {shown}:"]
    for row in summary.example_list.itertuples(index=False):
        title = row.title if isinstance(row.title, str) and row.title else row.item_id
        title = title if len(title) <= 42 else title[:41] + "…"
        lines.append(f"  {row.rank:>3}. {title:<42}  {row.reason}")
    return "\n".join(lines)


def _where_next_section(summary: DemoSummary) -> str:
    reports = ", ".join(summary.reports) or "none yet"
    return "\n".join(
        [
            f"Reports: {summary.reports_dir} ({reports}; {summary.plots} plots as PNG in its folders)",
            f"The UI (assets, checks, plots, runs): `make ui` or `longtail ui`, then open {UI_URL}",
            f"The shop assistant and API over the published snapshot: `longtail serve`, then open {SERVE_URL}",
        ]
    )
