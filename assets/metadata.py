"""Metadata values shared by the assets: previews and small tables a person reads in the Dagster UI."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd

PREVIEW_ROWS = 10
MAX_CELL = 80


def preview(frame: pd.DataFrame, rows: int = PREVIEW_ROWS) -> dg.MarkdownMetadataValue:
    """The first ``rows`` rows of ``frame`` as a markdown table, long cells shortened."""
    if frame.empty:
        return dg.MetadataValue.md("_no rows_")
    head = frame.head(rows).astype(str).apply(lambda column: column.str.slice(0, MAX_CELL))
    return dg.MetadataValue.md(head.to_markdown(index=False))


def counts_table(counts: dict[str, int], key: str = "rule", value: str = "rows") -> dg.MarkdownMetadataValue:
    frame = pd.DataFrame(sorted(counts.items(), key=lambda kv: -kv[1]), columns=[key, value])
    return preview(frame, rows=len(frame) or 1)


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
