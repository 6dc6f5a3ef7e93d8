"""Metadata values shared by the assets: previews and small tables a person reads in the Dagster UI."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pandas as pd

from longtail.files import write_text_whole

PREVIEW_ROWS = 10
MAX_CELL = 80
# A customer's or review's pseudonym (longtail.privacy.pseudonyms). Dagster keeps metadata for ever, beyond the reach
# of erasure, so previews name customers only as "customer 1", "customer 2"... of that preview.
PSEUDONYM = re.compile(r"\b([ur])_[0-9a-f]{24}\b")


def preview(frame: pd.DataFrame, rows: int = PREVIEW_ROWS) -> dg.MarkdownMetadataValue:
    """The first ``rows`` rows of ``frame`` as a markdown table, long cells shortened, pseudonyms masked."""
    if frame.empty:
        return dg.MetadataValue.md("_no rows_")
    head = _mask_pseudonyms(frame.head(rows).astype(str)).apply(lambda column: column.str.slice(0, MAX_CELL))
    return dg.MetadataValue.md(head.to_markdown(index=False))


def engine_metadata(engine) -> dict:
    """The engine that computed an asset (``resources.engine.EngineResource``) and, on Spark, the tasks each
    executor has run so far in this run: where the work went."""
    if not engine.is_spark:
        return {"engine": engine.engine}
    from longtail.spark.session import tasks_by_executor

    return {
        "engine": engine.engine,
        "spark_tasks_by_executor": dg.MetadataValue.json(tasks_by_executor(engine.spark())),
    }


def _mask_pseudonyms(cells: pd.DataFrame) -> pd.DataFrame:
    """``cells`` (strings) with each distinct pseudonym replaced by "customer N" or "review N", numbered in order of
    first appearance, so rows of one customer still read as one."""
    labels: dict[str, str] = {}

    def label(match: re.Match) -> str:
        kind = "customer" if match.group(1) == "u" else "review"
        count = sum(value.startswith(kind) for value in labels.values())
        return labels.setdefault(match.group(0), f"{kind} {count + 1}")

    return cells.apply(lambda column: column.map(lambda cell: PSEUDONYM.sub(label, cell)))


def counts_table(counts: dict[str, int], key: str = "rule", value: str = "rows") -> dg.MarkdownMetadataValue:
    frame = pd.DataFrame(sorted(counts.items(), key=lambda kv: -kv[1]), columns=[key, value])
    return preview(frame, rows=len(frame) or 1)


def new_figure(columns: int = 1, *, size: tuple[float, float]):
    """``(figure, axes)`` of ``columns`` side-by-side plots, ``size`` inches at 100 dpi, drawn with matplotlib's
    Agg backend (runs have no display); show it with ``embedded_png``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(1, columns, figsize=size, dpi=100)


def embedded_png(figure, path: Path, alt: str) -> str:
    """Save a matplotlib ``figure`` as a PNG at ``path`` and return markdown that shows it inline in the UI."""
    import base64
    import io

    import matplotlib.pyplot as plt

    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    path.write_bytes(buffer.getvalue())
    return f"![{alt}](data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()})"


def write_dataset_reports(reports: dict[str, dict], reports_dir: Path, name: str, size: Callable[[dict], int]) -> None:
    """Write ``reports_dir/name/<dataset>.json`` per dataset, and ``reports_dir/name.json``: the report of the
    dataset with the largest ``size(report)``, with ``other_datasets`` pointing at the rest."""
    for dataset, report in reports.items():
        write_text_whole(reports_dir / name / f"{dataset}.json", json.dumps(report, indent=2))
    main = max(reports.values(), key=size, default=None)
    if main is not None:
        others = {dataset: f"{name}/{dataset}.json" for dataset in reports if dataset != main["dataset"]}
        write_text_whole(reports_dir / f"{name}.json", json.dumps({**main, "other_datasets": others}, indent=2))
