"""Incremental refresh of the ``item_embeddings`` asset: re-materialize after 1% of item texts change, against
the full materialization, in the same run.

    LONGTAIL_DATA_DIR=../shared/data .venv/bin/python bench/incremental_embedding.py [--n 3000] [--dataset instacart]

Items: the first ``--n`` cleaned Instacart products or Magazine items (``--dataset``) under ``$LONGTAIL_DATA_DIR``,
else synthetic product items (both from ``bench/embedding_throughput.py``). Their texts (``build_item_text``) go
into the ``item_text`` table of a throw-away warehouse, and ``item_embeddings`` is materialized through Dagster
with the real MiniLM resource ("full"); then ``--changed`` (1%) of the items get a new title, ``item_text`` is
rewritten and ``item_embeddings`` materialized again ("incremental"). Prints the asset's own counts of embedded
and reused items, both step times and the ratio incremental/full (about the changed share plus the fixed cost of
loading the model and rewriting the table), and checks that reused vectors are unchanged.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import dagster as dg
import numpy as np
from embedding_throughput import DATASET_FILES, real_items, synthetic_items

from assets.items import item_embeddings
from longtail.data.warehouse import read_vectors, replace_rows
from longtail.recommend.text import build_item_text
from resources.models import EmbeddingModelResource
from resources.warehouse import WarehouseResource

# item_embeddings reads the item_text table, which this benchmark writes itself.
item_text_source = dg.AssetSpec("item_text")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000, help="number of items")
    parser.add_argument("--changed", type=float, default=0.01, help="share of items whose text changes")
    parser.add_argument("--dataset", choices=sorted(DATASET_FILES), default="instacart")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--model", default="default", help="'default', a local model folder or a Hub id")
    args = parser.parse_args()
    data_dir = os.environ.get("LONGTAIL_DATA_DIR")
    if data_dir:
        items, source = real_items(Path(data_dir), args.dataset).head(args.n), f"{args.dataset} items"
    else:
        items, source = synthetic_items(args.n), "synthetic items"
    changed_rows = np.random.default_rng(0).choice(len(items), max(1, round(args.changed * len(items))), replace=False)
    edited = items.copy()
    title = edited.columns.get_loc("title")
    edited.iloc[changed_rows, title] = edited.iloc[changed_rows, title].fillna("Item") + " (new edition)"
    resources = {"embedder": EmbeddingModelResource(model=args.model, device=args.device)}
    print(f"{len(items)} items ({source}); {len(changed_rows)} texts change; model {args.model} on {args.device}")
    with tempfile.TemporaryDirectory() as workdir:
        resources["warehouse"] = WarehouseResource(path=str(Path(workdir) / "warehouse.duckdb"))
        runs = {}
        for name, frame in (("full", items), ("incremental", edited)):
            with resources["warehouse"].connect() as connection:
                replace_rows(connection, "item_text", build_item_text(frame).assign(dataset="bench"))
            result = dg.materialize(
                [item_text_source, item_embeddings], selection="item_embeddings", resources=resources
            )
            [step] = [e for e in result.all_events if e.is_step_success]
            [event] = result.get_asset_materialization_events()
            shown = {key: value.value for key, value in event.materialization.metadata.items()}
            runs[name] = (step.event_specific_data.duration_ms / 1000, shown)
            with resources["warehouse"].connect() as connection:
                runs[name] += (read_vectors(connection, "item_embeddings", "bench"),)
            print(
                f"{name:<12} embedded {shown['embedded']:5d}, reused {shown['reused']:5d}, step {runs[name][0]:7.2f} s"
            )
    full, incremental = runs["full"], runs["incremental"]
    print(f"ratio incremental/full: {incremental[0] / full[0]:.3f} (changed share {args.changed:.3f})")
    changed_ids = set(items["item_id"].iloc[changed_rows])
    ids, before = full[2]
    kept = np.array([item_id not in changed_ids for item_id in ids])
    assert incremental[1]["embedded"] == len(changed_rows)
    assert np.array_equal(incremental[2][1][kept], before[kept])
    return 0


if __name__ == "__main__":
    sys.exit(main())
