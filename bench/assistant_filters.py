"""Does the shop assistant filter on what the shopper asked for, and only on that? Two checks on a finished demo's
home, on the simulated sessions of the interactive evaluation (``longtail.serving.interactive_evaluation``):

1. Stated aisles (shops with their own categories): the share of sessions whose query states an aisle ("... from
   the ice cream aisle", "... in asian foods") where the parser filters on exactly that aisle. Seeds other than the
   evaluation's 0, on the validation and the test cut, so that no change to the parser was made looking at them.
2. Guessed clusters (shops whose categories are item clusters): hit@10 of the assistant as it is (a cluster
   filters only where the words name its whole label) against the same assistant that also lets the query's
   embedding guess a cluster (``CategoryMatcher``) and filters on it, in the same run, as a ratio. The weights and
   BM25 settings are the ones the interactive evaluation's report chose (its defaults without a report).

    .venv/bin/python bench/assistant_filters.py --home "$LONGTAIL_HOME" [--seeds 1,2,3] [--datasets a,b]

2026-12-03, on one demo home (300 sessions per seed, cut and regime): stated aisles on Instacart, 1,830 sessions
with one, filtered on in 1,827 (99.8%); at 514d436, before the parser read places, 1,607 (87.8%: this script as of
2664f10, which builds the stages as 514d436 does, run from a worktree of 514d436 with ``--datasets
instacart_sample``). Guessed clusters on Online Retail, hit@10 as it is
against guessing: validation 0.557 and 0.557 (1 word, 1.00x), 0.977 and 0.913 (2 words, 1.07x); test 0.617 and
0.617 (1.00x), 0.947 and 0.900 (1.05x).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from longtail.data.warehouse import connect  # noqa: E402
from longtail.recommend.embedding import encode_texts, load_encoder  # noqa: E402
from longtail.serving.assistant import AssistantWeights  # noqa: E402
from longtail.serving.assistant_tuning import evaluation_stages, stage_inputs  # noqa: E402
from longtail.serving.vocabulary import CategoryMatcher  # noqa: E402

REGIMES = {1: "1 word", 2: "2 words"}


def stages(home: Path, dataset: str, encode) -> dict:
    """The validation and test stages of ``dataset`` as the interactive evaluation builds them."""
    with connect(home / "warehouse.duckdb", read_only=True) as connection:
        inputs = stage_inputs(connection, dataset, encode)
    built = evaluation_stages(**inputs)
    return {"stages": built, "categories": built["test"].use_categories}


def stated_aisles(shop: dict, seeds: list[int]) -> None:
    for name, stage in shop["stages"].items():
        for words in REGIMES:
            stated = filtered = 0
            for seed in seeds:
                for session in stage.sessions(300, words, seed):
                    if session.constraints.category is None:
                        continue
                    stated += 1
                    parsed = stage.assistant.signals(session.query, session.user_id).filters.category
                    filtered += parsed == session.constraints.category
            print(f"  {name:10} {REGIMES[words]:8} stated an aisle {stated:5,}  filtered on it {filtered:5,}"
                  f"  ({filtered / max(stated, 1):.3f})")  # fmt: skip


def guessed_clusters(shop: dict, report: dict | None, encode) -> None:
    for name, stage in shop["stages"].items():
        for words, regime in REGIMES.items():
            tuning = (report or {}).get("regimes", {}).get(regime, {}).get("tuning", {})
            weights = AssistantWeights(**tuning.get("assistant", {}))
            if "bm25" in tuning:
                stage.use_bm25(tuning["bm25"])
            sessions = stage.sessions(300, words, seed=0)
            named_only = _hit_rate(stage, sessions, weights)
            guessing = stage.assistant
            guessing.vocabulary = replace(
                guessing.vocabulary, match_category=CategoryMatcher(stage.index.category_nodes, encode)
            )
            guessed = _hit_rate(stage, sessions, weights)
            stage.use_bm25(tuning.get("bm25", {}))
            print(f"  {name:10} {regime:8} hit@10 clusters only where named {named_only:.3f}  also guessed"
                  f" {guessed:.3f}  ratio {named_only / max(guessed, 1e-9):.2f}x")  # fmt: skip


def _hit_rate(stage, sessions, weights: AssistantWeights) -> float:
    hits = [
        session.target in stage.assistant.signals(session.query, session.user_id).top(weights, stage.index.is_tail, 10)
        for session in sessions
    ]
    return float(np.mean(hits))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="a LONGTAIL_HOME holding a finished demo")
    parser.add_argument("--seeds", default="1,2,3", help="session seeds for the stated-aisle check (not 0)")
    parser.add_argument("--datasets", default="instacart_sample,uci_online_retail_ii", help="comma-separated shops")
    args = parser.parse_args()
    seeds = [int(seed) for seed in args.seeds.split(",")]
    model = load_encoder()

    def encode(texts):
        return encode_texts(model, list(texts))

    report_path = args.home / "reports" / "interactive_evaluation.json"
    reports = json.loads(report_path.read_text())["datasets"] if report_path.exists() else {}
    for dataset in args.datasets.split(","):
        shop = stages(args.home, dataset, encode)
        if shop["categories"]:
            print(f"{dataset}: stated aisles, seeds {seeds}")
            stated_aisles(shop, seeds)
        elif shop["stages"]["test"].index.categories_are_clusters:
            print(f"{dataset}: guessed clusters, the evaluation's sessions (seed 0)")
            guessed_clusters(shop, reports.get(dataset), encode)


if __name__ == "__main__":
    main()
